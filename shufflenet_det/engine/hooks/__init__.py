from .fast_inference_hook import FastInferenceHook
from .pretrained_input_check_hook import PretrainedInputCheckHook

__all__ = ['FastInferenceHook', 'PretrainedInputCheckHook']
