"""Building blocks shared by the backbones."""
import copy
from typing import Sequence, Tuple

import torch
from mmcv.cnn import build_activation_layer
from torch import Tensor, nn

# Activations that can overwrite their input (as ConvModule builds them).
INPLACE_ACTIVATIONS = ('ReLU', 'ReLU6', 'LeakyReLU', 'ELU')


def channel_shuffle(x: Tensor, groups: int) -> Tensor:
    """Shuffle channels so that each group sees every other group's output.

    ShuffleNet v1, Sec. 3.1: reshape the channel axis to (groups, n),
    transpose it to (n, groups) and flatten it back. One copy, made in the
    input's memory format: a plain ``reshape`` of a channels_last tensor
    returns NCHW, and every later layer would then pay for mixed layouts.
    Only views, a transpose and a reshape to the input's (traced) shape, so
    that both ``torch.onnx`` exporters record it exactly, with a dynamic
    batch (the TorchScript-based exporter drops in-place copies into views,
    and records ``flatten`` of some dims with its traced, fixed shape).
    """
    channels = x.shape[1]
    if channels % groups:
        raise ValueError(f'channels={channels} is not divisible by groups={groups}')
    nhwc = is_nhwc(x)
    dim = 3 if nhwc else 1
    if nhwc:
        x = x.permute(0, 2, 3, 1)
    shape = list(x.shape)
    split = shape[:dim] + [groups, -1] + shape[dim + 1:]
    out = x.reshape(split).transpose(dim, dim + 1).reshape(shape)
    return out.permute(0, 3, 1, 2) if nhwc else out


def interleave_channels(parts: Sequence[Tensor]) -> Tensor:
    """``channel_shuffle(torch.cat(parts, 1), len(parts))`` in one copy.

    Channel ``i`` of part ``j`` becomes channel ``i * len(parts) + j``; the
    result has the first part's memory format.
    """
    first = parts[0]
    for part in parts[1:]:
        if part.shape != first.shape:
            raise ValueError('interleave_channels needs equal shapes, got '
                             f'{tuple(first.shape)} and {tuple(part.shape)}')
    nhwc = is_nhwc(first)
    dim = 3 if nhwc else 1
    if nhwc:
        parts = [part.permute(0, 2, 3, 1) for part in parts]
    shape = list(parts[0].shape)
    shape[dim] = -1
    out = torch.stack(parts, dim + 1).reshape(shape)
    return out.permute(0, 3, 1, 2) if nhwc else out


def split_even_odd(x: Tensor) -> Tuple[Tensor, Tensor]:
    """``x[:, 0::2], x[:, 1::2]``: ShuffleNet v2's split in Megvii's layout.

    PyTorch takes strided views (no copy). Under ONNX export the channels
    are transposed into the two halves and split: the same values, and
    OpenVINO runs a transpose with a JIT kernel where it runs strided
    ``Slice`` with its reference one (docs/thundernet.md).
    """
    if not torch.onnx.is_in_onnx_export():
        return x[:, 0::2], x[:, 1::2]
    shape = list(x.shape)  # traced: the batch stays dynamic
    pairs = x.reshape(shape[0], shape[1] // 2, 2, *shape[2:]).transpose(1, 2)
    return pairs.reshape(shape).chunk(2, 1)


def is_nhwc(x: Tensor) -> bool:
    """Whether channels vary fastest in memory (channels_last), also in a
    view such as ``x.chunk(2, 1)``."""
    return x.stride(1) < x.stride(3)


def build_inplace_activation(act_cfg: dict) -> nn.Module:
    """The activation of ``act_cfg``, overwriting its input where it can
    (a residual sum is never needed again), as ConvModule does."""
    act_cfg = copy.deepcopy(act_cfg)
    if act_cfg['type'] in INPLACE_ACTIVATIONS:
        act_cfg.setdefault('inplace', True)
    return build_activation_layer(act_cfg)
