"""Inference-only speed-ups that leave the computed function unchanged."""
import torch
from mmcv.cnn import fuse_conv_bn
from mmcv.ops import RoIAlign, RoIPool
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from ..models.backbones.shufflenet_v1 import ShuffleUnit
from ..models.layers import channel_shuffle
from ..ops import SeparableRoIAlign

# BN classes whose forward is plain batch normalisation, which folding keeps
PLAIN_BATCH_NORM_FORWARDS = (_BatchNorm.forward, nn.SyncBatchNorm.forward)


def optimize_for_inference(model: nn.Module,
                           fuse_bn: bool = True,
                           channels_last: bool = True,
                           separable_roi_align: bool = True) -> nn.Module:
    """Make ``model`` (a backbone or a whole detector) faster on CPU.

    Changes ``model`` in place, puts it in eval mode and returns it; outputs
    stay those of the unoptimised model up to float rounding
    (tests/deploy/test_optimize.py).

    Args:
        model (nn.Module): Any module; only its convs, BN layers and
            parameters' memory format are touched.
        fuse_bn (bool): Fold every BatchNorm into the convolution before it
            (mmcv's ``fuse_conv_bn``), saving a pass over each feature map.
            The BN layers are gone afterwards, so the model refuses to run
            in training mode. BN subclasses with a forward of their own
            (timm's BatchNormAct2d) are refused with a ValueError.
        channels_last (bool): Store 4-d parameters as NHWC, so that
            activations follow: oneDNN's depthwise and grouped convolutions
            are several times faster in it than in NCHW on CPU. mmcv's CPU
            RoIAlign / RoIPool read their input as NCHW whatever its strides
            (silently wrong on NHWC), so they get contiguous NCHW input.
        separable_roi_align (bool): Replace every mmcv ``RoIAlign`` by
            :class:`SeparableRoIAlign`, the same function as BLAS products
            on NHWC features: 6-9x faster than mmcv's single-threaded CPU
            kernel on a C4 detector's 300 RoIs.
    """
    if fuse_bn:
        _check_plain_batch_norm(model)  # before anything changes
    model.eval()
    if fuse_bn:
        fuse_conv_bn(model)
        model.register_forward_pre_hook(_refuse_training)
    if separable_roi_align:
        _replace_roi_align(model)
    if channels_last:
        model.to(memory_format=torch.channels_last)
        for module in model.modules():
            if (isinstance(module, (RoIAlign, RoIPool))
                    and not isinstance(module, SeparableRoIAlign)):
                module.register_forward_pre_hook(_nchw_input)
    return model


def _check_plain_batch_norm(model: nn.Module):
    """Folding replaces a BN layer by the identity: refuse BN subclasses that
    do more (timm's BatchNormAct2d also applies its activation)."""
    for name, module in model.named_modules():
        if (isinstance(module, _BatchNorm)
                and type(module).forward not in PLAIN_BATCH_NORM_FORWARDS):
            raise ValueError(
                f'optimize_for_inference(fuse_bn=True) cannot fold {name!r}: '
                f'{type(module).__module__}.{type(module).__name__} overrides '
                'BatchNorm\'s forward, and folding would drop what it adds; '
                'allowed: BatchNorm1d/2d/3d, SyncBatchNorm. Pass fuse_bn=False')


def _replace_roi_align(model: nn.Module):
    found = [(parent, name, child) for parent in model.modules()
             for name, child in parent.named_children()
             if type(child) is RoIAlign]
    for parent, name, child in found:
        setattr(parent, name, SeparableRoIAlign(
            child.output_size, child.spatial_scale, child.sampling_ratio,
            child.pool_mode, child.aligned, child.use_torchvision))


def _nchw_input(module: nn.Module, args):
    return (args[0].contiguous(), *args[1:])


def _refuse_training(module: nn.Module, args):
    if module.training:
        raise RuntimeError(
            f'{type(module).__name__} had its BatchNorm layers folded into its '
            'convolutions by optimize_for_inference (fuse_bn=True) and cannot '
            'be trained; build a new model to train')


def densify_grouped_convs(model: nn.Module, fold_shuffle: bool = True) -> nn.Module:
    """Replace every grouped, not depthwise, 1x1 convolution of ``model`` by
    a dense one with block-diagonal weights (zeros outside the groups): the
    same function with ``groups`` times the multiply-adds, for int8 engines
    whose dense 1x1 kernels are much faster than their grouped ones and
    channel shuffles (docs/deploy.md, int8). With ``fold_shuffle``, the
    channel shuffle of each ShuffleNet v1 unit goes into the columns of the
    dense conv after it, and is gone from the graph. Changes ``model`` in
    place, eval mode, and returns it."""
    model.eval()
    for unit in model.modules():
        if fold_shuffle and isinstance(unit, ShuffleUnit) and unit.groups > 1:
            conv = unit.g_conv_1x1_expand.conv
            channels = conv.in_channels
            groups = channels // unit.groups if unit.inverse_shuffle else unit.groups
            # the shuffle's own rule, applied to channel indices
            order = channel_shuffle(
                torch.arange(channels, dtype=torch.float).view(1, -1, 1, 1), groups)
            dense = _dense_conv(conv)
            with torch.no_grad():
                weight = dense.weight.clone()
                dense.weight[:, order.flatten().long()] = weight
            unit.g_conv_1x1_expand.conv = dense
            unit.groups = 1  # its forward shuffles only with groups > 1
    found = [(parent, name, child) for parent in model.modules()
             for name, child in parent.named_children()
             if type(child) is nn.Conv2d and 1 < child.groups < child.in_channels
             and child.kernel_size == (1, 1)]
    for parent, name, conv in found:
        setattr(parent, name, _dense_conv(conv))
    return model


def _dense_conv(conv: nn.Conv2d) -> nn.Conv2d:
    """``conv`` (1x1, grouped) as a dense conv with block-diagonal weights."""
    dense = nn.Conv2d(conv.in_channels, conv.out_channels, 1, conv.stride,
                      conv.padding, conv.dilation, bias=conv.bias is not None)
    dense.to(conv.weight)
    cin, cout = conv.in_channels // conv.groups, conv.out_channels // conv.groups
    with torch.no_grad():
        dense.weight.zero_()
        for group in range(conv.groups):
            dense.weight[group * cout:(group + 1) * cout,
                         group * cin:(group + 1) * cin] = \
                conv.weight[group * cout:(group + 1) * cout]
        if conv.bias is not None:
            dense.bias.copy_(conv.bias)
    return dense
