"""ShuffleNet family backbones for MMDetection 3.x.

Importing this package registers its modules in ``mmdet.registry.MODELS``,
so ``custom_imports = dict(imports=['shufflenet_det'])`` is all a config needs.
"""
from .models import *  # noqa: F401,F403

__version__ = '0.1.0'
