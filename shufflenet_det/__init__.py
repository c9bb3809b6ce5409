"""ShuffleNet family backbones for MMDetection 3.x.

Importing this package registers its modules in MMDetection's registries, so
``custom_imports = dict(imports=['shufflenet_det'])`` is all a config needs.
It also lets ``--resume`` load mmengine training checkpoints on torch >= 2.6
(see :mod:`shufflenet_det.checkpoint`).
"""
from .checkpoint import allow_mmengine_training_checkpoints
from .datasets import *  # noqa: F401,F403
from .distributed import CPUDistributedDataParallel  # noqa: F401
from .inference import FastInferenceHook, optimize_for_inference  # noqa: F401
from .models import *  # noqa: F401,F403

__version__ = '0.1.0'

allow_mmengine_training_checkpoints()
