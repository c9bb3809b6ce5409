"""The interface that MMDetection expects from a backbone, shared by ours."""
from typing import Sequence, Tuple

import torch
from mmengine.model import BaseModule
from torch import Tensor, nn
from torch.nn.modules.batchnorm import _BatchNorm
from torch.utils.checkpoint import checkpoint

from ..layers import check_choice

# Training from scratch: He init for convs, BN starts as identity.
DEFAULT_INIT_CFG = [
    dict(type='Kaiming', layer='Conv2d'),
    dict(type='Constant', val=1, layer=['_BatchNorm', 'GroupNorm']),
]


class StagedBackbone(BaseModule):
    """A stem followed by stages of units, like MMDetection's ResNet.

    Subclasses build ``self.conv1`` (the stem's parameters), override
    :meth:`stem` if the stem is more than ``conv1`` + ``maxpool``, and fill
    ``self.layers`` with one module per stage (an ``nn.Sequential`` of units,
    or a single layer), then call :meth:`_freeze_stages`.

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

    def __init__(self,
                 max_stages: int,
                 num_stages: int,
                 out_indices: Sequence[int],
                 frozen_stages: int,
                 norm_eval: bool,
                 with_cp: bool,
                 init_cfg=None):
        super().__init__(init_cfg=init_cfg or DEFAULT_INIT_CFG)
        check_choice('num_stages', num_stages, tuple(range(1, max_stages + 1)))
        for index in out_indices:
            check_choice('out_indices item', index, tuple(range(num_stages)))
        check_choice('frozen_stages', frozen_stages, tuple(range(-1, num_stages + 1)))
        self.num_stages = num_stages
        self.out_indices = tuple(out_indices)
        self.frozen_stages = frozen_stages
        self.norm_eval = norm_eval
        self.with_cp = with_cp

    def stem(self, x: Tensor) -> Tensor:
        return self.maxpool(self.conv1(x))

    def forward(self, x: Tensor) -> Tuple[Tensor, ...]:
        x = self.stem(x)
        outs = []
        for index, stage in enumerate(self.layers):
            x = forward_stage(stage, x, self.with_cp and self.training)
            if index in self.out_indices:
                outs.append(x)
        return tuple(outs)

    def _freeze_stages(self):
        if self.frozen_stages >= 0:
            for module in [self.conv1, *self.layers[:self.frozen_stages]]:
                freeze(module)

    def train(self, mode: bool = True):
        super().train(mode)
        self._freeze_stages()
        if mode and self.norm_eval:
            set_norm_eval(self)
        return self


def forward_stage(stage: nn.Module, x: Tensor, with_cp: bool) -> Tensor:
    """Run a stage, recomputing each unit in the backward pass if ``with_cp``."""
    if not (with_cp and torch.is_grad_enabled()):
        return stage(x)
    units = stage if isinstance(stage, nn.Sequential) else [stage]
    for unit in units:
        x = checkpoint(unit, x, use_reentrant=False)
    return x


def freeze(module: nn.Module):
    """No gradients, and BN statistics kept (eval mode) until ``train()``."""
    module.eval()
    for param in module.parameters():
        param.requires_grad = False


def set_norm_eval(module: nn.Module):
    for child in module.modules():
        if isinstance(child, _BatchNorm):
            child.eval()
