"""Key renaming by regular-expression rules."""
import re
from collections import OrderedDict

# ShuffleNet v2 branches as nn.Sequential (torchvision, Megvii): layer index
# -> (ConvModule index, 'conv' | 'bn') in this project's (mmpretrain's) names.
V2_BRANCH_LAYERS = {
    'branch1': {0: (0, 'conv'), 1: (0, 'bn'), 2: (1, 'conv'), 3: (1, 'bn')},
    'branch2': {0: (0, 'conv'), 1: (0, 'bn'), 3: (1, 'conv'), 4: (1, 'bn'),
                5: (2, 'conv'), 6: (2, 'bn')},
}


def v2_branch_key(stage, unit, branch, index):
    module, layer = V2_BRANCH_LAYERS[branch][index]
    return f'layers.{stage}.{unit}.{branch}.{module}.{layer}.'


def apply_rules(state_dict, rules, head_prefix):
    """Rename every key by the first matching (pattern, replacement) rule.

    Keys under ``head_prefix`` (the ImageNet classifier) are left out; any
    other key no rule matches is kept as ``unconverted.{key}``, so that the
    completeness check lists it instead of it being dropped silently.
    """
    renamed = OrderedDict()
    compiled = [(re.compile(pattern), replacement) for pattern, replacement in rules]
    for key, value in state_dict.items():
        for pattern, replacement in compiled:
            if pattern.match(key):
                renamed[pattern.sub(replacement, key, count=1)] = value
                break
        else:
            if not key.startswith(head_prefix):
                renamed[f'unconverted.{key}'] = value
    return renamed


def stage_unit(index, stage_blocks=(4, 8, 4)):
    """Flat unit index (Megvii's ``features.i``) -> (stage, unit)."""
    for stage, blocks in enumerate(stage_blocks):
        if index < blocks:
            return stage, index
        index -= blocks
    raise ValueError(f'unit index beyond the {sum(stage_blocks)} units')


def classifier(state_dict, prefix):
    """The FC layer under ``prefix`` (bias zero if it has none)."""
    weight = state_dict.get(prefix + 'weight')
    if weight is None:
        return OrderedDict()
    bias = state_dict.get(prefix + 'bias', weight.new_zeros(weight.shape[0]))
    return OrderedDict(weight=weight, bias=bias)
