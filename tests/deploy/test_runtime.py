"""The ONNX Runtime runner (shufflenet_det.deploy.runtime.OnnxDetector);
its boxes against mmdet's are checked on the trained demo model
(tests/tools/test_demo.py)."""
import numpy as np
import pytest

pytest.importorskip('onnxruntime')


def test_runner_refuses_images_larger_than_the_input(c4_model):
    from shufflenet_det.deploy import OnnxDetector
    detector = OnnxDetector(c4_model[1])
    assert detector.input_shape == (160, 224)
    # the config's test Resize (500, 300) keeps 300x500: more than 160x224
    with pytest.raises(ValueError, match='resized to 300x500 does not fit the '
                       'model input 160x224'):
        detector(np.zeros((300, 500, 3), np.uint8))
