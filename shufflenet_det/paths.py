"""Where the configs and tools this package ships are.

A wheel carries them inside the package, in ``shufflenet_det/.mim/`` (copied
there at build time by setup.py, the way OpenMMLab packages ship theirs); an
editable install or a source checkout has them at the repository's top level.
"""
import os.path as osp

PACKAGE_DIR = osp.dirname(osp.abspath(__file__))
_CANDIDATES = (osp.join(PACKAGE_DIR, '.mim'), osp.dirname(PACKAGE_DIR))


def resource_root():
    """The folder holding ``configs/`` and ``tools/``: the installed package's
    ``.mim`` folder, else the checkout the package was imported from."""
    for root in _CANDIDATES:
        if osp.isdir(osp.join(root, 'configs')):
            return root
    raise FileNotFoundError(
        f'no configs/ in {" or ".join(_CANDIDATES)}: shufflenet_det was installed '
        'without its configs; reinstall it with pip from a checkout or git URL '
        '(its build copies them into the package)')


def config_path(name):
    """Absolute path of a shipped config, ``name`` relative to ``configs/``
    (e.g. ``'demo/faster-rcnn_shufflenet-v1-1x-g3_fpn_shapes.py'``)."""
    configs = osp.join(resource_root(), 'configs')
    path = osp.join(configs, name)
    if not osp.isfile(path):
        raise FileNotFoundError(f'config {name!r} not found under {configs}')
    return path
