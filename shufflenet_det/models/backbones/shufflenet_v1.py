"""ShuffleNet v1 (Zhang et al., CVPR 2018, arXiv:1707.01083)."""
from typing import Sequence

import torch
from mmcv.cnn import ConvModule, build_activation_layer
from mmdet.models.utils import make_divisible
from mmdet.registry import MODELS
from torch import Tensor, nn

from ..layers import channel_shuffle, check_choice
from .base import StagedBackbone


class ShuffleUnit(nn.Module):
    """ShuffleNet v1 unit (paper Fig. 2b/2c).

    1x1 group conv -> BN -> ReLU -> channel shuffle -> 3x3 depthwise conv -> BN
    -> 1x1 group conv -> BN, then ``ReLU(x + branch)`` at stride 1, or
    ``ReLU(concat(avgpool(x), branch))`` at stride 2, where the branch only
    adds ``out_channels - in_channels`` channels.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        groups (int): Groups of the pointwise convolutions.
        stride (int): 1 (residual add) or 2 (concat, halves the resolution).
        group_compress (bool): Group the first 1x1 conv. False only for the
            first unit of Stage2, whose input (the stem) is too thin to split.
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 groups: int,
                 stride: int,
                 group_compress: bool = True,
                 conv_cfg=None,
                 norm_cfg=dict(type='BN'),
                 act_cfg=dict(type='ReLU')):
        super().__init__()
        if stride == 1 and in_channels != out_channels:
            raise ValueError('a stride-1 unit needs in_channels == out_channels, '
                             f'got {in_channels} and {out_channels}')
        self.groups = groups
        self.stride = stride
        # Paper: bottleneck = 1/4 of the output; rounded to a multiple of groups.
        bottleneck = make_divisible(out_channels / 4, groups)
        branch_channels = out_channels - in_channels if stride == 2 else out_channels
        common = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg)
        self.g_conv_1x1_compress = ConvModule(
            in_channels, bottleneck, 1, groups=groups if group_compress else 1,
            act_cfg=act_cfg, **common)
        self.depthwise_conv3x3_bn = ConvModule(
            bottleneck, bottleneck, 3, stride=stride, padding=1, groups=bottleneck,
            act_cfg=None, **common)
        self.g_conv_1x1_expand = ConvModule(
            bottleneck, branch_channels, 1, groups=groups, act_cfg=None, **common)
        self.act = build_activation_layer(act_cfg)
        if stride == 2:
            self.avgpool = nn.AvgPool2d(kernel_size=3, stride=2, padding=1)

    def forward(self, x: Tensor) -> Tensor:
        out = self.g_conv_1x1_compress(x)
        if self.groups > 1:
            out = channel_shuffle(out, self.groups)
        out = self.depthwise_conv3x3_bn(out)
        out = self.g_conv_1x1_expand(out)
        if self.stride == 1:
            return self.act(x + out)
        return self.act(torch.cat((self.avgpool(x), out), dim=1))


@MODELS.register_module()
class ShuffleNetV1(StagedBackbone):
    """ShuffleNet v1 backbone (paper Table 1).

    Stem (3x3 conv s2, max pool s2), then Stage2/3/4 of 4/8/4 units at strides
    8/16/32; ``out_indices`` 0, 1, 2 select them (mmpretrain's indexing and
    parameter names, so its checkpoints load with ``prefix='backbone.'``).

    Channel rounding, chosen to build every cell of paper Table 2 and match
    the paper's complexities (``tools/analyze_complexity.py``):

    - stage widths are Table 1's 1x widths times ``widen_factor``, which is a
      multiple of ``groups`` for every supported pair;
    - bottleneck width is ``make_divisible(out / 4, groups)``, the nearest
      multiple of ``groups`` (0.5x g=4: 36, not 34);
    - the stem follows Megvii's official code (24 at 1x and 1.5x, 48 at 2x,
      12 at 0.5x and below), rounded down to a multiple of ``groups`` (8 for
      g=8 at 0.5x/0.25x) so that the concatenated Stage2 input stays
      divisible by ``groups``.

    Args:
        groups (int): Groups of the pointwise convolutions: 1, 2, 3, 4 or 8.
        widen_factor (float): Width multiplier "s": 0.25, 0.5, 1.0, 1.5, 2.0.
        num_stages (int): Stages to build (1-3). A C4 detector uses 2 and
            runs Stage4 as its RoI head.
        out_indices (Sequence[int]): Stage outputs to return.
        frozen_stages (int): See :class:`StagedBackbone`.
        conv_cfg, norm_cfg, act_cfg (dict): mmcv layer configs.
        norm_eval (bool): Keep BN in eval mode during training.
        with_cp (bool): Gradient checkpointing per unit.
        init_cfg (dict | list[dict], optional): mmengine initialisation.
    """

    stage_blocks = (4, 8, 4)
    # Stage2 output channels at 1x, per groups (paper Table 1).
    stage2_channels_1x = {1: 144, 2: 200, 3: 240, 4: 272, 8: 384}
    stem_channels_by_width = {0.25: 12, 0.5: 12, 1.0: 24, 1.5: 24, 2.0: 48}

    def __init__(self,
                 groups: int = 3,
                 widen_factor: float = 1.0,
                 num_stages: int = 3,
                 out_indices: Sequence[int] = (0, 1, 2),
                 frozen_stages: int = -1,
                 conv_cfg=None,
                 norm_cfg=dict(type='BN', requires_grad=True),
                 act_cfg=dict(type='ReLU'),
                 norm_eval: bool = False,
                 with_cp: bool = False,
                 init_cfg=None):
        check_choice('groups', groups, tuple(self.stage2_channels_1x))
        check_choice('widen_factor', widen_factor, tuple(self.stem_channels_by_width))
        super().__init__(len(self.stage_blocks), num_stages, out_indices,
                         frozen_stages, norm_eval, with_cp, init_cfg)
        self.groups = groups
        self.widen_factor = widen_factor
        stem_channels = self.stem_channels_by_width[widen_factor] // groups * groups
        self.conv1 = ConvModule(3, stem_channels, 3, stride=2, padding=1,
                                conv_cfg=conv_cfg, norm_cfg=norm_cfg,
                                act_cfg=act_cfg)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)

        self.stage_channels = [
            round(self.stage2_channels_1x[groups] * widen_factor) * 2**i
            for i in range(num_stages)
        ]
        self.layers = nn.ModuleList()
        in_channels = stem_channels
        for index, out_channels in enumerate(self.stage_channels):
            units = [
                ShuffleUnit(in_channels if unit == 0 else out_channels,
                            out_channels, groups,
                            stride=2 if unit == 0 else 1,
                            group_compress=not (index == 0 and unit == 0),
                            conv_cfg=conv_cfg, norm_cfg=norm_cfg,
                            act_cfg=act_cfg)
                for unit in range(self.stage_blocks[index])
            ]
            self.layers.append(nn.Sequential(*units))
            in_channels = out_channels
        self._freeze_stages()
