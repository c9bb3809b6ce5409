"""What the converters share: the result type, reading the architecture
from the weights, and checking the result."""
from collections import OrderedDict
from typing import NamedTuple

from mmdet.registry import MODELS

from ..models import ShuffleNetV1, ShuffleNetV2


class NotThisSource(ValueError):
    """Raised by a converter given keys of another layout than its source's:
    the next source is tried (``converters.recognise_source``)."""


class Converted(NamedTuple):
    """A converted checkpoint: the backbone config it loads into, its state
    dict (this project's names), and the ImageNet classifier (``weight``,
    ``bias``) if the source had one."""
    backbone_cfg: dict
    state_dict: OrderedDict
    classifier: OrderedDict


def v1_architecture(state_dict, source):
    """groups, widen_factor and stem of a ShuffleNetV1 state dict in this
    project's names."""
    expand = state_dict['layers.0.1.g_conv_1x1_expand.conv.weight']
    compress = state_dict['layers.0.1.g_conv_1x1_compress.conv.weight']
    stage2 = expand.shape[0]
    groups = stage2 // compress.shape[1]
    if groups not in ShuffleNetV1.stage2_channels_1x:
        raise ValueError(f'{source} checkpoint: Stage2 has {stage2} channels in '
                         f'{groups} groups; ShuffleNetV1 groups are '
                         f'{tuple(ShuffleNetV1.stage2_channels_1x)}')
    width = stage2 / ShuffleNetV1.stage2_channels_1x[groups]
    cfg = dict(type='ShuffleNetV1', groups=groups, widen_factor=width)
    stem = state_dict['conv1.conv.weight'].shape[0]
    if stem != ShuffleNetV1.stem_channels_by_width.get(width, 0) // groups * groups:
        cfg['stem_channels'] = stem  # e.g. mmpretrain's 1.5x (36) or Megvii's 0.5x g8
    return cfg


def v2_widen_factor(stage2_channels, source):
    """ShuffleNetV2 width with this many Stage2 channels."""
    for width, channels in ShuffleNetV2.arch_settings.items():
        if channels[0] == stage2_channels:
            return width
    allowed = {w: c[0] for w, c in ShuffleNetV2.arch_settings.items()}
    raise ValueError(f'{source} checkpoint has {stage2_channels} Stage2 channels; '
                     f'ShuffleNetV2 widths have {allowed}')


def strip_prefix(state_dict, prefix):
    """Drop ``prefix`` from every key that has it (others are kept)."""
    return OrderedDict((k[len(prefix):] if k.startswith(prefix) else k, v)
                       for k, v in state_dict.items())


def check_state_dict(state_dict, backbone_cfg):
    """Raise ValueError listing every key and shape that differs from the
    backbone built from ``backbone_cfg``; never a silent partial load."""
    expected = MODELS.build(dict(backbone_cfg, init_cfg=None)).state_dict()
    missing = sorted(set(expected) - set(state_dict))
    unexpected = sorted(set(state_dict) - set(expected))
    mismatched = [
        f'{key}: checkpoint {tuple(value.shape)} != model '
        f'{tuple(expected[key].shape)}' for key, value in state_dict.items()
        if key in expected and value.shape != expected[key].shape
    ]
    problems = [(f'{len(missing)} missing', missing),
                (f'{len(unexpected)} unexpected', unexpected),
                (f'{len(mismatched)} of another shape', mismatched)]
    problems = [(title, items) for title, items in problems if items]
    if problems:
        details = '; '.join(f"{title}: {', '.join(items[:8])}"
                            + (' ...' if len(items) > 8 else '')
                            for title, items in problems)
        raise ValueError(f'checkpoint does not match {backbone_cfg}: {details}')
