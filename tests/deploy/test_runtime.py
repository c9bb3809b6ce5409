"""The ONNX Runtime runner (shufflenet_det.deploy.runtime.OnnxDetector);
its boxes against mmdet's are checked on the trained demo model
(tests/tools/test_demo.py)."""
import cv2
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


def test_runner_runs_thundernet_and_returns_original_pixels(thundernet_model):
    """The demo ThunderNet resizes 128x128 images to its 256x256 input: the
    runner's boxes are the graph's, halved."""
    from shufflenet_det.deploy import OnnxDetector
    from shufflenet_det.runtime.model_file import INPUT_NAME
    detector = OnnxDetector(thundernet_model[1])
    assert detector.input_shape == (256, 256)
    image = np.random.default_rng(0).integers(0, 256, (128, 128, 3), np.uint8)
    result = detector(image)
    assert len(result['scores']) == 50
    resized = cv2.resize(image, (256, 256)).transpose(2, 0, 1)[None].astype(np.float32)
    dets, _ = detector.session.run(None, {INPUT_NAME: resized})
    np.testing.assert_allclose(result['bboxes'], dets[0, :, :4].clip(0, 256) / 2,
                               atol=1e-3)
