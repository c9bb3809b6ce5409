"""Checkpoint files read by name with one clear error, and files written
whole or not at all.

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
import os
import os.path as osp
import re
import socket
import zipfile
from contextlib import contextmanager
from urllib.parse import urlparse

import torch
from mmengine.dist import barrier, get_dist_info

# Seconds a download may wait for the server before it fails.
DOWNLOAD_TIMEOUT_S = 60
# A file name's SHA256 prefix: 8 or more hex digits after its last '-'.
HASH_PREFIX = re.compile(r'-([0-9a-f]{8,})\.[^-]*$')
# torch.save's format before 1.6: a pickle starting with this magic number.
LEGACY_MAGIC = b'\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19'
# Keys under which training frameworks nest the weights.
WRAPPER_KEYS = ('state_dict', 'model', 'model_state_dict', 'module')


@contextmanager
def atomic_path(path):
    """Yield a temporary path beside ``path``, moved onto it on success."""
    partial = f'{path}.partial'
    try:
        yield partial
        os.replace(partial, path)
    finally:
        if os.path.exists(partial):
            os.remove(partial)


def write_text_atomically(path, text):
    with atomic_path(path) as partial:
        with open(partial, 'w') as f:
            f.write(text)


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
