from .fast_inference_hook import FastInferenceHook
from .keep_metrics_hook import KeepMetricsHook
from .pretrained_input_check_hook import PretrainedInputCheckHook

__all__ = ['FastInferenceHook', 'KeepMetricsHook', 'PretrainedInputCheckHook']
