"""What the backbones and the C4 ``StageHead`` share: stages of units with
MMDetection's ``frozen_stages`` / ``norm_eval`` / ``with_cp`` semantics."""
import inspect
from typing import List

import torch
from mmengine.model import BaseModule
from mmengine.registry import WEIGHT_INITIALIZERS
from torch import Tensor, nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.utils.checkpoint import checkpoint

from .utils import check_choice

# Non-reentrant recomputation where this torch has the choice (>= 1.11).
CHECKPOINT_KWARGS = ({'use_reentrant': False}
                     if 'use_reentrant' in inspect.signature(checkpoint).parameters
                     else {})
# Training from scratch: He init for convs, BN starts as identity.
DEFAULT_INIT_CFG = [
    dict(type='Kaiming', layer='Conv2d'),
    dict(type='Constant', val=1, layer=['_BatchNorm', 'GroupNorm']),
]
# Weight initializer of the strict ``Pretrained`` load, registered by
# shufflenet_det.weights (imported with the package).
PRETRAINED_INIT = 'ShuffleNetDetPretrained'


class StagedModule(BaseModule):
    """Stages in ``self.layers``, indexed as in the full backbone.

    Subclasses fill ``self.layers`` (an ``nn.ModuleList``, one module per
    stage; placeholders without parameters for stages they do not own),
    return their stem from :meth:`stem_modules`, set ``self.architecture``
    (the backbone type and the arguments that shape its weights) and call
    :meth:`_freeze_stages` at the end of ``__init__``.

    Args:
        frozen_stages (int): -1 freezes nothing; k >= 0 freezes the stem and
            the stages with an index below k (no gradients, BN in eval mode).
        max_stages (int): Stages of the architecture; ``frozen_stages`` may
            be at most this.
        norm_eval (bool): Keep every BN layer in eval mode while training.
        with_cp (bool): Recompute each unit in the backward pass.
        init_cfg (dict | list[dict], optional): mmengine initialisation;
            defaults to Kaiming convs and unit BN weights. ``Pretrained``
            loads strictly (:func:`shufflenet_det.weights.load_pretrained`)
            and keeps the checkpoint's metadata in ``pretrained_meta``; add
            ``strict=False`` to load what fits.
    """

    layers: nn.ModuleList
    architecture: dict

    def __init__(self, *, frozen_stages: int, max_stages: int, norm_eval: bool,
                 with_cp: bool, init_cfg=None):
        super().__init__(init_cfg=init_cfg or DEFAULT_INIT_CFG)
        check_choice('frozen_stages', frozen_stages, tuple(range(-1, max_stages + 1)))
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        self.with_cp = with_cp
        self.pretrained_meta = {}

    def init_weights(self):
        init_cfg = self.init_cfg
        if isinstance(init_cfg, dict) and init_cfg.get('type') == 'Pretrained':
            WEIGHT_INITIALIZERS.build(dict(init_cfg, type=PRETRAINED_INIT))(self)
            self._is_init = True
        else:
            super().init_weights()

    def stem_modules(self) -> List[nn.Module]:
        """Modules before the first stage (frozen from ``frozen_stages=0``)."""
        return []

    def frozen_modules(self) -> List[nn.Module]:
        if self.frozen_stages < 0:
            return []
        return [*self.stem_modules(), *self.layers[:self.frozen_stages]]

    def _freeze_stages(self):
        for module in self.frozen_modules():
            module.eval()
            for param in module.parameters():
                param.requires_grad = False

    def train(self, mode: bool = True):
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            for module in self.modules():
                if isinstance(module, _BatchNorm):
                    module.eval()
        return self

    def forward_stage(self, index: int, x: Tensor) -> Tensor:
        """Run stage ``index``, recomputing each unit in the backward pass if
        ``with_cp``."""
        stage = self.layers[index]
        if not (self.with_cp and self.training and torch.is_grad_enabled()):
            return stage(x)
        units = stage if isinstance(stage, nn.Sequential) else [stage]
        for unit in units:
            x = checkpoint(unit, x, **CHECKPOINT_KWARGS)
        return x
