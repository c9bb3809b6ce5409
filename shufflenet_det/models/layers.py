"""Building blocks shared by the backbones."""
import copy
from typing import Sequence

import torch
from mmcv.cnn import build_activation_layer
from torch import Tensor, nn

# Activations that can overwrite their input (as ConvModule builds them).
INPLACE_ACTIVATIONS = ('ReLU', 'ReLU6', 'LeakyReLU', 'ELU')


def channel_shuffle(x: Tensor, groups: int) -> Tensor:
    """Shuffle channels so that each group sees every other group's output.

    ShuffleNet v1, Sec. 3.1: reshape the channel axis to (groups, n),
    transpose it to (n, groups) and flatten it back. Done as one copy into a
    tensor of the input's memory format: ``reshape`` would return an NCHW
    tensor for a channels_last input, and every later layer would then pay
    for mixed layouts.
    """
    batch, channels, height, width = x.shape
    if channels % groups:
        raise ValueError(f'channels={channels} is not divisible by groups={groups}')
    out = torch.empty_like(x)
    n = channels // groups
    out.view(batch, n, groups, height, width).copy_(
        x.view(batch, groups, n, height, width).transpose(1, 2))
    return out


def interleave_channels(parts: Sequence[Tensor]) -> Tensor:
    """``channel_shuffle(torch.cat(parts, 1), len(parts))`` in one copy.

    Channel ``i`` of part ``j`` becomes channel ``i * len(parts) + j``; the
    result has the first part's memory format.
    """
    first = parts[0]
    batch, channels, height, width = first.shape
    for part in parts[1:]:
        if part.shape != first.shape:
            raise ValueError('interleave_channels needs equal shapes, got '
                             f'{tuple(first.shape)} and {tuple(part.shape)}')
    # Channels vary fastest in NHWC, also in a view such as ``x.chunk(2, 1)``.
    memory_format = (torch.channels_last if first.stride(1) < first.stride(3)
                     else torch.contiguous_format)
    out = first.new_empty((batch, channels * len(parts), height, width)).contiguous(
        memory_format=memory_format)
    slots = out.view(batch, channels, len(parts), height, width)
    for index, part in enumerate(parts):
        slots[:, :, index].copy_(part)
    return out


def build_inplace_activation(act_cfg: dict) -> nn.Module:
    """The activation of ``act_cfg``, overwriting its input where it can
    (a residual sum is never needed again), as ConvModule does."""
    act_cfg = copy.deepcopy(act_cfg)
    if act_cfg['type'] in INPLACE_ACTIVATIONS:
        act_cfg.setdefault('inplace', True)
    return build_activation_layer(act_cfg)
