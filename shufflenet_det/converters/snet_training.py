"""ThunderNet's official SNet ImageNet checkpoint (``snet-training``) ->
this project's ``SNet``.

The official ``snet-training/network.py`` is Megvii's ShuffleNetV2 code with
5x5 depthwise convs, the units under ``stage.{stage}.{unit}`` and the
branches renamed ``branch`` (main) and ``branch_left`` (shortcut), without
Conv5; keys carry DataParallel's ``module.`` prefix. Its layout is the
``megvii`` unit variant. Input: BGR, 0-255, no mean/std (``ToBGRTensor``).
"""
from ..models import SNet
from .common import Converted, NotThisSource, strip_prefix
from .megvii import STEM_RULES
from .rules import apply_rules, classifier, v2_branch_key

# BGR, 0-255, no mean/std, as mmdet DetDataPreprocessor settings.
DATA_PREPROCESSOR = dict(mean=[0., 0., 0.], std=[1., 1., 1.], bgr_to_rgb=False)


def _unit(match):
    branch = 'branch1' if match['branch'] == 'branch_left' else 'branch2'
    return v2_branch_key(int(match['stage']), int(match['unit']), branch,
                         int(match['index']))


RULES = STEM_RULES + [
    (r'^conv_last\.0\.', 'layers.3.conv.'),
    (r'^conv_last\.1\.', 'layers.3.bn.'),
    (r'^stage\.(?P<stage>[012])\.(?P<unit>\d+)\.(?P<branch>branch_left|branch)\.'
     r'(?P<index>\d)\.', _unit),
]


def convert_thundernet(state_dict):
    """Rename the official SNet keys; the arch is read from Stage2's width."""
    state_dict = strip_prefix(state_dict, 'module.')
    if 'stage.0.1.branch.5.weight' not in state_dict:
        raise NotThisSource('not a ThunderNet snet-training checkpoint: it has no '
                            '"stage.0.1.branch.5.weight"')
    stage2 = 2 * state_dict['stage.0.1.branch.5.weight'].shape[0]
    archs = {settings[0][0]: arch for arch, settings in SNet.arch_settings.items()}
    if stage2 not in archs:
        raise ValueError(f'ThunderNet checkpoint has {stage2} Stage2 channels; SNet '
                         f'archs have {dict((a, c) for c, a in archs.items())}')
    renamed = apply_rules(state_dict, RULES, 'classifier.')
    return Converted(dict(type='SNet', arch=archs[stage2], variant='megvii'), renamed,
                     classifier(state_dict, 'classifier.0.'))
