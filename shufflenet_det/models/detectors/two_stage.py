"""The step of a two-stage detector that export and benchmarks call."""
from typing import Tuple

from torch import Tensor, nn


def rpn_forward(detector: nn.Module, x: Tuple[Tensor]) -> Tuple[tuple, Tuple[Tensor]]:
    """The RPN's outputs ``(cls_scores, bbox_preds)`` for the neck's maps
    ``x``, and the maps the RoI head reads.

    A detector whose RoI head reads other maps than the neck's defines a
    method ``rpn_forward(x)`` that returns both (:class:`ThunderNet`: the
    SAM-attended map); mmdet's ``TwoStageDetector`` gives ``x`` to both
    heads.
    """
    own = getattr(detector, 'rpn_forward', None)
    if own is not None:
        return own(x)
    return detector.rpn_head(x), x
