"""ShuffleNet family backbones for MMDetection 3.x.

Importing this package registers its backbones, C4 shared head, dataset,
hooks and CPU model wrapper in MMDetection's registries, so
``custom_imports = dict(imports=['shufflenet_det'])`` is all a config needs.
It also lets ``--resume`` load mmengine training checkpoints on torch >= 2.6
(see :mod:`shufflenet_det.engine.safe_globals`).
"""
from .datasets import *  # noqa: F401,F403
from .deploy.optimize import optimize_for_inference  # noqa: F401
from .engine import *  # noqa: F401,F403
from .engine import allow_mmengine_training_checkpoints
from .models import *  # noqa: F401,F403

__version__ = '0.1.0'

allow_mmengine_training_checkpoints()
