"""ONNX export (shufflenet_det.deploy, tools/export_onnx.py) checked in ONNX
Runtime against PyTorch."""
import os.path as osp
import subprocess
import sys
import warnings

import numpy as np
import pytest
import torch

from shufflenet_det.models import MobileNetV1, ShuffleNetV1, ShuffleNetV2
from helpers import randomise_batch_norm

ort = pytest.importorskip('onnxruntime')
pytest.importorskip('onnx')

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))

# The smallest width of every family and unit layout. The TorchScript-based
# exporter dropped the channel shuffle's in-place copy (issue 14), so it runs
# on every one; the dynamo exporter (slow) on one per layout.
BACKBONES = {
    **{f'v1-g{g}-{variant}': (ShuffleNetV1, dict(groups=g, widen_factor=0.25,
                                                 variant=variant))
       for g in (1, 2, 3, 4, 8) for variant in ('paper', 'megvii')},
    **{f'v2-{variant}': (ShuffleNetV2, dict(widen_factor=0.5, variant=variant))
       for variant in ('torchvision', 'megvii')},
    'mobilenet-v1': (MobileNetV1, dict(widen_factor=0.25)),
}
DYNAMO = ('v1-g3-paper', 'v1-g8-megvii', 'v2-torchvision', 'v2-megvii', 'mobilenet-v1')


def run_onnx(path, *inputs):
    session = ort.InferenceSession(path, providers=['CPUExecutionProvider'])
    names = [arg.name for arg in session.get_inputs()]
    assert len(names) == len(inputs)  # a graph with no input is a constant
    return session.run(None, {name: x.numpy() for name, x in zip(names, inputs)})


def relative_error(actual, expected):
    return float(np.abs(actual - expected).max() / np.abs(expected).max())


@pytest.mark.parametrize('name,dynamo', [
    *[pytest.param(name, False, id=f'{name}-torchscript') for name in BACKBONES],
    *[pytest.param(name, True, id=f'{name}-dynamo') for name in DYNAMO]])
def test_backbone_export_matches_pytorch(name, dynamo, tmp_path):
    cls, kwargs = BACKBONES[name]
    model = randomise_batch_norm(cls(**kwargs)).eval()
    x = torch.randn(1, 3, 64, 96)  # not square: H and W must not be swapped
    with torch.no_grad():
        expected = model(x)
    path = str(tmp_path / 'backbone.onnx')
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')  # the exporters' progress notes
        torch.onnx.export(model, (x, ), path, dynamo=dynamo, input_names=['input'],
                          opset_version=18 if dynamo else 17, verbose=False)
    outputs = run_onnx(path, x)
    assert len(outputs) == len(expected)
    for actual, reference in zip(outputs, expected):
        assert actual.shape == tuple(reference.shape)
        assert relative_error(actual, reference.numpy()) <= 1e-4


def run_tool(*args):
    result = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True,
                            text=True, timeout=600)
    return result.returncode, result.stdout + result.stderr


def match_rate(actual, expected, iou_threshold=0.95):
    """Share of ``actual`` boxes (dict of bboxes, scores, labels) with a box
    of the same label in ``expected`` at IoU >= ``iou_threshold`` and a
    score within 1e-3; 1 when both are empty."""
    from torchvision.ops import box_iou
    actual, expected = ({key: torch.as_tensor(value) for key, value in boxes.items()}
                        for boxes in (actual, expected))
    if len(actual['bboxes']) == 0:
        return float(len(expected['bboxes']) == 0)
    if len(expected['bboxes']) == 0:
        return 0.
    iou = box_iou(actual['bboxes'], expected['bboxes'])
    same = ((actual['labels'][:, None] == expected['labels'][None]) &
            ((actual['scores'][:, None] - expected['scores'][None]).abs() <= 1e-3))
    return float(((iou >= iou_threshold) & same).any(1).float().mean())


C4_CONFIG = osp.join(ROOT, 'configs', 'shufflenet_v1',
                     'faster-rcnn_shufflenet-v1-1x-g3_c4-1x_coco-300.py')
# every box kept, so that an untrained model's ranking is compared
TOP_K = {'model.test_cfg.rcnn.score_thr': 0., 'model.test_cfg.rcnn.max_per_img': 50}


@pytest.fixture(scope='module')
def c4_model(tmp_path_factory):
    """A randomly initialised ShuffleNet v1 C4 detector, its checkpoint,
    and its export through tools/export_onnx.py at 160x224."""
    from mmdet.apis import init_detector
    from mmengine.config import Config
    root = tmp_path_factory.mktemp('c4')
    cfg = Config.fromfile(C4_CONFIG)
    cfg.merge_from_dict(TOP_K)
    torch.manual_seed(0)
    model = randomise_batch_norm(init_detector(cfg, None, device='cpu'))
    checkpoint = str(root / 'random.pth')
    torch.save(dict(state_dict=model.state_dict()), checkpoint)
    onnx_file = str(root / 'c4.onnx')
    code, log = run_tool('tools/export_onnx.py', C4_CONFIG, checkpoint, onnx_file,
                         '--shape', '160', '224', '--cfg-options',
                         *[f'{key}={value}' for key, value in TOP_K.items()])
    assert code == 0, log[-3000:]
    assert 'input [1, 3, 160, 224]' in log
    return model, onnx_file


def pytorch_predict(model, image):
    """mmdet's prediction for ``image`` (1, 3, H, W, BGR 0-255), taken as
    already resized and padded: what the ONNX graph gets."""
    from mmdet.structures import DetDataSample
    height, width = image.shape[2:]
    sample = DetDataSample(metainfo=dict(
        img_shape=(height, width), ori_shape=(height, width), scale_factor=(1., 1.)))
    with torch.no_grad():
        (result, ) = model.test_step(dict(inputs=[image[0]], data_samples=[sample]))
    return {key: value.numpy() for key, value in result.pred_instances.items()}


def test_c4_detector_export_matches_pytorch(c4_model):
    model, onnx_file = c4_model
    generator = torch.Generator().manual_seed(1)  # not the image it was traced on
    image = torch.rand(1, 3, 160, 224, generator=generator) * 255
    dets, labels = run_onnx(onnx_file, image)
    assert dets.shape[0] == 1 and dets.shape[2] == 5 and labels.dtype == np.int64
    actual = dict(bboxes=dets[0, :, :4], scores=dets[0, :, 4], labels=labels[0])
    expected = pytorch_predict(model, image)
    assert len(actual['scores']) == len(expected['scores']) == 50
    assert match_rate(actual, expected) >= 0.95
    assert match_rate(expected, actual) >= 0.95


def test_runner_refuses_images_larger_than_the_input(c4_model):
    from shufflenet_det.deploy import OnnxDetector
    detector = OnnxDetector(c4_model[1])
    assert detector.input_shape == (160, 224)
    # the config's test Resize (500, 300) keeps 300x500: more than 160x224
    with pytest.raises(ValueError, match='resized to 300x500 does not fit the '
                       'model input 160x224'):
        detector(np.zeros((300, 500, 3), np.uint8))


def test_export_refuses_what_it_cannot_reproduce(c4_model):
    from mmcv.ops import RoIPool

    from shufflenet_det.deploy import ExportableFasterRCNN
    model, _ = c4_model
    with pytest.raises(ValueError, match=r'shape=\(150, 224\).*multiples of the '
                       r'pad_size_divisor 32'):
        ExportableFasterRCNN(model, (150, 224))
    extractor = model.roi_head.bbox_roi_extractor
    original = extractor.roi_layers[0]
    extractor.roi_layers[0] = RoIPool(7, 1 / 16)
    try:
        with pytest.raises(ValueError, match=r"roi_layer=RoIPool.*supports mmcv "
                           r"RoIAlign\(pool_mode='avg'\)"):
            ExportableFasterRCNN(model, (160, 224))
    finally:
        extractor.roi_layers[0] = original


@pytest.fixture(scope='module')
def demo_run(tmp_path_factory):
    """The demo, trained for 40 iterations on 8 images at 64x64, then
    exported and evaluated in ONNX Runtime by the demo itself."""
    from shufflenet_det.tools.demo import run_demo
    work_dir = str(tmp_path_factory.mktemp('demo'))
    loader = dict(num_workers=0, persistent_workers=False)
    size = (64, 64)
    metrics, checkpoint, _ = run_demo(
        work_dir, max_iters=40, num_train=8, num_val=4, image_size=64,
        cfg_options={
            'train_dataloader': dict(batch_size=4, **loader),
            'val_dataloader': loader, 'test_dataloader': loader,
            'param_scheduler': [],
            # the Resize of each pipeline (the export reads the test one)
            'train_dataloader.dataset.pipeline.2.scale': size,
            'val_dataloader.dataset.pipeline.1.scale': size,
            'test_dataloader.dataset.pipeline.1.scale': size})
    return work_dir, metrics, checkpoint


def test_demo_reports_onnx_map_beside_pytorch(demo_run):
    _, metrics, _ = demo_run
    assert 'onnx/bbox_mAP' in metrics, metrics
    assert abs(metrics['onnx/bbox_mAP'] - metrics['coco/bbox_mAP']) <= 0.005, metrics


def test_demo_export_boxes_match_pytorch(demo_run):
    """Through the runner (image file in, original-image boxes out) against
    mmdet's inference on the same files: every box above the config's score
    threshold (0.05; so briefly trained, the model scores none >= 0.3)."""
    import glob

    import cv2
    from mmdet.apis import inference_detector, init_detector

    from shufflenet_det.deploy import OnnxDetector
    work_dir, _, checkpoint = demo_run
    detector = OnnxDetector(osp.join(work_dir, 'model.onnx'))
    config = glob.glob(osp.join(work_dir, '*.py'))[0]  # as the runner saved it
    model = init_detector(config, checkpoint, device='cpu')
    compared = 0
    for path in sorted(glob.glob(osp.join(work_dir, 'data', 'val', '*.png'))):
        actual = detector(path)
        expected = inference_detector(model, path).pred_instances.numpy()
        actual, expected = (
            {key: result[key] for key in ('bboxes', 'scores', 'labels')}
            for result in (actual, expected))
        compared += len(expected['scores'])
        from_array = detector(cv2.imread(path))  # as cv2 reads it: BGR
        for key in ('bboxes', 'scores', 'labels'):
            np.testing.assert_array_equal(from_array[key], actual[key])
        assert match_rate(actual, expected) >= 0.95
        assert match_rate(expected, actual) >= 0.95
    assert compared > 0, 'no box predicted: train the demo model longer'
