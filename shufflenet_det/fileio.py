"""Checkpoints and configs read with one clear error, output paths that
cannot be right refused, and mmengine's checkpoint writes made whole or not
at all (through :mod:`shufflenet_det.atomic`, how every file is written).

A checkpoint name is a local file, an ``http(s)://`` URL or one of
mmengine's model-zoo names (``torchvision://``, ``mmcls://``,
``open-mmlab://``), resolved with mmengine's own tables. Downloads land in
the cache mmengine's http loader uses (``torch.hub.get_dir()/checkpoints``,
i.e. ``$TORCH_HOME/hub/checkpoints``), once; where the file name carries a
SHA256 prefix (torch.hub's ``name-<sha256>.ext`` convention, as torchvision
and OpenMMLab name their files) the download is checked against it. Unlike
mmengine's loader (``weights_only=False`` on every torch), foreign weights
are unpickled weights-only.
"""
import inspect
import logging
import os
import os.path as osp
import re
import socket
import zipfile
from collections import Counter
from urllib.parse import urlparse

import torch
from mmengine.dist import barrier, get_dist_info
from mmengine.fileio import LocalBackend, register_backend

from .atomic import atomic_path, check_writable_folder

# Seconds a download may wait for the server before it fails.
DOWNLOAD_TIMEOUT_S = 60
# A file name's SHA256 prefix: 8 or more hex digits after its last '-'.
HASH_PREFIX = re.compile(r'-([0-9a-f]{8,})\.[^-]*$')
# torch.save's format before 1.6: a pickle starting with this magic number.
LEGACY_MAGIC = b'\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19'
# Keys under which training frameworks nest the weights.
WRAPPER_KEYS = ('state_dict', 'model', 'model_state_dict', 'module')
# mmengine file backend name of AtomicLocalBackend.
ATOMIC_BACKEND = 'shufflenet_det_atomic_local'


@register_backend(ATOMIC_BACKEND)
class AtomicLocalBackend(LocalBackend):
    """mmengine's local file backend, writing each file whole or not at all
    (:func:`atomic_path`): what checkpoints are saved with
    (``TrainedCheckpointHook``)."""

    def put(self, obj, filepath):
        with atomic_path(filepath) as partial:
            super().put(obj, partial)

    def put_text(self, obj, filepath, encoding='utf-8'):
        with atomic_path(filepath) as partial:
            super().put_text(obj, partial, encoding)


def check_output_path(out, *inputs):
    """Refuse, before any work, an output path that is a folder, one of
    the ``inputs`` (which writing it would replace), or in a folder that
    cannot be made or written: a one-line ValueError."""
    if osp.isdir(out):
        raise ValueError(f'output {out} is a folder; allowed: the path of a file '
                         'to write')
    check_writable_folder(osp.dirname(out), f'output {out}: folder')
    for path in inputs:
        if osp.abspath(out) == osp.abspath(path) or (
                osp.exists(out) and osp.exists(path) and osp.samefile(out, path)):
            raise ValueError(f'output {out} is the input file {path}; allowed: '
                             'another path (writing it would replace the input)')


def read_config(path):
    """The mmengine ``Config`` of the file ``path``, or a one-line ValueError
    naming it and what it is instead (missing, empty, not Python, binary,
    no ``model``): how every tool reads its config, before any work."""
    from mmengine.config import Config
    if not osp.isfile(path):
        raise ValueError(f'config {path}: ' + ('a folder, not a file' if osp.isdir(path)
                                               else 'no such file'))
    try:
        cfg = Config.fromfile(path)
    except SyntaxError as error:
        raise ValueError(f'config {path} is not valid Python: {error.msg} '
                         f'(line {error.lineno})') from None
    except UnicodeDecodeError:
        raise ValueError(f'config {path} is not a text file') from None
    except Exception as error:  # whatever running the config raises
        detail = (str(error).strip().splitlines() or [''])[0][:200]
        raise ValueError(f'config {path} cannot be read: '
                         f'{type(error).__name__}: {detail}') from None
    if 'model' not in cfg:
        raise ValueError(f'config {path} defines no model (empty, or not a '
                         'detector config)')
    return cfg


def _zoo_urls():
    """mmengine's name -> URL tables, by scheme."""
    from mmengine.runner.checkpoint import (get_external_models, get_mmcls_models,
                                            get_torchvision_models)
    return {'torchvision://': get_torchvision_models, 'mmcls://': get_mmcls_models,
            'open-mmlab://': get_external_models}


def checkpoint_url(name):
    """The URL of a model-zoo name (``torchvision://shufflenet_v2_x1_0.
    imagenet1k_v1``), or ``name`` itself if it is an http(s) URL."""
    if name.startswith(('http://', 'https://')):
        return name
    for scheme, urls in _zoo_urls().items():
        if name.startswith(scheme):
            table = urls()
            url = table.get(name[len(scheme):])
            if not url:
                similar = sorted(k for k in table if k.split('.')[0].startswith(
                    name[len(scheme):].split('.')[0][:6]))
                raise ValueError(f'{name}: mmengine knows no such {scheme} name'
                                 + (f'; similar: {", ".join(similar)}' if similar
                                    else ''))
            return url
    raise ValueError(f'{name}: not a file, and not a URL this project reads '
                     '(allowed: http(s)://, ' + ', '.join(_zoo_urls()) + ')')


def _download_once(url):
    filename = osp.basename(urlparse(url).path)
    cached = osp.join(torch.hub.get_dir(), 'checkpoints', filename)
    if osp.isfile(cached):
        return cached
    os.makedirs(osp.dirname(cached), exist_ok=True)
    match = HASH_PREFIX.search(filename)
    previous = socket.getdefaulttimeout()  # torch.hub's urlopen has no timeout
    socket.setdefaulttimeout(previous or DOWNLOAD_TIMEOUT_S)
    try:  # into a temporary file, moved into place when whole and checked
        torch.hub.download_url_to_file(url, cached, match and match[1],
                                       progress=False)
    except (OSError, RuntimeError) as error:
        raise ValueError(f'could not download {url}: {error}') from error
    finally:
        socket.setdefaulttimeout(previous)
    return cached


def download(url):
    """Local copy of ``url`` in mmengine's (torch.hub's) checkpoint cache,
    downloaded only if it is not there yet, its SHA256 prefix checked. In a
    distributed run rank 0 downloads and the others then read its copy, as
    mmengine's http loader does."""
    rank, world_size = get_dist_info()
    if rank == 0:
        cached = _download_once(url)
    if world_size > 1:
        barrier()
    if rank > 0:
        cached = _download_once(url)
    return cached


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
