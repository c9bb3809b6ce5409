"""Checkpoints by URL or model-zoo name.

A name is an ``http(s)://`` URL or one of mmengine's model-zoo names
(``torchvision://``, ``mmcls://``, ``open-mmlab://``), resolved with
mmengine's own tables. Downloads land in the cache mmengine's http loader
uses (``torch.hub.get_dir()/checkpoints``, i.e.
``$TORCH_HOME/hub/checkpoints``), once; where the file name carries a SHA256
prefix (torch.hub's ``name-<sha256>.ext`` convention, as torchvision and
OpenMMLab name their files) the download is checked against it.
"""
import os
import os.path as osp
import re
import socket
from urllib.parse import urlparse

import torch
from mmengine.dist import barrier, get_dist_info

# Seconds a download may wait for the server before it fails.
DOWNLOAD_TIMEOUT_S = 60
# A file name's SHA256 prefix: 8 or more hex digits after its last '-'.
HASH_PREFIX = re.compile(r'-([0-9a-f]{8,})\.[^-]*$')


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
