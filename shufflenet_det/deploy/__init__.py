"""Deployment: ONNX export of whole detectors, its int8 quantization, an ONNX
Runtime runner, and the PyTorch CPU fast path (``optimize_for_inference``)."""
from .onnx_export import (ExportableFasterRCNN, default_input_shape, export_detector,
                          export_module, export_onnx)
from .optimize import densify_grouped_convs, optimize_for_inference
from .quantize import quantize_detector, quantize_model
from .runtime import (ExportInput, OnnxDetector, evaluate_coco, onnxruntime_session,
                      openvino_model)

__all__ = [
    'ExportInput', 'ExportableFasterRCNN', 'OnnxDetector', 'default_input_shape',
    'densify_grouped_convs', 'evaluate_coco', 'export_detector', 'export_module',
    'export_onnx', 'onnxruntime_session', 'openvino_model', 'optimize_for_inference',
    'quantize_detector', 'quantize_model'
]
