"""Deployment: ONNX export of whole detectors and an ONNX Runtime runner."""
from .onnx_export import ExportableFasterRCNN, default_input_shape, export_onnx

__all__ = ['ExportableFasterRCNN', 'default_input_shape', 'export_onnx']
