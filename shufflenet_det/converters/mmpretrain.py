"""mmpretrain / mmcls ShuffleNetV1 and ShuffleNetV2 -> this project's.

The backbones share mmpretrain's parameter names, so only the ``backbone.``
prefix and the head go. Input: RGB, ImageNet mean/std on 0-255 (the
``mmpretrain`` data preprocessor).
"""
from .common import Converted, strip_prefix, v1_architecture, v2_widen_factor
from .rules import classifier


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
