"""ShuffleNet family backbones for MMDetection 3.x.

Where MMDetection is installed, importing this package registers its
backbones, C4 shared head, dataset, hooks and CPU model wrapper in
MMDetection's registries and its strict ``Pretrained`` weight loader
(:mod:`shufflenet_det.weights`) in mmengine's, so
``custom_imports = dict(imports=['shufflenet_det'])`` is all a config needs,
and lets ``--resume`` load mmengine training checkpoints on torch >= 2.6 (see
:mod:`shufflenet_det.engine.safe_globals`).
An mmdet that is installed but broken fails here, loudly.

Where it is not (``pip install "shufflenet_det[runtime]"``), only the
torch-free :mod:`shufflenet_det.runtime` is there: exported detectors run on
numpy, OpenCV and ONNX Runtime or OpenVINO.
"""
from importlib.util import find_spec

__version__ = '0.1.0'

if find_spec('mmdet') is not None:
    from . import weights  # noqa: F401  (registers the Pretrained loader)
    from .datasets import *  # noqa: F401,F403
    from .deploy.optimize import optimize_for_inference  # noqa: F401
    from .engine import *  # noqa: F401,F403
    from .engine import allow_mmengine_training_checkpoints
    from .models import *  # noqa: F401,F403

    allow_mmengine_training_checkpoints()
else:
    def __getattr__(name):
        raise AttributeError(
            f'shufflenet_det.{name} needs MMDetection, which is not installed '
            'here (this environment has only shufflenet_det.runtime); install '
            'it with pip install "shufflenet_det[mmdet]"')
