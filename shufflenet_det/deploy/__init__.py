"""Deployment from the training environment: ONNX export of whole detectors,
their int8 quantization, COCO evaluation of the exported files (run by the
torch-free :mod:`shufflenet_det.runtime`) and the PyTorch CPU fast path
(``optimize_for_inference``)."""
from ..runtime import onnxruntime_session, openvino_model
from .evaluate import evaluate_coco
from .onnx_export import (ExportableTwoStageDetector, default_input_shape,
                          export_detector, export_module, export_onnx)
from .optimize import densify_grouped_convs, optimize_for_inference
from .quantize import quantize_detector, quantize_model

__all__ = [
    'ExportableTwoStageDetector', 'default_input_shape',
    'densify_grouped_convs', 'evaluate_coco', 'export_detector', 'export_module',
    'export_onnx', 'onnxruntime_session', 'openvino_model', 'optimize_for_inference',
    'quantize_detector', 'quantize_model'
]
