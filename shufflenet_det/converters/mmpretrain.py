"""mmpretrain / mmcls ShuffleNetV1 and ShuffleNetV2 -> this project's.

The backbones share mmpretrain's parameter names, so only the ``backbone.``
prefix and the head go. Input: RGB, ImageNet mean/std on 0-255 (the
``mmpretrain`` data preprocessor).
"""
from ..models import ShuffleNetV1
from .common import strip_prefix
from .rules import Converted, classifier
from .torchvision import v2_widen_factor


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


def convert_mmpretrain(state_dict):
    """Strip ``backbone.``; read the architecture from the weights."""
    backbone = strip_prefix(state_dict, 'backbone.')
    head = classifier(state_dict, 'head.fc.')
    backbone = type(backbone)((k, v) for k, v in backbone.items()
                              if not k.startswith('head.'))
    if 'layers.0.1.g_conv_1x1_expand.conv.weight' in backbone:
        cfg = v1_architecture(backbone, 'mmpretrain')
    elif 'layers.0.1.branch2.2.conv.weight' in backbone:
        stage2 = 2 * backbone['layers.0.1.branch2.2.conv.weight'].shape[0]
        cfg = dict(type='ShuffleNetV2',
                   widen_factor=v2_widen_factor(stage2, 'mmpretrain'))
    else:
        raise ValueError('not an mmpretrain ShuffleNetV1/V2 checkpoint: no '
                         '"backbone.layers.0.1.g_conv_1x1_expand" or '
                         '"backbone.layers.0.1.branch2" weights')
    return Converted(cfg, backbone, head)
