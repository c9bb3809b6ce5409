"""Checkpoint converters: one module per source, one public function each."""
from ..models.pretrained import read_checkpoint
from .common import DATA_PREPROCESSORS, Converted, check_state_dict, save_converted
from .megvii import convert_megvii
from .mmpretrain import convert_mmpretrain
from .snet_training import convert_thundernet
from .timm import convert_timm
from .torchvision import convert_torchvision

CONVERTERS = dict(torchvision=convert_torchvision, mmpretrain=convert_mmpretrain,
                  megvii=convert_megvii, timm=convert_timm,
                  thundernet=convert_thundernet)


def convert_checkpoint(source, src, **architecture):
    """Load ``src`` (weights only), convert it from ``source`` and check that
    it loads completely into the backbone it describes.

    ``architecture`` (e.g. ``groups=3, widen_factor=1.0``) states what the
    checkpoint must be; a checkpoint of another architecture is an error.
    """
    if source not in CONVERTERS:
        raise ValueError(f'source={source!r} is not supported; allowed: '
                         f'{tuple(CONVERTERS)}')
    converted = CONVERTERS[source](read_checkpoint(src)[0])
    differs = {k: (v, converted.backbone_cfg.get(k))
               for k, v in architecture.items()
               if v is not None and converted.backbone_cfg.get(k) != v}
    if differs:
        raise ValueError(f'{src} is not the requested architecture: ' + ', '.join(
            f'{k}={want!r} requested, checkpoint has {got!r}'
            for k, (want, got) in differs.items()))
    check_state_dict(converted.state_dict, converted.backbone_cfg)
    return converted


__all__ = [
    'CONVERTERS', 'Converted', 'DATA_PREPROCESSORS', 'check_state_dict',
    'convert_checkpoint', 'convert_megvii', 'convert_mmpretrain',
    'convert_thundernet', 'convert_timm', 'convert_torchvision', 'save_converted'
]
