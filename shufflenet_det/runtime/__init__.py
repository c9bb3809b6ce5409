"""Run exported detectors without the training stack: numpy, OpenCV and ONNX
Runtime or OpenVINO are all it imports (``pip install
"shufflenet_det[runtime]"``)."""
from .detector import Detector
from .engines import ENGINES, build_engine, onnxruntime_session, openvino_model
from .model_file import ModelFileError, read_export_metadata
from .preprocess import ImageError, Preprocess, read_image
from .self_check import SelfCheckError

__all__ = ['Detector', 'ENGINES', 'ImageError', 'ModelFileError', 'Preprocess',
           'SelfCheckError', 'build_engine', 'onnxruntime_session', 'openvino_model',
           'read_export_metadata', 'read_image']
