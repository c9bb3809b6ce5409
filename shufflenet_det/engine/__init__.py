from .distributed import (CPUDistributedDataParallel, init_distributed,
                          shutdown_distributed)
from .hooks import (CheckpointError, FastInferenceHook, KeepMetricsHook,
                    PretrainedInputCheckHook, TrainedCheckpointHook)
from .safe_globals import allow_mmengine_training_checkpoints

__all__ = [
    'CPUDistributedDataParallel', 'CheckpointError', 'FastInferenceHook',
    'KeepMetricsHook', 'PretrainedInputCheckHook', 'TrainedCheckpointHook',
    'allow_mmengine_training_checkpoints',
    'init_distributed', 'shutdown_distributed'
]
