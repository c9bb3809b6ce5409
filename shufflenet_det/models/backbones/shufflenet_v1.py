"""ShuffleNet v1 (Zhang et al., CVPR 2018, arXiv:1707.01083)."""
from typing import Optional, Sequence

import torch
from mmcv.cnn import ConvModule
from mmdet.models.utils import make_divisible
from mmdet.registry import MODELS
from torch import Tensor, nn

from ..layers import build_inplace_activation, channel_shuffle
from ..utils import check_choice
from .base import StagedBackbone


class ShuffleUnit(nn.Module):
    """ShuffleNet v1 unit (paper Fig. 2b/2c).

    1x1 group conv -> BN -> ReLU -> 3x3 depthwise conv -> BN -> channel
    shuffle -> 1x1 group conv -> BN, then ``ReLU(x + branch)`` at stride 1, or
    ``ReLU(concat(avgpool(x), branch))`` at stride 2, where the branch only
    adds ``out_channels - in_channels`` channels.

    The paper draws the shuffle before the depthwise conv; a depthwise conv
    and its BN act per channel, so shuffling after them is the same network
    with the depthwise weights permuted. This order is mmpretrain's, so its
    checkpoints load by name and compute the same function, and the shuffle
    moves 4x fewer values in stride-2 units.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels.
        groups (int): Groups of the pointwise convolutions.
        stride (int): 1 (residual add) or 2 (concat, halves the resolution).
        group_compress (bool): Group the first 1x1 conv. False only for the
            first unit of Stage2, whose input (the stem) is too thin to split.
        inverse_shuffle (bool): Shuffle with the inverse permutation, as
            Megvii's official code does (reshape to (n, g) and transpose).
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 groups: int,
                 stride: int,
                 group_compress: bool = True,
                 inverse_shuffle: bool = False,
                 conv_cfg=None,
                 norm_cfg=dict(type='BN'),
                 act_cfg=dict(type='ReLU')):
        super().__init__()
        if stride == 1 and in_channels != out_channels:
            raise ValueError('a stride-1 unit needs in_channels == out_channels, '
                             f'got {in_channels} and {out_channels}')
        self.groups = groups
        self.stride = stride
        self.inverse_shuffle = inverse_shuffle
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
        self.act = build_inplace_activation(act_cfg)
        if stride == 2:
            self.avgpool = nn.AvgPool2d(kernel_size=3, stride=2, padding=1)

    def forward(self, x: Tensor) -> Tensor:
        out = self.depthwise_conv3x3_bn(self.g_conv_1x1_compress(x))
        if self.groups > 1:
            # The inverse of shuffling g groups of n is shuffling n groups of g.
            groups = self.groups
            if self.inverse_shuffle:
                groups = out.shape[1] // groups
            out = channel_shuffle(out, groups)
        out = self.g_conv_1x1_expand(out)
        if self.stride == 1:
            # In place: neither autograd nor the caller needs ``out`` again.
            return self.act(out.add_(x))
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
      divisible by ``groups``. ``stem_channels`` overrides it (Megvii's
      0.5x g=8 release uses 16).

    Args:
        groups (int): Groups of the pointwise convolutions: 1, 2, 3, 4 or 8.
        widen_factor (float): Width multiplier "s": 0.25, 0.5, 1.0, 1.5, 2.0.
        stem_channels (int, optional): Stem width, a multiple of ``groups``;
            None for the rule above.
        variant (str): 'paper' (default) or 'megvii': the official code's
            inverse shuffle, for its g=8 checkpoints (its g=3 ones convert
            exactly to 'paper', see ``shufflenet_det.converters.megvii``).
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
                 stem_channels: Optional[int] = None,
                 variant: str = 'paper',
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
        check_choice('variant', variant, ('paper', 'megvii'))
        super().__init__(max_stages=len(self.stage_blocks), num_stages=num_stages,
                         out_indices=out_indices, frozen_stages=frozen_stages,
                         norm_eval=norm_eval, with_cp=with_cp, init_cfg=init_cfg)
        self.groups = groups
        self.widen_factor = widen_factor
        self.architecture = dict(type='ShuffleNetV1', groups=groups,
                                 widen_factor=widen_factor,
                                 stem_channels=stem_channels, variant=variant,
                                 act_cfg=act_cfg)
        if stem_channels is None:
            stem_channels = self.stem_channels_by_width[widen_factor] // groups * groups
        elif stem_channels <= 0 or stem_channels % groups:
            raise ValueError(f'stem_channels={stem_channels!r} is not supported; '
                             f'allowed: positive multiples of groups={groups}')
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
                            inverse_shuffle=variant == 'megvii',
                            conv_cfg=conv_cfg, norm_cfg=norm_cfg,
                            act_cfg=act_cfg)
                for unit in range(self.stage_blocks[index])
            ]
            self.layers.append(nn.Sequential(*units))
            in_channels = out_channels
        self._freeze_stages()
