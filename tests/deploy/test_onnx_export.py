"""ONNX export (shufflenet_det.deploy.onnx_export, tools/export_onnx.py):
backbones with both torch.onnx exporters and whole detectors, checked in
ONNX Runtime against PyTorch."""
import importlib.util
import os
import os.path as osp
import re
import signal
import subprocess
import sys
import time
import warnings

import numpy as np
import pytest
import torch

from shufflenet_det.models import MobileNetV1, ShuffleNetV1, ShuffleNetV2, SNet
from helpers import (C4_CONFIG, FPN_LIGHT_CONFIG, ROOT, export_command, match_rate,
                     randomise_batch_norm, run_tool, tool_error)

ort = pytest.importorskip('onnxruntime')
pytest.importorskip('onnx')

# The smallest width of every family and unit layout. The TorchScript-based
# exporter once dropped the channel shuffle's in-place copy, so it runs
# on every one; the dynamo exporter (marked slow) on one per layout.
BACKBONES = {
    **{f'v1-g{g}-{variant}': (ShuffleNetV1, dict(groups=g, widen_factor=0.25,
                                                 variant=variant))
       for g in (1, 2, 3, 4, 8) for variant in ('paper', 'megvii')},
    **{f'v2-{variant}': (ShuffleNetV2, dict(widen_factor=0.5, variant=variant))
       for variant in ('torchvision', 'megvii')},
    'mobilenet-v1': (MobileNetV1, dict(widen_factor=0.25)),
    'snet49': (SNet, dict(arch=49, out_indices=(0, 1, 2, 3))),
}
DYNAMO = ('v1-g3-paper', 'v1-g8-megvii', 'v2-torchvision', 'v2-megvii', 'mobilenet-v1',
          'snet49')


def run_onnx(path, *inputs):
    session = ort.InferenceSession(path, providers=['CPUExecutionProvider'])
    names = [arg.name for arg in session.get_inputs()]
    assert len(names) == len(inputs)  # a graph with no input is a constant
    return session.run(None, {name: x.numpy() for name, x in zip(names, inputs)})


def relative_error(actual, expected):
    return float(np.abs(actual - expected).max() / np.abs(expected).max())


@pytest.mark.parametrize('name,dynamo', [
    *[pytest.param(name, False, id=f'{name}-torchscript') for name in BACKBONES],
    *[pytest.param(name, True, id=f'{name}-dynamo', marks=pytest.mark.slow)
      for name in DYNAMO]])
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


def check_engines_find_mmdets_boxes(model, onnx_file, image):
    """ONNX Runtime's and (where installed) OpenVINO's 50 boxes of the
    exported ``onnx_file`` on ``image`` are ``model``'s in mmdet, both ways."""
    from shufflenet_det.deploy import openvino_model
    expected = pytorch_predict(model, image)
    assert len(expected['scores']) == 50
    engines = {'onnxruntime': run_onnx(onnx_file, image)}
    if importlib.util.find_spec('openvino'):
        engines['openvino'] = tuple(openvino_model(onnx_file)(image.numpy()).values())
    for engine, (dets, labels) in engines.items():
        actual = dict(bboxes=dets[0, :, :4], scores=dets[0, :, 4], labels=labels[0])
        assert match_rate(actual, expected) >= 0.95, engine
        assert match_rate(expected, actual) >= 0.95, engine


@pytest.mark.slow
def test_light_fpn_export_matches_pytorch_in_the_engines(fpn_light_model):
    """The small-object real-time config: one graph of standard operators
    whose ONNX Runtime and OpenVINO boxes are mmdet's; the BatchNorm of its
    FPN (random statistics here) folded into the convs, so that it costs
    nothing at inference."""
    import onnx
    model, onnx_file = fpn_light_model
    assert any(isinstance(m, torch.nn.BatchNorm2d) for m in model.neck.modules())
    assert 'BatchNormalization' not in {
        node.op_type for node in onnx.load(onnx_file).graph.node}
    image = torch.rand(1, 3, 320, 320, generator=torch.Generator().manual_seed(1)) * 255
    check_engines_find_mmdets_boxes(*fpn_light_model, image)


@pytest.mark.slow
def test_normalised_rpn_folds_into_its_shared_conv(tmp_path):
    """:class:`NormRPNHead` (a BatchNorm per level after the RPN's shared
    conv, random statistics here) on the light FPN: each level's norm folds
    into its own copy of the conv, and the engines find mmdet's boxes."""
    import onnx
    from conftest import random_detector_export
    config = tmp_path / 'norm_rpn.py'
    config.write_text(f'_base_ = [{FPN_LIGHT_CONFIG!r}]\n'
                      "model = dict(rpn_head=dict(type='NormRPNHead'))\n")
    model, onnx_file, shape = random_detector_export(tmp_path, str(config))
    assert type(model.rpn_head).__name__ == 'NormRPNHead'
    assert len(model.rpn_head.rpn_norms) == 5  # strides 8-128
    assert 'BatchNormalization' not in {
        node.op_type for node in onnx.load(onnx_file).graph.node}
    image = torch.rand(1, 3, *shape, generator=torch.Generator().manual_seed(1)) * 255
    check_engines_find_mmdets_boxes(model, onnx_file, image)


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


@pytest.mark.parametrize('fixture', [
    'thundernet_model', pytest.param('thundernet_s8_model', marks=pytest.mark.slow)])
def test_thundernet_export_matches_pytorch_in_both_engines(fixture, request):
    """One graph of standard operators (PSRoIAlign as MatMuls);
    ONNX Runtime's and OpenVINO's boxes are mmdet's; for the stride-16
    ThunderNet and the small-object one on stride 8, whose CEM's BatchNorm
    (random statistics here) is folded into its convs."""
    import onnx
    model, onnx_file = request.getfixturevalue(fixture)
    graph = onnx.load(onnx_file).graph
    assert all(not node.domain for node in graph.node)  # no custom operator
    operators = {node.op_type for node in graph.node}
    assert {'MatMul', 'NonMaxSuppression'} <= operators
    assert not {'RoiAlign', 'BatchNormalization'} & operators
    if fixture == 'thundernet_s8_model':
        assert any(isinstance(m, torch.nn.BatchNorm2d) for m in model.neck.modules())
    generator = torch.Generator().manual_seed(1)
    image = torch.rand(1, 3, 256, 256, generator=generator) * 255
    check_engines_find_mmdets_boxes(model, onnx_file, image)


def test_padded_proposals_add_no_detections(thundernet_model):
    """With fewer proposals than ``max_per_img`` (here: far more asked than
    there are anchors), the padding rows of the static RoI head give no
    detection: the exportable forward, run in PyTorch, finds mmdet's boxes,
    labels and scores."""
    import copy

    from shufflenet_det.deploy import ExportableTwoStageDetector
    model = copy.deepcopy(thundernet_model[0])
    model.rpn_head.test_cfg.max_per_img = 5000  # 256x256: 16 x 16 x 3 anchors
    model.roi_head.test_cfg.max_per_img = -1  # every detection, padding's too
    image = torch.rand(1, 3, 256, 256, generator=torch.Generator().manual_seed(2)) * 255
    expected = pytorch_predict(model, image)
    with torch.no_grad():
        dets, labels = ExportableTwoStageDetector(model, (256, 256))(image)
    actual = dict(bboxes=dets[0, :, :4].numpy(), scores=dets[0, :, 4].numpy(),
                  labels=labels[0].numpy())
    assert len(actual['scores']) == len(expected['scores']) > 0
    # the same detections, in the same order up to ties of equal scores
    assert match_rate(actual, expected, 0.999, 1e-5) == 1
    assert match_rate(expected, actual, 0.999, 1e-5) == 1


def test_the_export_leaves_the_callers_model_as_it_is(c4_model):
    """Eval mode and the shared head's all-RoIs-at-once are set on the
    wrapper's copy: the caller's model, in training mode, keeps its mode,
    attributes and weights (batch-norm statistics included) through
    wrapping and exporting."""
    import copy
    import io

    from shufflenet_det.deploy import ExportableTwoStageDetector, export_detector
    model = copy.deepcopy(c4_model[0]).train()
    shared_head = model.roi_head.shared_head
    test_batch = shared_head.test_batch
    assert test_batch  # what the copy's is set to None
    modes = [module.training for module in model.modules()]
    assert model.training  # (frozen stages and norm_eval stay in eval mode)
    state = {key: value.clone() for key, value in model.state_dict().items()}
    wrapper = ExportableTwoStageDetector(model, (160, 224))
    assert not wrapper.model.training
    assert wrapper.model.roi_head.shared_head.test_batch is None
    export_detector(model, (160, 224), io.BytesIO())  # runs a wrapper's forward
    assert [module.training for module in model.modules()] == modes
    assert shared_head.test_batch == test_batch
    assert model.state_dict().keys() == state.keys()
    assert all(torch.equal(value, state[key])
               for key, value in model.state_dict().items())


def test_export_refuses_what_it_cannot_reproduce(c4_model):
    from mmcv.ops import RoIPool

    from shufflenet_det.deploy import ExportableTwoStageDetector
    model, _ = c4_model
    with pytest.raises(ValueError, match=r'shape=\(150, 224\).*multiples of the '
                       r'pad_size_divisor 32'):
        ExportableTwoStageDetector(model, (150, 224))
    extractor = model.roi_head.bbox_roi_extractor
    original = extractor.roi_layers[0]
    extractor.roi_layers[0] = RoIPool(7, 1 / 16)
    try:
        with pytest.raises(ValueError, match=r"roi_layer=RoIPool.*supports mmcv "
                           r"RoIAlign\(pool_mode='avg'\)"):
            ExportableTwoStageDetector(model, (160, 224))
    finally:
        extractor.roi_layers[0] = original


def stat(path):
    """What changes when a file is written or replaced."""
    result = os.stat(path)
    return result.st_ino, result.st_size, result.st_mtime_ns


def complete_export(path):
    """Whether ``path`` is a whole export: it runs, with its metadata."""
    from shufflenet_det.runtime import Detector
    return bool(Detector(str(path)).classes)


@pytest.mark.slow
def test_a_killed_export_leaves_the_old_file_or_the_whole_new_one(
        c4_model, tmp_path):
    """An export over an existing file, SIGKILLed during start-up and as
    soon as anything in the folder changes (the file, or a new temporary
    one), then run whole. The file is the old one, byte for byte, or the new
    one with its metadata: never empty, part of a graph or a graph without
    metadata."""
    import onnx
    model = onnx.load(c4_model[1])
    model.metadata_props.add(key='test.old', value='1')
    out = tmp_path / 'model.onnx'
    onnx.save(model, str(out))
    command = [sys.executable, *export_command(
        C4_CONFIG, osp.join(osp.dirname(c4_model[1]), 'random.pth'), str(out),
        '--shape', '160', '224')]
    caught_writing = 0
    for kill in (1.0, 'writing', None):
        before, listing, state = out.read_bytes(), set(os.listdir(tmp_path)), stat(out)
        process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        start = time.monotonic()
        while process.poll() is None:
            writing = set(os.listdir(tmp_path)) != listing or stat(out) != state
            if kill == 1.0 and time.monotonic() - start > 1.0 or (
                    writing and kill == 'writing'):
                caught_writing += writing
                process.kill()
                break
            time.sleep(0.001)
        assert process.wait(300) in (0, -signal.SIGKILL)
        if kill is None:
            assert process.returncode == 0
        assert out.read_bytes() == before or complete_export(out), kill
    assert caught_writing == 1  # the second kill landed while it wrote
    assert complete_export(out) and 'test.old' not in {
        prop.key for prop in onnx.load(str(out)).metadata_props}
    assert all(name.startswith('.model.onnx.') for name in os.listdir(tmp_path)
               if name != 'model.onnx')  # what a kill left: hidden temporaries


def test_export_refuses_an_output_it_cannot_write_and_a_checkpoint_that_does_not_fit(
        c4_model, tiny_config, tmp_path):
    """Before building anything: an output that is a folder or the
    checkpoint. A trained checkpoint of another architecture (the C4 one
    with the FPN demo config): one line naming it, the counts, keys and the
    likely cause, where mmdet exported random weights."""
    checkpoint = osp.join(osp.dirname(c4_model[1]), 'random.pth')
    config = tiny_config[1]
    assert tool_error('tools/export_onnx.py', config, checkpoint, tmp_path) == (
        f'output {tmp_path} is a folder; allowed: the path of a file to write')
    assert tool_error('tools/export_onnx.py', config, checkpoint, checkpoint) == (
        f'output {checkpoint} is the input file {checkpoint}; allowed: another '
        'path (writing it would replace the input)')
    message = tool_error('tools/export_onnx.py', config, checkpoint,
                         tmp_path / 'model.onnx')
    assert re.fullmatch(
        rf'{checkpoint} does not fit this FasterRCNN of the config \(\d+ tensors\): '
        r'\d+ missing: backbone\..* and \d+ more; \d+ of another shape: .*Likely '
        r'cause: a checkpoint of another config .*--allow-partial.*', message), message
    assert os.listdir(tmp_path) == []
    blocked = tmp_path / 'notes.txt'
    blocked.write_text('a file where the output folder would be made')
    assert tool_error('tools/export_onnx.py', config, checkpoint,
                      blocked / 'model.onnx') == (
        f'output {blocked / "model.onnx"}: folder {blocked}: {blocked} is a file, not '
        'a folder; allowed: a folder path (made if missing)')


@pytest.mark.slow
def test_class_names_come_from_the_config_without_a_coco_warning(tiny_config,
                                                                 tmp_path):
    """A checkpoint holding only a state_dict (no dataset_meta): the file
    names the config's 4 shape classes, not COCO's 80, and the export says
    nothing of COCO classes. A config whose dataset names fewer classes than
    its head predicts is refused."""
    from mmdet.apis import init_detector

    from shufflenet_det.datasets import SHAPE_CLASSES
    from shufflenet_det.runtime import read_export_metadata
    config = tiny_config[1]
    checkpoint = str(tmp_path / 'weights_only.pth')
    torch.save(dict(state_dict=init_detector(config, None, device='cpu').state_dict()),
               checkpoint)
    out = str(tmp_path / 'model.onnx')
    log = run_tool('tools/export_onnx.py', config, checkpoint, out)
    assert 'COCO' not in log
    assert read_export_metadata(out)[1] == tuple(SHAPE_CLASSES)
    message = tool_error('tools/export_onnx.py', config, checkpoint,
                         str(tmp_path / 'other.onnx'), '--cfg-options',
                         "test_dataloader.dataset.metainfo.classes=['a','b']")
    assert message.startswith("the config's test dataset names 2 classes, its "
                              'detector predicts 4'), message
