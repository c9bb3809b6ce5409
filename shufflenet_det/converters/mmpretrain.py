"""mmpretrain / mmcls ShuffleNetV1 and ShuffleNetV2 -> this project's.

The backbones share mmpretrain's parameter names, so only the ``backbone.``
prefix and the head go. Input: RGB, ImageNet mean/std on 0-255 (the
``mmpretrain`` data preprocessor).
"""
from .common import (Converted, NotThisSource, strip_prefix, v1_architecture,
                     v2_widen_factor)
from .rules import classifier

# RGB with the ImageNet mean/std on 0-255, as mmdet DetDataPreprocessor settings.
DATA_PREPROCESSOR = dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
                         bgr_to_rgb=True)


def convert_mmpretrain(state_dict):
    """Strip ``backbone.``; read the architecture from the weights.

    A checkpoint with keys outside ``backbone.`` and ``head.`` (an mmdet
    detector's) is not mmpretrain's ImageNet classifier.
    """
    others = [k for k in state_dict if not k.startswith(('backbone.', 'head.'))]
    if others and len(others) < len(state_dict):
        raise NotThisSource(f'not an mmpretrain ImageClassifier checkpoint: it '
                            f'has keys outside backbone. and head. ({others[0]})')
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
        raise NotThisSource('not an mmpretrain ShuffleNetV1/V2 checkpoint: no '
                            '"backbone.layers.0.1.g_conv_1x1_expand" or '
                            '"backbone.layers.0.1.branch2" weights')
    return Converted(cfg, backbone, head)
