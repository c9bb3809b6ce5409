"""Checkpoints read with one clear error, and the rule of every strict load.

A checkpoint name is a local file, or a URL or model-zoo name
(:mod:`shufflenet_det.model_zoo`, downloaded once). Unlike mmengine's loader
(``weights_only=False`` on every torch), foreign weights are unpickled
weights-only; a trained detector's checkpoint is read as mmengine's runner
reads it, and fits its config's model or is refused in one line naming what
is missing or of another shape.
"""
import inspect
import logging
import os.path as osp
import re
import zipfile
from collections import Counter

import torch

from .model_zoo import checkpoint_url, download

# torch.save's format before 1.6: a pickle starting with this magic number.
LEGACY_MAGIC = b'\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19'
# Keys under which training frameworks nest the weights.
WRAPPER_KEYS = ('state_dict', 'model', 'model_state_dict', 'module')


def local_checkpoint(name):
    """The local file of checkpoint ``name`` (a path, URL or model-zoo
    name), downloaded into the cache if needed."""
    if osp.isfile(name):
        return name
    if '://' not in name:
        raise FileNotFoundError(f'no checkpoint file at {name}')
    return download(checkpoint_url(name))


def _what_it_is(path, error):
    """What a file that torch could not load is, in a few words."""
    with open(path, 'rb') as f:
        head = f.read(len(LEGACY_MAGIC))
    found = re.search(r'WeightsUnpickler error:\s*(.+)', str(error))
    detail = (found[1] if found else
              f'{type(error).__name__}: {str(error).strip()}').splitlines()[0][:120]
    if not head:
        return 'an empty file'
    if head.startswith(b'PK'):
        if not zipfile.is_zipfile(path):
            return 'a truncated or damaged zip archive (torch.save\'s format)'
        if found:
            return f'a torch.save file of more than weights ({detail})'
        return f'a zip archive torch does not read ({detail})'
    if head.startswith(LEGACY_MAGIC) and not found:
        return 'a truncated or damaged legacy torch.save file'
    if head[:1] == b'\x80':
        return f'a pickle, but no weights-only PyTorch checkpoint ({detail})'
    return ('neither a torch.save zip archive nor a pickle (it starts with '
            f'{head[:8]!r})')


def load_torch_file(name, weights_only=True):
    """``torch.load`` of checkpoint ``name`` on the CPU.

    Args:
        name (str): A path, URL or model-zoo name (:func:`local_checkpoint`).
        weights_only (bool | None): True: tensors and plain containers only
            (foreign weights; where this torch has the argument). None:
            torch's default, as mmengine's runner loads a training
            checkpoint (weights-only from torch 2.6, with the mmengine types
            the package allows).

    Raises:
        ValueError: One line naming the file and what it is instead.
    """
    path = local_checkpoint(name)
    kwargs = {}
    if weights_only is not None and 'weights_only' in inspect.signature(
            torch.load).parameters:
        kwargs['weights_only'] = weights_only
    try:
        return torch.load(path, map_location='cpu', **kwargs)
    except Exception as error:
        raise ValueError(f'{name} is not a loadable PyTorch checkpoint: it is '
                         f'{_what_it_is(path, error)}') from error


def state_dict_of(checkpoint, name):
    """The state dict in a loaded checkpoint, unwrapped from the keys under
    which training frameworks nest it; ValueError if it holds none."""
    while isinstance(checkpoint, dict):
        nested = [k for k in WRAPPER_KEYS if isinstance(checkpoint.get(k), dict)]
        if not nested:
            break
        checkpoint = checkpoint[nested[0]]
    if (not isinstance(checkpoint, dict) or not checkpoint
            or not all(isinstance(v, torch.Tensor) for v in checkpoint.values())):
        raise ValueError(f'{name} is a PyTorch file, but holds no state dict of '
                         'tensors')
    return checkpoint


def read_trained_checkpoint(name):
    """A trained detector's checkpoint, read as every tool reads it (the
    way mmengine's runner loads it, so ``load_from`` reads it the same), or
    a one-line ValueError / FileNotFoundError naming the file and what it
    is instead. Tools call it before they write anything."""
    checkpoint = load_torch_file(name, weights_only=None)
    state_dict_of(checkpoint, name)
    return checkpoint


def misfit(own, state_dict, name, what, causes):
    """One line saying how ``state_dict`` fails to fit a module whose own
    state dict is ``own`` (a ``what``), or None if it sets every tensor in
    its shape (BN's ``num_batches_tracked`` may be absent: some sources do
    not save it). The rule of every strict load in this project.

    ``causes`` (str, str, str): the likely cause named when the checkpoint's
    keys carry an extra prefix (formatted with ``prefix``), when only shapes
    differ, and otherwise.
    """
    missing = [k for k in own if k not in state_dict
               and not k.endswith('num_batches_tracked')]
    mismatched = [f'{k}: checkpoint {tuple(state_dict[k].shape)} != model '
                  f'{tuple(v.shape)}' for k, v in own.items()
                  if k in state_dict and state_dict[k].shape != v.shape]
    if not (missing or mismatched):
        return None
    problems = '; '.join(
        f'{title}: {", ".join(items[:3])}'
        + (f' and {len(items) - 3} more' if len(items) > 3 else '')
        for title, items in [(f'{len(missing)} missing', missing),
                             (f'{len(mismatched)} of another shape', mismatched)]
        if items)
    return (f'{name} does not fit this {what} ({len(own)} tensors): '
            f'{problems}. Likely cause: '
            f'{_likely_cause(missing, state_dict, mismatched, causes)}')


def _likely_cause(missing, state_dict, mismatched, causes):
    """``causes[0]`` with the prefix most of the missing keys have after
    (or the text for a prefix they lack before) a key of the checkpoint;
    else ``causes[1]`` if tensors have other shapes, else ``causes[2]``."""
    extra = Counter(k[:-len(m)] for m in missing for k in state_dict
                    if k.endswith('.' + m))
    lacking = Counter(m[:-len(k)] for m in missing for k in state_dict
                      if m.endswith('.' + k))
    if extra:
        return causes[0].format(prefix=extra.most_common(1)[0][0])
    if lacking:
        return (f'its keys lack the prefix {lacking.most_common(1)[0][0]!r}: '
                'weights of a part of the model only')
    return causes[1] if mismatched else causes[2]


# Likely causes (misfit) when a trained detector's checkpoint does not fit.
TRAINED_CAUSES = (
    'its keys start with {prefix!r}: saved from a wrapper of the detector',
    'a checkpoint of another config (other layers, or sizes: classes, widths)',
    'a checkpoint of another config (another architecture)')


def check_trained_fit(model, checkpoint, name, allow_partial=False):
    """Raise a one-line ValueError if ``checkpoint`` (a loaded trained
    checkpoint) leaves tensors of ``model`` unset or has them in another
    shape; with ``allow_partial`` log it instead. Keys are read as mmengine
    loads them (``module.`` stripped; wrappers and TTA models unwrapped), so
    this is the rule for test, export, demo and ``load_from``."""
    from mmengine.logging import print_log
    from mmengine.model import BaseTTAModel, is_model_wrapper
    while is_model_wrapper(model) or isinstance(model, BaseTTAModel):
        model = model.module
    state_dict = {re.sub(r'^module\.', '', k): v
                  for k, v in state_dict_of(checkpoint, name).items()}
    message = misfit(model.state_dict(), state_dict, name,
                     f'{type(model).__name__} of the config', TRAINED_CAUSES)
    if message is None:
        return
    if not allow_partial:
        raise ValueError(f'{message}. (--allow-partial, or allow_partial_checkpoint'
                         ' = True in the config, loads what fits.)')
    print_log(message, logger='current', level=logging.WARNING)
