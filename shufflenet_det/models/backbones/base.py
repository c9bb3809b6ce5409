"""The interface that MMDetection expects from a backbone, shared by ours."""
from typing import List, Sequence, Tuple

from torch import Tensor, nn

from ..stages import StagedModule
from ..utils import check_choice


class StagedBackbone(StagedModule):
    """A stem followed by stages of units, like MMDetection's ResNet.

    Subclasses build ``self.conv1`` (the stem's parameters) and
    ``self.maxpool`` (or override :meth:`stem`), fill ``self.layers`` with one
    module per stage (an ``nn.Sequential`` of units, or a single layer) and
    ``self.stage_channels`` with their output channels, then call
    :meth:`_freeze_stages`.

    Args:
        max_stages (int): Number of stages of the full architecture.
        num_stages (int): Build only the first ``num_stages`` stages, e.g. to
            leave the last one to a C4 detector's RoI head.
        out_indices (Sequence[int]): Stages whose outputs are returned.
        frozen_stages (int): Stem and the first ``frozen_stages`` stages get no
            gradients and keep BN in eval mode; -1 freezes nothing, 0 the stem.
        norm_eval (bool): Keep every BN layer in eval mode while training.
        with_cp (bool): Recompute each unit in the backward pass
            (gradient checkpointing) to save activation memory. As in
            MMDetection's backbones, BN running statistics of a training step
            are then updated twice (forward and recomputation).
        init_cfg (dict | list[dict], optional): mmengine initialisation, e.g.
            ``dict(type='Pretrained', checkpoint=..., prefix='backbone.')``.
            Defaults to Kaiming convs and unit BN weights.
    """

    conv1: nn.Module
    stage_channels: List[int]

    def __init__(self, *, max_stages: int, num_stages: int,
                 out_indices: Sequence[int], frozen_stages: int, norm_eval: bool,
                 with_cp: bool, init_cfg=None):
        check_choice('num_stages', num_stages, tuple(range(1, max_stages + 1)))
        for index in out_indices:
            check_choice('out_indices item', index, tuple(range(num_stages)))
        super().__init__(frozen_stages=frozen_stages, max_stages=num_stages,
                         norm_eval=norm_eval, with_cp=with_cp, init_cfg=init_cfg)
        self.num_stages = num_stages
        self.out_indices = tuple(out_indices)

    def stem_modules(self) -> List[nn.Module]:
        return [self.conv1]

    def stem(self, x: Tensor) -> Tensor:
        return self.maxpool(self.conv1(x))

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        x = self.stem(x)
        outs = []
        for index in range(len(self.layers)):
            x = self.forward_stage(index, x)
            if index in self.out_indices:
                outs.append(x)
        return tuple(outs)
