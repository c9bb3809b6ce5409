"""torchvision ``shufflenet_v2_x{0_5,1_0,1_5,2_0}`` -> ShuffleNetV2.

Input: RGB in [0, 1] normalised with the ImageNet mean/std (the
``torchvision`` data preprocessor).
"""
from .common import Converted, NotThisSource, v2_widen_factor
from .rules import apply_rules, classifier, v2_branch_key

# RGB in [0, 1] with the ImageNet mean/std, as mmdet DetDataPreprocessor settings
# (images are loaded as BGR 0-255).
DATA_PREPROCESSOR = dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
                         bgr_to_rgb=True)


def _unit(match):
    return v2_branch_key(int(match['stage']) - 2, match['unit'], match['branch'],
                         int(match['index']))


RULES = [
    (r'^conv1\.0\.', 'conv1.conv.'),
    (r'^conv1\.1\.', 'conv1.bn.'),
    (r'^conv5\.0\.', 'layers.3.conv.'),
    (r'^conv5\.1\.', 'layers.3.bn.'),
    (r'^stage(?P<stage>[234])\.(?P<unit>\d+)\.(?P<branch>branch[12])\.'
     r'(?P<index>\d)\.', _unit),
]


def convert_torchvision(state_dict):
    """Rename torchvision's ShuffleNetV2 keys; the width is read from Stage2."""
    if 'stage2.1.branch2.5.weight' not in state_dict:
        raise NotThisSource('not a torchvision ShuffleNetV2 state dict: it has no '
                            '"stage2.1.branch2.5.weight"')
    width = v2_widen_factor(2 * state_dict['stage2.1.branch2.5.weight'].shape[0],
                            'torchvision')
    renamed = apply_rules(state_dict, RULES, 'fc.')
    return Converted(dict(type='ShuffleNetV2', widen_factor=width), renamed,
                     classifier(state_dict, 'fc.'))
