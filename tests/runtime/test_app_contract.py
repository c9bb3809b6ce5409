"""docs/deploy.md's contract for an app, followed literally: its numpy
block (``app_detect``) makes mmdet's test batch bit for bit for the Resize
steps the configs use, and gives the runtime's boxes on an exported
detector in ONNX Runtime and MNN."""
import numpy as np
import pytest

from shufflenet_det.runtime import Detector, Preprocess
from shufflenet_det.runtime.model_file import read_export_metadata
from doc_blocks import markdown_blocks
from pipeline_reference import LOAD, PACK, RESIZES, mmdet_reference

# the configs' Resize steps: a scale, bilinear
CONTRACT_RESIZES = ['keep_ratio 300', 'keep_ratio 600', 'fixed 320']
SIZES = [(480, 640), (37, 401), (101, 211), (257, 179)]  # sides rounded up, down


def documented_app_detect():
    """``app_detect`` as docs/deploy.md writes it."""
    blocks = [block for block in markdown_blocks('docs/deploy.md', 'python')
              if 'def app_detect' in block]
    assert len(blocks) == 1, 'docs/deploy.md has no (or several) app_detect blocks'
    namespace = {}
    exec(compile(blocks[0], 'docs/deploy.md', 'exec'), namespace)
    return namespace['app_detect']


@pytest.mark.parametrize('resize', CONTRACT_RESIZES)
def test_the_documented_steps_make_mmdets_batch_and_boxes(resize, tmp_path):
    import cv2
    app_detect = documented_app_detect()
    step = RESIZES[resize]
    rng = np.random.default_rng(0)
    for height, width in SIZES:
        image = rng.integers(0, 256, (height, width, 3), np.uint8)
        path = str(tmp_path / f'{height}x{width}.png')
        cv2.imwrite(path, image)
        expected, metainfo = mmdet_reference([LOAD, step, PACK], path)
        dets = np.array([[[-5, 3, 9000, 41.5, 0.9], [10, -2, 20, 9000, 0.2]]],
                        np.float32)
        seen = []

        def run(batch):
            seen.append(batch)
            return dets, np.array([[1, 0]])

        boxes, scores, labels = app_detect(run, image, step, (1024, 1024))
        new_h, new_w = expected.shape[1:]
        assert (seen[0][0, :, :new_h, :new_w] == expected).all(), (resize, height)
        assert not seen[0][0, :, new_h:].any() and not seen[0][0, :, :, new_w:].any()
        sx, sy = metainfo['scale_factor']
        clipped = dets[0, :, :4].clip(0, [new_w, new_h, new_w, new_h])
        np.testing.assert_allclose(boxes, clipped / [sx, sy, sx, sy], rtol=1e-6)
        assert scores.tolist() == dets[0, :, 4].tolist() and labels.tolist() == [1, 0]


@pytest.mark.parametrize('engine', ['onnxruntime', 'mnn'])
def test_the_documented_steps_give_the_runtimes_boxes(engine, thundernet_model,
                                                      tmp_path):
    from shufflenet_det.runtime.mnn import convert_to_mnn
    app_detect = documented_app_detect()
    model_file = thundernet_model[1]
    if engine == 'mnn':
        pytest.importorskip('MNN')
        model_file = str(tmp_path / 'model.mnn')
        convert_to_mnn(thundernet_model[1], model_file)
    detector = Detector(model_file, engine, threads=1)
    pipeline, _ = read_export_metadata(model_file)
    resize = next(step for step in pipeline if step['type'].endswith('Resize'))
    assert isinstance(detector.preprocess, Preprocess)
    rng = np.random.default_rng(1)
    for height, width in [(200, 300), (97, 41)]:
        image = rng.integers(0, 256, (height, width, 3), np.uint8)
        boxes, scores, labels = app_detect(detector.engine.run, image, resize,
                                           detector.input_shape)
        expected = detector(image)
        assert len(scores) == len(expected['scores']) > 0
        np.testing.assert_allclose(boxes, expected['bboxes'], atol=1e-3)
        np.testing.assert_allclose(scores, expected['scores'], atol=1e-6)
        assert (labels == expected['labels']).all()
