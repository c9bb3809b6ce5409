from .atomic_backend import ATOMIC_BACKEND, AtomicLocalBackend
from .distributed import (CPUDistributedDataParallel, init_distributed,
                          shutdown_distributed)
from .hooks import (AnchorCheckHook, CheckpointError, FastInferenceHook,
                    KeepMetricsHook, PretrainedInputCheckHook, TrainedCheckpointHook)
from .safe_globals import allow_mmengine_training_checkpoints

__all__ = [
    'ATOMIC_BACKEND', 'AtomicLocalBackend', 'AnchorCheckHook',
    'CPUDistributedDataParallel', 'CheckpointError', 'FastInferenceHook',
    'KeepMetricsHook', 'PretrainedInputCheckHook', 'TrainedCheckpointHook',
    'allow_mmengine_training_checkpoints', 'init_distributed',
    'shutdown_distributed'
]
