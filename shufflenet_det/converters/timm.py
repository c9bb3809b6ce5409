"""timm ``mobilenetv1_100`` (and its other widths) -> MobileNetV1.

timm's MobileNet v1 uses ReLU6, so the backbone config gets
``act_cfg=dict(type='ReLU6')``. Input: RGB in [0, 1] normalised with mean
and std 0.5 (the ``timm`` data preprocessor).
"""
from ..models import MobileNetV1
from .common import Converted, NotThisSource
from .rules import apply_rules, classifier

# RGB in [0, 1] with mean = std = 0.5, as mmdet DetDataPreprocessor settings.
DATA_PREPROCESSOR = dict(mean=[127.5, 127.5, 127.5], std=[127.5, 127.5, 127.5],
                         bgr_to_rgb=True)

RULES = [
    (r'^conv_stem\.', 'conv1.conv.'),
    (r'^bn1\.', 'conv1.bn.'),
    (r'^blocks\.(\d)\.(\d+)\.conv_dw\.', r'layers.\1.\2.depthwise_conv.conv.'),
    (r'^blocks\.(\d)\.(\d+)\.bn1\.', r'layers.\1.\2.depthwise_conv.bn.'),
    (r'^blocks\.(\d)\.(\d+)\.conv_pw\.', r'layers.\1.\2.pointwise_conv.conv.'),
    (r'^blocks\.(\d)\.(\d+)\.bn2\.', r'layers.\1.\2.pointwise_conv.bn.'),
]


def convert_timm(state_dict):
    """Rename timm's MobileNet v1 keys; the width is read from the first block."""
    if 'blocks.0.0.conv_pw.weight' not in state_dict:
        raise NotThisSource('not a timm MobileNet v1 state dict: it has no '
                            '"blocks.0.0.conv_pw.weight"')
    first_block = MobileNetV1.arch_settings[0][0]
    width = state_dict['blocks.0.0.conv_pw.weight'].shape[0] / first_block
    renamed = apply_rules(state_dict, RULES, 'classifier.')
    cfg = dict(type='MobileNetV1', widen_factor=width, act_cfg=dict(type='ReLU6'))
    return Converted(cfg, renamed, classifier(state_dict, 'classifier.'))
