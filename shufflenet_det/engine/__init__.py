from .distributed import (CPUDistributedDataParallel, init_distributed,
                          shutdown_distributed)
from .hooks import (AnchorCheckHook, FastInferenceHook, KeepMetricsHook,
                    PretrainedInputCheckHook)
from .safe_globals import allow_mmengine_training_checkpoints

__all__ = [
    'AnchorCheckHook', 'CPUDistributedDataParallel', 'FastInferenceHook',
    'KeepMetricsHook', 'PretrainedInputCheckHook',
    'allow_mmengine_training_checkpoints', 'init_distributed',
    'shutdown_distributed'
]
