from .anchor_check_hook import AnchorCheckHook
from .fast_inference_hook import FastInferenceHook
from .keep_metrics_hook import KeepMetricsHook
from .pretrained_input_check_hook import PretrainedInputCheckHook

__all__ = [
    'AnchorCheckHook', 'FastInferenceHook', 'KeepMetricsHook',
    'PretrainedInputCheckHook'
]
