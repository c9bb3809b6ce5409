"""The benchmark library and tools: every mode they time computes the model's
own function, and the tools print what they claim to measure."""
import subprocess
import sys

import pytest
import torch
from mmdet.registry import MODELS
from mmdet.utils import register_all_modules
from mmengine.config import Config

from shufflenet_det.tools.benchmark import (MODES, detector_stage_latency,
                                            median_latency, prepare, random_like,
                                            random_proposals)
from shufflenet_det.tools.demo import DEMO_CONFIG
from helpers import ROOT


@pytest.fixture(scope='module', autouse=True)
def _registry():
    register_all_modules()


@pytest.mark.parametrize('mode', MODES)
def test_every_timed_mode_computes_the_same_outputs(mode):
    model = MODELS.build(dict(type='ShuffleNetV1', widen_factor=0.25,
                              out_indices=(0, 1, 2))).eval()
    x = torch.randn(1, 3, 64, 96)
    prepared = prepare(model, mode, x)
    with torch.inference_mode():
        expected, outputs = model(x), prepared(x)
    for out, ref in zip(outputs, expected, strict=True):
        torch.testing.assert_close(out, ref, rtol=1e-4, atol=1e-4)


def test_prepare_rejects_unknown_mode():
    with pytest.raises(ValueError, match="mode='onnx' .*allowed: .*'fast'"):
        prepare(torch.nn.Identity(), 'onnx')


def test_median_latency_times_every_model():
    models = {'identity': torch.nn.Identity(), 'conv': torch.nn.Conv2d(3, 4, 3)}
    latency = median_latency(models, torch.randn(1, 3, 16, 16), repeats=3, warmup=1)
    assert set(latency) == set(models)
    assert all(ms > 0 for ms in latency.values())


def test_detector_stage_latency_splits_the_predict_path():
    model = MODELS.build(Config.fromfile(DEMO_CONFIG).model).eval()
    from mmdet.testing import demo_mm_inputs
    data = model.data_preprocessor(
        demo_mm_inputs(batch_size=1, image_shapes=[(3, 64, 96)], num_items=[1]),
        training=False)
    proposals = random_proposals(data['data_samples'][0].img_shape, 50)
    assert len(proposals) == 50
    latency = detector_stage_latency({'demo': (model, data, proposals)}, repeats=2,
                                     warmup=0)
    stages = latency['demo']
    assert set(stages) == {'backbone', 'rpn', 'roi_head'}
    assert all(stages[stage] > 0 for stage in ('backbone', 'rpn', 'roi_head'))


def test_random_like_is_the_same_for_the_same_shapes():
    """Detectors with the same anchors get the same RPN proposal work."""
    outputs = [[torch.zeros(1, 3, 4, 5)], [torch.zeros(1, 12, 4, 5)]]
    first, second = random_like(outputs), random_like(outputs)
    assert [[t.shape for t in level] for level in first] == [
        [(1, 3, 4, 5)], [(1, 12, 4, 5)]]
    assert all(torch.equal(a[0], b[0]) for a, b in zip(first, second))
    assert not torch.equal(first[0][0], random_like(outputs, seed=1)[0][0])


def test_benchmark_detector_cli_compares_with_mobilenet():
    configs = ['shufflenet_v1/faster-rcnn_shufflenet-v1-1x-g3_c4-1x_coco-300.py',
               'mobilenet_v1/faster-rcnn_mobilenet-v1-1.0_c4-1x_coco-300.py']
    result = subprocess.run(
        [sys.executable, 'tools/benchmark_detector.py', *configs, '--repeats', '1',
         '--warmup', '0', '--modes', 'fast', '--image-size', '120', '160'],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    rows = [line.split(' | ') for line in result.stdout.splitlines()
            if line.startswith('| faster-rcnn')]
    assert [row[0] for row in rows] == [
        '| faster-rcnn_shufflenet-v1-1x-g3_c4-1x_coco-300',
        '| faster-rcnn_mobilenet-v1-1.0_c4-1x_coco-300']
    # resized as the 300 configs' test pipeline does: short side 300
    assert [row[2] for row in rows] == ['300x400', '300x400']
    assert rows[1][-1] == '1.00 |'
    assert float(rows[0][-1].rstrip(' |')) > 0


@pytest.mark.parametrize('args,message', [
    (['nowhere/x.py'], "config 'nowhere/x.py' not found"),
    pytest.param(['--device', 'cuda'], '--device cuda: CUDA is not available',
                 marks=pytest.mark.skipif(torch.cuda.is_available(),
                                          reason='CUDA is available')),
])
def test_benchmark_detector_cli_names_bad_arguments(args, message):
    result = subprocess.run(
        [sys.executable, 'tools/benchmark_detector.py', *args],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 2
    assert message in result.stderr
