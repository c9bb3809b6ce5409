"""torchvision ``shufflenet_v2_x{0_5,1_0,1_5,2_0}`` -> ShuffleNetV2.

Input: RGB in [0, 1] normalised with the ImageNet mean/std (the
``torchvision`` data preprocessor).
"""
from ..models import ShuffleNetV2
from .rules import Converted, apply_rules, classifier, v2_branch_key


def v2_widen_factor(stage2_channels, source):
    """ShuffleNetV2 width with this many Stage2 channels."""
    for width, channels in ShuffleNetV2.arch_settings.items():
        if channels[0] == stage2_channels:
            return width
    allowed = {w: c[0] for w, c in ShuffleNetV2.arch_settings.items()}
    raise ValueError(f'{source} checkpoint has {stage2_channels} Stage2 channels; '
                     f'ShuffleNetV2 widths have {allowed}')


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
        raise ValueError('not a torchvision ShuffleNetV2 state dict: it has no '
                         '"stage2.1.branch2.5.weight"')
    width = v2_widen_factor(2 * state_dict['stage2.1.branch2.5.weight'].shape[0],
                            'torchvision')
    renamed = apply_rules(state_dict, RULES, 'fc.')
    return Converted(dict(type='ShuffleNetV2', widen_factor=width), renamed,
                     classifier(state_dict, 'fc.'))
