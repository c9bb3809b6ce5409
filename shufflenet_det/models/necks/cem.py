"""ThunderNet's Context Enhancement Module (Qin et al., ICCV 2019, Sec. 3.3)."""
from typing import Sequence, Tuple

import torch.nn.functional as F
from mmcv.cnn import build_norm_layer
from mmdet.registry import MODELS
from mmengine.model import BaseModule
from torch import Tensor, nn


@MODELS.register_module()
class CEM(BaseModule):
    """The finest map + the coarser ones upsampled to it + global context of
    the coarsest, each by a 1x1 conv.

    ThunderNet's merges C4, C5 upsampled 2x (nearest) and C5's global
    average pool broadcast over the map into one stride-16 map for the light
    RPN and the PSRoIAlign. Given C3, C4 and C5 it adds C4 upsampled 2x and
    C5 4x to C3: the same context on a stride-8 map, where objects under
    32 px cover several cells (the small-object ThunderNet; not in the
    paper). No norm or activation by default, as in the paper and the
    official code (whose convs have a bias and Xavier-uniform init, kept
    here); with ``norm_cfg`` each branch is normalised before the sum (its
    conv then without bias), for training from scratch (He et al.,
    "Rethinking ImageNet Pre-training", normalise neck and heads). The convs
    are named by the map they read: ``c4_conv``, ``c5_conv``, ``global_conv``
    (and ``c3_conv``), their norms ``c4_norm``, ...

    Args:
        in_channels (Sequence[int]): Channels of the maps, finest first, each
            at half the resolution of the one before: C4, C5 (strides 16,
            32) or C3, C4, C5 (strides 8, 16, 32).
        out_channels (int): 245 in ThunderNet: 5 channels x 7 x 7 bins for
            the PSRoIAlign.
        norm_cfg (dict, optional): mmcv norm layer of each branch, e.g.
            ``dict(type='GN', num_groups=...)``; None: none (the paper).
        init_cfg (dict | list[dict], optional): mmengine initialisation.
    """

    def __init__(self, in_channels: Sequence[int] = (264, 528),
                 out_channels: int = 245,
                 norm_cfg=None,
                 init_cfg=dict(type='Xavier', layer='Conv2d', distribution='uniform')):
        super().__init__(init_cfg=init_cfg)
        if len(in_channels) not in (2, 3):
            raise ValueError(f'in_channels={in_channels!r}: the CEM takes two maps '
                             '(C4, C5) or three (C3, C4, C5)')
        self.in_channels = tuple(in_channels)
        self.out_channels = out_channels
        self.names = [f'c{6 - len(in_channels) + i}' for i in range(len(in_channels))]
        for name, channels in zip(self.names + ['global'],
                                  [*in_channels, in_channels[-1]]):
            self.add_module(f'{name}_conv', nn.Conv2d(channels, out_channels, 1,
                                                      bias=norm_cfg is None))
            if norm_cfg is not None:
                self.add_module(f'{name}_norm',
                                build_norm_layer(norm_cfg, out_channels)[1])

    def _branch(self, name: str, x: Tensor) -> Tensor:
        x = getattr(self, f'{name}_conv')(x)
        norm = getattr(self, f'{name}_norm', None)
        return x if norm is None else norm(x)

    def forward(self, inputs: Sequence[Tensor]) -> Tuple[Tensor]:
        names = [n.upper() for n in self.names]
        needs = ' and '.join([', '.join(names[:-1]), names[-1]])
        if len(inputs) != len(names):
            raise ValueError(f'the CEM got {len(inputs)} feature maps; it needs '
                             f'{needs}: set the backbone\'s out_indices to those '
                             'stages')
        finest = tuple(inputs[0].shape[-2:])
        if any(tuple(s * 2**level for s in x.shape[-2:]) != finest
               for level, x in enumerate(inputs)):
            got = ' and '.join(f'{n} {tuple(x.shape[-2:])}'
                               for n, x in zip(names, inputs))
            raise ValueError(
                f'the CEM needs each of {needs} at half the resolution of the one '
                f'before, got {got}: the input height and width must be multiples '
                'of 32 (pad_size_divisor=32)')
        out = 0
        for level, (name, x) in enumerate(zip(self.names, inputs)):
            x = self._branch(name, x)
            out = out + (F.interpolate(x, scale_factor=2.**level, mode='nearest')
                         if level else x)
        context = self._branch('global', inputs[-1].mean(dim=(2, 3), keepdim=True))
        return (out + context, )  # in the official code's order: C4 + C5 + context
