"""Loading, checking and saving checkpoints, shared by the converters."""
import os
from collections import OrderedDict

import torch
from mmdet.registry import MODELS

# Keys under which training frameworks nest the weights.
_WRAPPER_KEYS = ('state_dict', 'model', 'model_state_dict', 'module')


def load_state_dict(path):
    """The tensors of a checkpoint file, loaded with ``weights_only=True``."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f'no checkpoint file at {path}')
    try:
        checkpoint = torch.load(path, map_location='cpu', weights_only=True)
    except Exception as error:
        raise ValueError(f'{path} is not a loadable PyTorch checkpoint (weights '
                         f'only): {type(error).__name__}: {error}') from error
    while isinstance(checkpoint, dict):
        nested = [k for k in _WRAPPER_KEYS if isinstance(checkpoint.get(k), dict)]
        if not nested:
            break
        checkpoint = checkpoint[nested[0]]
    if (not isinstance(checkpoint, dict) or not checkpoint
            or not all(isinstance(v, torch.Tensor) for v in checkpoint.values())):
        raise ValueError(f'{path} holds no state dict of tensors')
    return OrderedDict(checkpoint)


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


def save_state_dict(state_dict, path, overwrite=False):
    """Write atomically (a partial file is never left at ``path``) and refuse
    to replace an existing file unless ``overwrite``."""
    if os.path.exists(path) and not overwrite:
        raise FileExistsError(f'{path} exists; pass overwrite=True (--overwrite) '
                              'to replace it')
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    partial = f'{path}.partial'
    torch.save(state_dict, partial)
    os.replace(partial, path)
