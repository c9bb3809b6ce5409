from .anchor_check_hook import AnchorCheckHook
from .fast_inference_hook import FastInferenceHook
from .keep_metrics_hook import KeepMetricsHook
from .pretrained_input_check_hook import PretrainedInputCheckHook
from .trained_checkpoint_hook import CheckpointError, TrainedCheckpointHook

__all__ = [
    'AnchorCheckHook', 'CheckpointError', 'FastInferenceHook', 'KeepMetricsHook',
    'PretrainedInputCheckHook', 'TrainedCheckpointHook'
]
