"""ThunderNet's Context Enhancement Module (Qin et al., ICCV 2019, Sec. 3.3)."""
from typing import Sequence, Tuple

import torch.nn.functional as F
from mmdet.registry import MODELS
from mmengine.model import BaseModule
from torch import Tensor, nn


@MODELS.register_module()
class CEM(BaseModule):
    """C4 + 2x-upsampled C5 + global context of C5, each by a 1x1 conv.

    Merges three scales into one stride-16 map for the light RPN and the
    PSRoIAlign: a 1x1 conv of C4, a 1x1 conv of C5 upsampled 2x (nearest),
    and a 1x1 conv of C5's global average pool broadcast over the map,
    summed. No norm or activation, as in the paper and the official code
    (whose convs have a bias and Xavier-uniform init, kept here).

    Args:
        in_channels (Sequence[int]): Channels of C4 and C5 (stride 16, 32).
        out_channels (int): 245 in ThunderNet: 5 channels x 7 x 7 bins for
            the PSRoIAlign.
        init_cfg (dict | list[dict], optional): mmengine initialisation.
    """

    def __init__(self, in_channels: Sequence[int] = (264, 528),
                 out_channels: int = 245,
                 init_cfg=dict(type='Xavier', layer='Conv2d', distribution='uniform')):
        super().__init__(init_cfg=init_cfg)
        if len(in_channels) != 2:
            raise ValueError(f'in_channels={in_channels!r}: the CEM takes two maps, '
                             'C4 (stride 16) and C5 (stride 32)')
        self.in_channels = tuple(in_channels)
        self.out_channels = out_channels
        self.c4_conv = nn.Conv2d(in_channels[0], out_channels, 1)
        self.c5_conv = nn.Conv2d(in_channels[1], out_channels, 1)
        self.global_conv = nn.Conv2d(in_channels[1], out_channels, 1)

    def forward(self, inputs: Sequence[Tensor]) -> Tuple[Tensor]:
        if len(inputs) != 2:
            raise ValueError(f'the CEM got {len(inputs)} feature maps; it needs C4 '
                             'and C5: set the backbone\'s out_indices to the '
                             'stride-16 and stride-32 outputs')
        c4, c5 = inputs
        if tuple(c4.shape[-2:]) != tuple(2 * s for s in c5.shape[-2:]):
            raise ValueError(
                f'the CEM needs C5 at half the resolution of C4, got C4 '
                f'{tuple(c4.shape[-2:])} and C5 {tuple(c5.shape[-2:])}: the input '
                'height and width must be multiples of 32 (pad_size_divisor=32)')
        upsampled = F.interpolate(self.c5_conv(c5), scale_factor=2., mode='nearest')
        context = self.global_conv(c5.mean(dim=(2, 3), keepdim=True))
        return (self.c4_conv(c4) + upsampled + context, )
