"""Deployment: ONNX export of whole detectors and an ONNX Runtime runner."""
from .onnx_export import ExportableFasterRCNN, default_input_shape, export_onnx
from .runtime import OnnxDetector, evaluate_coco

__all__ = ['ExportableFasterRCNN', 'default_input_shape', 'export_onnx',
           'OnnxDetector', 'evaluate_coco']
