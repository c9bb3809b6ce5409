"""ShuffleNet v2 (Ma et al., ECCV 2018, arXiv:1807.11164)."""
from typing import Sequence

import torch
from mmcv.cnn import ConvModule
from mmdet.registry import MODELS
from torch import Tensor, nn

from ..layers import interleave_channels, split_even_odd
from ..utils import check_choice
from .base import StagedBackbone


class ShuffleNetV2Unit(nn.Module):
    """ShuffleNet v2 unit (paper Fig. 3c/3d).

    Stride 1: split the channels in halves, keep one, run the other through
    1x1 conv -> 3x3 depthwise conv (5x5 in ThunderNet's SNet) -> 1x1 conv.
    Stride 2: no split; both branches see the whole input and are
    downsampled. Then concat and a 2-group channel shuffle.

    ``variant='megvii'`` is the official code's equivalent layout: no shuffle
    after the concat, the split takes even / odd channels instead, and at
    stride 2 the shortcut branch keeps ``in_channels`` channels (the rest go
    to the main branch) - which differs from the halves only in the first
    unit of Stage2.

    Args:
        in_channels (int): Input channels.
        out_channels (int): Output channels (even).
        stride (int): 1 or 2.
        variant (str): 'torchvision' (also mmpretrain's) or 'megvii'.
        kernel_size (int): Depthwise kernel size, 3 (ShuffleNet v2) or 5 (SNet).
    """

    def __init__(self,
                 in_channels: int,
                 out_channels: int,
                 stride: int,
                 variant: str = 'torchvision',
                 kernel_size: int = 3,
                 conv_cfg=None,
                 norm_cfg=dict(type='BN'),
                 act_cfg=dict(type='ReLU')):
        super().__init__()
        check_choice('kernel_size', kernel_size, (3, 5))
        mid_channels = out_channels // 2
        if stride == 1 and in_channels != 2 * mid_channels:
            raise ValueError('a stride-1 unit needs in_channels == out_channels '
                             f'(even), got {in_channels} and {out_channels}')
        self.stride = stride
        self.variant = variant
        shortcut_channels = mid_channels
        if variant == 'megvii' and stride > 1:
            shortcut_channels = in_channels
        common = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg)
        if stride > 1:
            self.branch1 = nn.Sequential(
                ConvModule(in_channels, in_channels, kernel_size, stride=stride,
                           padding=kernel_size // 2, groups=in_channels,
                           act_cfg=None, **common),
                ConvModule(in_channels, shortcut_channels, 1, act_cfg=act_cfg,
                           **common))
        self.branch2 = nn.Sequential(
            ConvModule(in_channels if stride > 1 else mid_channels,
                       mid_channels, 1, act_cfg=act_cfg, **common),
            ConvModule(mid_channels, mid_channels, kernel_size, stride=stride,
                       padding=kernel_size // 2, groups=mid_channels, act_cfg=None,
                       **common),
            ConvModule(mid_channels, out_channels - shortcut_channels, 1,
                       act_cfg=act_cfg, **common))

    def forward(self, x: Tensor) -> Tensor:
        if self.variant == 'megvii':
            if self.stride > 1:
                return torch.cat((self.branch1(x), self.branch2(x)), dim=1)
            identity, residual = split_even_odd(x)
            return torch.cat((identity, self.branch2(residual)), dim=1)
        if self.stride > 1:
            parts = (self.branch1(x), self.branch2(x))
        else:
            identity, residual = x.chunk(2, dim=1)
            parts = (identity, self.branch2(residual))
        # concat + 2-group channel shuffle, as one copy
        return interleave_channels(parts)


class ShuffleNetV2Stages(StagedBackbone):
    """A stem (3x3 conv s2, max pool s2), ShuffleNet v2 stages of 4 / 8 / 4
    units at strides 8 / 16 / 32 and an optional 1x1 Conv5: what ShuffleNet
    v2 and ThunderNet's SNet share. Subclasses pick the widths.

    Args:
        stage_channels (Sequence[int]): Output channels of Stage2-4 and, if
            given, of Conv5.
        stem_channels (int): Output channels of the stem conv.
        kernel_size (int): Depthwise kernel size of every unit.
        variant, num_stages, out_indices, frozen_stages, conv_cfg, norm_cfg,
        act_cfg, norm_eval, with_cp, init_cfg: See :class:`ShuffleNetV2`.
    """

    stage_blocks = (4, 8, 4)

    def __init__(self, *, stage_channels: Sequence[int], stem_channels: int,
                 kernel_size: int, variant: str, num_stages: int,
                 out_indices: Sequence[int], frozen_stages: int, conv_cfg, norm_cfg,
                 act_cfg, norm_eval: bool, with_cp: bool, init_cfg):
        check_choice('variant', variant, ('torchvision', 'megvii'))
        super().__init__(max_stages=len(stage_channels), num_stages=num_stages,
                         out_indices=out_indices, frozen_stages=frozen_stages,
                         norm_eval=norm_eval, with_cp=with_cp, init_cfg=init_cfg)
        self.variant = variant
        common = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg, act_cfg=act_cfg)
        self.conv1 = ConvModule(3, stem_channels, 3, stride=2, padding=1, **common)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)

        self.stage_channels = list(stage_channels[:num_stages])
        self.layers = nn.ModuleList()
        in_channels = stem_channels
        for index, out_channels in enumerate(self.stage_channels):
            if index == len(self.stage_blocks):
                self.layers.append(ConvModule(in_channels, out_channels, 1, **common))
                break
            self.layers.append(nn.Sequential(*[
                ShuffleNetV2Unit(in_channels if unit == 0 else out_channels,
                                 out_channels, stride=2 if unit == 0 else 1,
                                 variant=variant, kernel_size=kernel_size, **common)
                for unit in range(self.stage_blocks[index])
            ]))
            in_channels = out_channels
        self._freeze_stages()


@MODELS.register_module()
class ShuffleNetV2(ShuffleNetV2Stages):
    """ShuffleNet v2 backbone (paper Table 5).

    Stem (3x3 conv s2, max pool s2), Stage2/3/4 of 4/8/4 units at strides
    8/16/32, and Conv5 (1x1, stride 32). ``out_indices`` 0, 1, 2 select the
    stages and 3 selects Conv5, as in mmpretrain (whose parameter names are
    kept, so its checkpoints load with ``prefix='backbone.'``).

    Args:
        widen_factor (float): 0.5, 1.0, 1.5 or 2.0.
        variant (str): Unit layout, see :class:`ShuffleNetV2Unit`:
            'torchvision' (torchvision's and mmpretrain's, the default) or
            'megvii' (the official release's, needed for its checkpoints).
        num_stages (int): Stages to build (1-4, Conv5 counts as the 4th).
            A C4 detector uses 2 and runs Stage4 + Conv5 as its RoI head.
        out_indices (Sequence[int]): Outputs to return.
        frozen_stages (int): See :class:`StagedBackbone`.
        conv_cfg, norm_cfg, act_cfg (dict): mmcv layer configs.
        norm_eval (bool): Keep BN in eval mode during training.
        with_cp (bool): Gradient checkpointing per unit.
        init_cfg (dict | list[dict], optional): mmengine initialisation.
    """

    # Stage2, Stage3, Stage4, Conv5 output channels (paper Table 5).
    arch_settings = {
        0.5: (48, 96, 192, 1024),
        1.0: (116, 232, 464, 1024),
        1.5: (176, 352, 704, 1024),
        2.0: (244, 488, 976, 2048),
    }
    stem_channels = 24

    def __init__(self,
                 widen_factor: float = 1.0,
                 variant: str = 'torchvision',
                 num_stages: int = 4,
                 out_indices: Sequence[int] = (0, 1, 2, 3),
                 frozen_stages: int = -1,
                 conv_cfg=None,
                 norm_cfg=dict(type='BN', requires_grad=True),
                 act_cfg=dict(type='ReLU'),
                 norm_eval: bool = False,
                 with_cp: bool = False,
                 init_cfg=None):
        check_choice('widen_factor', widen_factor, tuple(self.arch_settings))
        super().__init__(stage_channels=self.arch_settings[widen_factor],
                         stem_channels=self.stem_channels, kernel_size=3,
                         variant=variant, num_stages=num_stages,
                         out_indices=out_indices, frozen_stages=frozen_stages,
                         conv_cfg=conv_cfg, norm_cfg=norm_cfg, act_cfg=act_cfg,
                         norm_eval=norm_eval, with_cp=with_cp, init_cfg=init_cfg)
        self.widen_factor = widen_factor
        self.architecture = dict(type='ShuffleNetV2', widen_factor=widen_factor,
                                 variant=variant, act_cfg=act_cfg)
