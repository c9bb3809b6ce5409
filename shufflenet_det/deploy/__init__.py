"""Deployment: ONNX export of whole detectors, an ONNX Runtime runner, and
the PyTorch CPU fast path (``optimize_for_inference``)."""
from .onnx_export import (ExportableFasterRCNN, default_input_shape, export_detector,
                          export_module, export_onnx)
from .optimize import optimize_for_inference
from .runtime import OnnxDetector, evaluate_coco, onnxruntime_session, openvino_model

__all__ = [
    'ExportableFasterRCNN', 'OnnxDetector', 'default_input_shape', 'evaluate_coco',
    'export_detector', 'export_module', 'export_onnx', 'onnxruntime_session',
    'openvino_model', 'optimize_for_inference'
]
