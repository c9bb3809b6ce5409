"""Checking and saving converted checkpoints, shared by the converters."""
import json
import os
from collections import OrderedDict

import torch
from mmdet.registry import MODELS

from ..models.pretrained import META_KEY

# Input normalisation each source's weights were trained with, as mmdet
# DetDataPreprocessor settings (images are loaded as BGR 0-255).
DATA_PREPROCESSORS = dict(
    torchvision=dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
                     bgr_to_rgb=True),
    mmpretrain=dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375],
                    bgr_to_rgb=True),
    megvii=dict(mean=[0., 0., 0.], std=[1., 1., 1.], bgr_to_rgb=False),
    timm=dict(mean=[127.5, 127.5, 127.5], std=[127.5, 127.5, 127.5],
              bgr_to_rgb=True),
)


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


def save_converted(converted, source, path, overwrite=False):
    """Write ``converted`` with its metadata (``meta['shufflenet_det']``:
    source, backbone config, input normalisation; readable weights-only),
    atomically (a partial file is never left at ``path``), refusing to
    replace an existing file unless ``overwrite``."""
    if os.path.exists(path) and not overwrite:
        raise FileExistsError(f'{path} exists; pass overwrite=True (--overwrite) '
                              'to replace it')
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    # Plain dicts (not ConfigDicts): a weights-only load reads nothing else.
    meta = json.loads(json.dumps({META_KEY: dict(
        source=source, backbone=converted.backbone_cfg,
        data_preprocessor=DATA_PREPROCESSORS[source])}))
    partial = f'{path}.partial'
    torch.save(dict(state_dict=converted.state_dict, meta=meta), partial)
    os.replace(partial, path)
