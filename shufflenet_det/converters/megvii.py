"""Megvii's official ShuffleNet-Series checkpoints -> this project's.

Input: BGR, 0-255, no mean/std (the ``megvii`` data preprocessor). Keys carry
DataParallel's ``module.`` prefix.

ShuffleNetV1: the official unit shuffles with the inverse permutation of the
paper's. Relabelling the channels inside each unit (between its first and
last grouped 1x1 conv) makes the paper's shuffle route every channel where
Megvii's does, exactly for the g=3 releases (the Table 7 models), which so
load into the paper's ``ShuffleNetV1``; g=8 ones load into
``variant='megvii'``. Why: docs/weights.md.

ShuffleNetV2: the official unit splits channels even/odd instead of
shuffling after the concat, and its first unit's shortcut keeps the stem's
channels; ``ShuffleNetV2(variant='megvii')`` is that layout, keys are renamed.
"""

import torch

from ..models import ShuffleNetV1
from .common import (Converted, NotThisSource, strip_prefix, v1_architecture,
                     v2_widen_factor)
from .rules import apply_rules, classifier, stage_unit, v2_branch_key

# BGR, 0-255, no mean/std, as mmdet DetDataPreprocessor settings.
DATA_PREPROCESSOR = dict(mean=[0., 0., 0.], std=[1., 1., 1.], bgr_to_rgb=False)

V1_LAYERS = {
    'branch_main_1.0': 'g_conv_1x1_compress.conv',
    'branch_main_1.1': 'g_conv_1x1_compress.bn',
    'branch_main_1.3': 'depthwise_conv3x3_bn.conv',
    'branch_main_1.4': 'depthwise_conv3x3_bn.bn',
    'branch_main_2.0': 'g_conv_1x1_expand.conv',
    'branch_main_2.1': 'g_conv_1x1_expand.bn',
}


def _v1_unit(match):
    stage, unit = stage_unit(int(match['unit']))
    return f'layers.{stage}.{unit}.{V1_LAYERS[match["layer"]]}.'


def _v2_unit(match):
    stage, unit = stage_unit(int(match['unit']))
    branch = 'branch1' if match['branch'] == 'proj' else 'branch2'
    return v2_branch_key(stage, unit, branch, int(match['index']))


STEM_RULES = [(r'^first_conv\.0\.', 'conv1.conv.'), (r'^first_conv\.1\.', 'conv1.bn.')]
V1_RULES = STEM_RULES + [
    (r'^features\.(?P<unit>\d+)\.(?P<layer>branch_main_[12]\.\d)\.', _v1_unit)
]
V2_RULES = STEM_RULES + [
    (r'^conv_last\.0\.', 'layers.3.conv.'),
    (r'^conv_last\.1\.', 'layers.3.bn.'),
    (r'^features\.(?P<unit>\d+)\.branch_(?P<branch>proj|main)\.(?P<index>\d)\.',
     _v2_unit),
]


def paper_shuffle_source(channels, groups):
    """Input channel at each output position of the paper's shuffle."""
    n = channels // groups
    return [(p % groups) * n + p // groups for p in range(channels)]


def megvii_shuffle_source(channels, groups):
    """Input channel at each output position of Megvii's shuffle."""
    n = channels // groups
    return [(p % n) * groups + p // n for p in range(channels)]


def shuffle_relabelling(channels, groups):
    """Permutations (R, S) that turn Megvii's unit into ours exactly.

    Megvii: expand(P_m(dw(compress(x)))); ours: expand(P_o(dw(compress(x)))).
    Compress (and depthwise) channel ``a`` becomes ours ``R[a]``; Megvii's shuffled
    position ``b`` becomes ours ``S[b]``; both stay within their group of
    ``channels // groups`` so the grouped 1x1 convs can absorb them. Needs
    ``P_o[S[b]] == R[P_m[b]]``, found group by group by matching the group
    each position reads from.
    """
    n = channels // groups
    ours, theirs = (paper_shuffle_source(channels, groups),
                    megvii_shuffle_source(channels, groups))
    relabel = [0] * channels
    for block in range(groups):
        free = {}
        for slot in range(block * n, (block + 1) * n):
            free.setdefault(ours[slot] // n, []).append(slot)
        for position in range(block * n, (block + 1) * n):
            slots = free.get(theirs[position] // n)
            if not slots:
                raise ValueError(f'no exact relabelling for {channels} channels '
                                 f'in {groups} groups')
            relabel[position] = slots.pop()
    compress = [0] * channels
    for position, slot in enumerate(relabel):
        compress[theirs[position]] = ours[slot]
    return compress, relabel


def unit_relabellings(state_dict, units, groups):
    """:func:`shuffle_relabelling` of every unit, or None if one has none."""
    relabellings = []
    for prefix in units:
        channels = state_dict[f'{prefix}g_conv_1x1_compress.conv.weight'].shape[0]
        try:
            relabellings.append(shuffle_relabelling(channels, groups))
        except ValueError:
            return None
    return relabellings


def _permute_unit(state_dict, prefix, groups, compress, relabel):
    """Apply a unit's :func:`shuffle_relabelling` to its weights in place."""
    compress_key = f'{prefix}g_conv_1x1_compress.'
    channels = len(compress)
    # compress / depthwise row R[a] = theirs a; expand column S[b] = theirs b.
    compress_source = torch.empty(channels, dtype=torch.long)
    compress_source[torch.tensor(compress)] = torch.arange(channels)
    expand_source = torch.empty(channels, dtype=torch.long)
    expand_source[torch.tensor(relabel)] = torch.arange(channels)
    for key in [k for k in state_dict if k.startswith(
            (compress_key, f'{prefix}depthwise_conv3x3_bn.'))]:
        if state_dict[key].ndim:
            state_dict[key] = state_dict[key][compress_source]
    expand_key = f'{prefix}g_conv_1x1_expand.conv.weight'
    weight = state_dict[expand_key]
    n, per_group = channels // groups, weight.shape[0] // groups
    permuted = torch.empty_like(weight)
    for group in range(groups):
        rows = slice(group * per_group, (group + 1) * per_group)
        columns = expand_source[group * n:(group + 1) * n] - group * n
        permuted[rows] = weight[rows][:, columns]
    state_dict[expand_key] = permuted


def convert_megvii(state_dict):
    """Official ShuffleNetV1 (g=3, g=8) or ShuffleNetV2 -> this project's."""
    state_dict = strip_prefix(state_dict, 'module.')
    head = classifier(state_dict, 'classifier.0.')
    if 'features.0.branch_main_1.0.weight' in state_dict:
        renamed = apply_rules(state_dict, V1_RULES, 'classifier.')
        cfg = v1_architecture(renamed, 'megvii')
        units = [f'layers.{stage}.{unit}.'
                 for stage, blocks in enumerate(ShuffleNetV1.stage_blocks)
                 for unit in range(blocks)]
        if cfg['groups'] > 1:
            relabellings = unit_relabellings(renamed, units, cfg['groups'])
            if relabellings is None:
                cfg['variant'] = 'megvii'
            else:
                for unit, relabelling in zip(units, relabellings):
                    _permute_unit(renamed, unit, cfg['groups'], *relabelling)
    elif 'features.0.branch_main.0.weight' in state_dict:
        kernel = state_dict['features.0.branch_main.3.weight'].shape[-1]
        if kernel != 3:  # e.g. ThunderNet's SNet, Megvii's layout with 5x5
            raise NotThisSource(f'not a Megvii ShuffleNetV2 checkpoint: its '
                                f'depthwise convs are {kernel}x{kernel}')
        renamed = apply_rules(state_dict, V2_RULES, 'classifier.')
        stage2 = renamed['layers.0.1.branch2.2.conv.weight'].shape[0] * 2
        cfg = dict(type='ShuffleNetV2', variant='megvii',
                   widen_factor=v2_widen_factor(stage2, 'megvii'))
    else:
        raise NotThisSource('not a Megvii ShuffleNet-Series checkpoint: no '
                            '"features.0.branch_main_1" (V1) or "features.0.'
                            'branch_main" (V2) weights')
    return Converted(cfg, renamed, head)
