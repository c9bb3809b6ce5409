"""Checkpoint converters, state dict to state dict: one module per source,
each with one public converter function and the input normalisation its
weights expect. Reading and writing checkpoint files is
:mod:`shufflenet_det.weights`'s.

``SOURCES`` lists the recognisable sources in the order they are tried on a
checkpoint of unknown origin (``init_cfg=dict(type='Pretrained', ...)`` on a
peer's file). A new source is one module beside these - a converter that
raises :class:`NotThisSource` on keys of another layout and returns a
:class:`Converted`, and its ``DATA_PREPROCESSOR`` - plus one entry here.
"""
from . import megvii, mmpretrain, snet_training, timm, torchvision
from .common import Converted, NotThisSource, check_state_dict
from .megvii import convert_megvii
from .mmpretrain import convert_mmpretrain
from .snet_training import convert_thundernet
from .timm import convert_timm
from .torchvision import convert_torchvision

# name: (converter, its module's DATA_PREPROCESSOR), tried in this order.
SOURCES = dict(
    torchvision=(convert_torchvision, torchvision.DATA_PREPROCESSOR),
    mmpretrain=(convert_mmpretrain, mmpretrain.DATA_PREPROCESSOR),
    megvii=(convert_megvii, megvii.DATA_PREPROCESSOR),
    timm=(convert_timm, timm.DATA_PREPROCESSOR),
    thundernet=(convert_thundernet, snet_training.DATA_PREPROCESSOR),
)
CONVERTERS = {name: convert for name, (convert, _) in SOURCES.items()}
# Input normalisation each source's weights were trained with, as mmdet
# DetDataPreprocessor settings (images are loaded as BGR 0-255).
DATA_PREPROCESSORS = {name: pre for name, (_, pre) in SOURCES.items()}


def convert_state_dict(source, state_dict, name='checkpoint', **architecture):
    """Convert ``state_dict`` from ``source`` and check that it loads
    completely into the backbone it describes.

    ``architecture`` (e.g. ``groups=3, widen_factor=1.0``) states what the
    checkpoint must be; a checkpoint of another architecture is an error
    naming ``name``.
    """
    if source not in CONVERTERS:
        raise ValueError(f'source={source!r} is not supported; allowed: '
                         f'{tuple(CONVERTERS)}')
    converted = CONVERTERS[source](state_dict)
    differs = {k: (v, converted.backbone_cfg.get(k))
               for k, v in architecture.items()
               if v is not None and converted.backbone_cfg.get(k) != v}
    if differs:
        raise ValueError(f'{name} is not the requested architecture: ' + ', '.join(
            f'{k}={want!r} requested, checkpoint has {got!r}'
            for k, (want, got) in differs.items()))
    check_state_dict(converted.state_dict, converted.backbone_cfg)
    return converted


def recognise_source(state_dict, name='checkpoint'):
    """(source, :class:`Converted`) of the first of ``SOURCES`` whose layout
    ``state_dict`` has, converted and checked; None if none has it."""
    for source in SOURCES:
        try:
            return source, convert_state_dict(source, state_dict, name)
        except NotThisSource:
            continue
        except ValueError as error:
            raise ValueError(f'{name} has the keys of {source} weights, but '
                             f'does not convert: {error}') from error
    return None


__all__ = [
    'CONVERTERS', 'Converted', 'DATA_PREPROCESSORS', 'NotThisSource', 'SOURCES',
    'check_state_dict', 'convert_megvii', 'convert_mmpretrain', 'convert_state_dict',
    'convert_thundernet', 'convert_timm', 'convert_torchvision', 'recognise_source'
]
