"""The benchmark library and tools: every mode they time computes the model's
own function, and the tools print what they claim to measure."""
import contextlib
import functools
import importlib.util
import io
import json
import os
import os.path as osp
import subprocess
import sys
import time

import numpy as np
import pytest
import torch
from mmdet.registry import MODELS
from mmdet.utils import register_all_modules
from mmengine.config import Config

from shufflenet_det.deploy import export_module
from shufflenet_det.runtime.engines import MODULES
from shufflenet_det.tools.benchmark import (ENGINES, MODES, Measurement, Run,
                                            StageSeconds, detector_stage_latency,
                                            fastest, in_own_process, latency_rounds,
                                            measurements, missing_engines, onnx_runner,
                                            prepare, ratios, silence_rpn, spread,
                                            write_results)
from shufflenet_det.tools.demo import DEMO_CONFIG
from helpers import ROOT, randomise_batch_norm, tool_error

C4_300 = ['shufflenet_v1/faster-rcnn_shufflenet-v1-1x-g3_c4-1x_coco-300.py',
          'mobilenet_v1/faster-rcnn_mobilenet-v1-1.0_c4-1x_coco-300.py']
THUNDERNET = 'thundernet/thundernet_snet146_cem-80e_coco-320.py'
TORCHVISION = 'torchvision:fasterrcnn_mobilenet_v3_large_320_fpn'


@pytest.fixture(scope='module', autouse=True)
def _registry():
    register_all_modules()


@pytest.mark.slow
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


def test_latency_rounds_times_every_call_after_the_warmup():
    calls = {'identity': lambda: None, 'sleep': lambda: time.sleep(0.002),
             'staged': lambda: StageSeconds(a=0.001, b=0.002)}
    times = latency_rounds(calls, repeats=3, warmup=1)
    assert {name: len(ms['total']) for name, ms in times.items()} == {
        'identity': 3, 'sleep': 3, 'staged': 3}
    assert min(times['sleep']['total']) >= 2
    # a call that times its own stages: their ms, its total their sum
    assert times['staged'] == dict(total=[3.0] * 3, a=[1.0] * 3, b=[2.0] * 3)
    assert spread([3.0, 1.0, 2.0, 10.0]) == (1.0, 2.5, 10.0)


def test_runs_are_written_as_the_tables_write_them():
    runs = (Run('torch', 'fast'), Run.onnx('onnxruntime'),
            Run('openvino', precision='bf16'), Run.onnx('openvino', 'nncf'))
    assert [str(run) for run in runs] == [
        'fast', 'onnxruntime', 'openvino bf16', 'openvino int8/nncf']


def test_records_fastest_ratios_and_json(tmp_path):
    """Ratios to the fastest baseline of the same precision; the JSON holds
    each record's run as fields, not as a string to parse."""
    times = {('a', Run('torch', 'fast')): dict(total=[4.0, 2.0, 3.0], rpn=[1, 2, 3]),
             ('base', Run('torch', 'eager')): dict(total=[8.0]),
             ('base', Run('torch', 'fast')): dict(total=[6.0]),
             ('a', Run.onnx('onnxruntime', 'nncf')): dict(total=[1.0]),
             ('base', Run.onnx('openvino', 'nncf')): dict(total=[2.0])}
    records = measurements(times)
    assert records[0] == Measurement('a', Run('torch', 'fast'), (2.0, 3.0, 4.0),
                                     dict(rpn=2))
    assert fastest(records, lambda record: record.model == 'base').ms.median == 2.0
    assert fastest(records, lambda record: record.model == 'none') is None
    assert ratios(records, lambda record: record.model == 'base') == [
        0.5, 8 / 6, 1.0, 0.5, 1.0]
    assert ratios(records[:1], lambda record: record.model == 'base') == [None]
    records[0].columns['gmac'] = 1.5
    write_results(tmp_path / 'r.json', records[:4:3], tool='t', threads=2)
    written = json.loads((tmp_path / 'r.json').read_text())
    assert {key: written.pop(key) for key in ('date', 'command', 'machine', 'versions')}
    assert written == dict(
        tool='t', threads=2, results=[
            dict(model='a', engine='torch', mode='fast', precision='fp32',
                 quantizer=None, runs_as='fast', ms=[2.0, 3.0, 4.0],
                 stages=dict(rpn=2), gmac=1.5),
            dict(model='a', engine='onnxruntime', mode=None, precision='int8',
                 quantizer='nncf', runs_as='onnxruntime int8/nncf',
                 ms=[1.0, 1.0, 1.0], stages={})])


@pytest.mark.parametrize('engine', ENGINES[1:])
@pytest.mark.parametrize('backbone', [
    dict(type='ShuffleNetV1', widen_factor=0.25, out_indices=(1, 2)),
    # its train() returns None
    dict(type='MobileNetV2', widen_factor=0.5, out_indices=(7, ))])
def test_onnx_runner_computes_the_model(engine, backbone):
    pytest.importorskip(MODULES[engine])
    model = randomise_batch_norm(MODELS.build(backbone))
    model.eval()
    x = torch.randn(1, 3, 64, 96)
    run = onnx_runner(functools.partial(export_module, model, x), engine, threads=1)
    outputs = run(x.numpy())
    outputs = list(outputs.values()) if engine == 'openvino' else outputs
    with torch.no_grad():
        expected = model(x)
    assert len(outputs) == len(expected)
    for actual, reference in zip(outputs, expected):
        torch.testing.assert_close(torch.as_tensor(actual), reference, rtol=1e-4,
                                   atol=1e-4)


def test_onnx_runner_rejects_torch():
    with pytest.raises(ValueError, match="engine='torch' .*allowed: .*'onnxruntime'"):
        onnx_runner(lambda path: None, 'torch', 1)


def test_in_own_process_runs_elsewhere_and_returns():
    assert in_own_process(os.getpid) != os.getpid()
    assert missing_engines(['torch', 'no_such_engine']) == ['no_such_engine']
    assert missing_engines(['mnn', 'nncf', 'onnxruntime']) == [  # MNN, a quantizer
        name for name, module in (('mnn', 'MNN'), ('nncf', 'nncf'))
        if importlib.util.find_spec(module) is None]


def build_detector(config):
    return silence_rpn(MODELS.build(Config.fromfile(
        osp.join(ROOT, 'configs', config)).model)).eval()


def test_silenced_rpn_proposes_the_same_boxes_for_the_same_anchors():
    """Different backbones, same anchors: the same proposals, as many as a
    trained RPN keeps (max_per_img)."""
    from shufflenet_det.tools.benchmark_detector import one_image
    proposals = []
    for config in C4_300:
        model = build_detector(config)
        data = one_image(model, Config.fromfile(osp.join(ROOT, 'configs', config)),
                         (120, 160))
        with torch.no_grad():
            features = model.extract_feat(data['inputs'])
            proposals.append(model.rpn_head.predict(
                features, data['data_samples'], rescale=False)[0].bboxes)
    assert len(proposals[0]) == model.test_cfg.rpn.max_per_img
    torch.testing.assert_close(proposals[0], proposals[1])


def test_detector_stage_latency_splits_the_predict_path():
    model = silence_rpn(MODELS.build(Config.fromfile(DEMO_CONFIG).model)).eval()
    from mmdet.testing import demo_mm_inputs
    data = model.data_preprocessor(
        demo_mm_inputs(batch_size=1, image_shapes=[(3, 64, 96)], num_items=[1]),
        training=False)
    times, counts = detector_stage_latency({'demo': (model, data)}, repeats=2,
                                           warmup=0)
    stages = times['demo']
    assert set(stages) == {'backbone', 'rpn', 'roi_head', 'total'}
    assert all(len(ms) == 2 and min(ms) > 0 for ms in stages.values())
    for index in range(2):
        parts = sum(stages[stage][index] for stage in ('backbone', 'rpn', 'roi_head'))
        assert parts == pytest.approx(stages['total'][index])
    assert counts['demo'] > 0


def run_benchmark(tool, *args):
    result = subprocess.run([sys.executable, f'tools/{tool}', *args], cwd=ROOT,
                            capture_output=True, text=True, timeout=900)
    return result.returncode, result.stdout, result.stderr


def table_rows(stdout, prefix):
    return [[cell.strip() for cell in line.strip('|').split('|')]
            for line in stdout.splitlines() if line.startswith(f'| {prefix}')]


def check_speed_targets(*paths):
    """tools/check_speed_targets.py on ``paths``: (exit status, its lines)."""
    spec = importlib.util.spec_from_file_location(
        'check_speed_targets', osp.join(ROOT, 'tools', 'check_speed_targets.py'))
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    with contextlib.redirect_stdout(io.StringIO()) as stdout:
        status = script.main([str(path) for path in paths])
    return status, stdout.getvalue().splitlines()


@pytest.mark.slow
def test_benchmark_detector_cli_compares_engines_with_mobilenet_and_torchvision(
        tmp_path):
    # OpenVINO runs the same code path as ONNX Runtime here (the backbone
    # CLI test and the runner tests run it)
    engines = ['torch', 'onnxruntime']
    code, stdout, stderr = run_benchmark(
        'benchmark_detector.py', *C4_300, THUNDERNET, TORCHVISION, '--repeats', '1',
        '--warmup', '0', '--modes', 'fast', '--image-size', '120', '160',
        '--threads', '1', '--engine', *engines, '--json', str(tmp_path / 'd.json'),
        '--plot', str(tmp_path / 'd.png'))
    assert code == 0, stderr[-3000:]
    ran = [engine for engine in engines if engine not in missing_engines(engines)]
    rows = table_rows(stdout, 'faster-rcnn')
    runs_as = ['fast' if engine == 'torch' else engine for engine in ran]
    assert [(row[0], row[1]) for row in rows] == [
        (name, run_as) for run_as in runs_as
        for name in ('faster-rcnn_shufflenet-v1-1x-g3_c4-1x_coco-300',
                     'faster-rcnn_mobilenet-v1-1.0_c4-1x_coco-300')]
    # resized as the 300 configs' test pipeline does (short side 300), padded
    assert {row[2] for row in rows} == {'320x416'}
    # PyTorch: stages and the proposals the RoI head got; ONNX: the graph
    for row in rows:
        torch_row = row[1] == 'fast'
        assert (row[4] == '300') == torch_row and (row[5] != '-') == torch_row
        low, median, high = (float(ms) for ms in row[8].split(' / '))
        assert 0 < low <= median <= high
    row_ratios = [(row[0], float(row[9])) for row in rows]
    assert min(ratio for name, ratio in row_ratios if 'mobilenet' in name) == 1.0
    assert all(ratio > 0 for _, ratio in row_ratios)
    # ThunderNet at its 320x320 with 200 proposals, torchvision's resized by
    # its own transform (short side 320, padded to 32), eager, whole
    thundernet = table_rows(stdout, 'thundernet_snet146')
    assert [row[1] for row in thundernet] == runs_as
    assert {row[2] for row in thundernet} == {'320x320'}
    assert [row[4] for row in thundernet if row[1] == 'fast'] == ['200']
    torchvision = table_rows(stdout, 'fasterrcnn_mobilenet_v3_large_320_fpn')
    assert [row[1] for row in torchvision] == [
        'eager' if engine == 'torch' else engine for engine in ran]
    assert {row[2] for row in torchvision} == {'320x448'}
    assert all(row[5] == '-' for row in torchvision)  # no stages
    # whole-detector mult-adds: ThunderNet's a fraction of the C4 detector's
    gmac = {row[0]: float(row[3]) for row in rows + thundernet + torchvision}
    assert 0.2 < gmac['thundernet_snet146_cem-80e_coco-320'] < 1.0
    assert gmac['faster-rcnn_shufflenet-v1-1x-g3_c4-1x_coco-300'] > 5
    # its box head's two FCs on 150 RoIs alone are about 2 GMAC
    assert 2 < gmac['fasterrcnn_mobilenet_v3_large_320_fpn'] < 5
    assert 'target' not in stdout  # the project's targets are not the tool's
    # the JSON: one record per row, the run as fields
    measured = json.loads((tmp_path / 'd.json').read_text())
    assert measured['tool'] == 'benchmark_detector'
    assert [(r['model'], r['engine'], r['precision'], r['runs_as'])
            for r in measured['results'] if r['model'] == THUNDERNET] == [
                (THUNDERNET, engine, 'fp32', run_as)
                for engine, run_as in zip(ran, runs_as)]
    assert all(r['input'] == [320, 320] and r['gmac'] > 0
               for r in measured['results'] if r['model'] == THUNDERNET)
    _, lines = check_speed_targets(tmp_path / 'd.json')
    for target in ('faster-rcnn_shufflenet-v1-1x-g3_c4-1x_coco-600 / faster-rcnn_'
                   'mobilenet-v1-1.0_c4-1x_coco-600, best engine each: not measured',
                   'thundernet_snet146_cem-80e_coco-320 / fasterrcnn_mobilenet_v3_'
                   'large_320_fpn, best engine each (',
                   'thundernet_snet146_cem-80e_coco-320 / faster-rcnn_shufflenet-v1-'
                   '1x-g3_c4-1x_coco-300, best engine each ('):
        assert any(line.startswith(f'target: {target}') for line in lines), target
    assert (tmp_path / 'd.png').stat().st_size > 0


@pytest.mark.slow
def test_benchmark_detector_cli_times_int8_alone(tmp_path):
    """int8 without fp32: its rows only, each against the int8 MobileNet."""
    code, stdout, stderr = run_benchmark(
        'benchmark_detector.py', C4_300[1], '--repeats', '1', '--warmup', '0',
        '--image-size', '120', '160', '--threads', '1', '--engine', 'onnxruntime',
        '--precision', 'int8', '--json', str(tmp_path / 'd.json'))
    assert code == 0, stderr[-3000:]
    rows = table_rows(stdout, 'faster-rcnn')
    assert [(row[0], row[1], row[9]) for row in rows] == [
        ('faster-rcnn_mobilenet-v1-1.0_c4-1x_coco-300', 'onnxruntime int8/onnxruntime',
         '1.00')]
    assert {(r['precision'], r['quantizer']) for r in json.loads(
        (tmp_path / 'd.json').read_text())['results']} == {('int8', 'onnxruntime')}
    _, lines = check_speed_targets(tmp_path / 'd.json')
    assert any(line.startswith('target: faster-rcnn_shufflenet-v1-1x-g3_c4-1x_'
                               'coco-600') for line in lines)


@pytest.mark.slow
def test_benchmark_backbone_cli_times_every_engine(tmp_path):
    engines = ['torch', 'onnxruntime', 'openvino']
    code, stdout, stderr = run_benchmark(
        'benchmark_backbone.py', '--models', 'ShuffleNet v1 0.5x g3', '--modes', 'fast',
        '--sizes', '64x96', '--repeats', '1', '--warmup', '0', '--threads', '1',
        '--engine', *engines, '--precision', 'fp32', 'int8', '--dense-1x1',
        '--json', str(tmp_path / 'b.json'),
        '--plot', str(tmp_path / 'b.png'))
    assert code == 0, stderr[-3000:]
    ran = [engine for engine in engines if engine not in missing_engines(engines)]
    rows = table_rows(stdout, '')
    keys = {(row[0], row[1]) for row in rows if row[0] != 'model'}
    for engine in ran:
        runs_as = 'fast' if engine == 'torch' else engine
        assert {('ShuffleNet v1 0.5x g3', runs_as),
                ('MobileNet v1 1.0', runs_as)} <= keys
        if engine != 'torch':  # int8 beside fp32, quantized by ONNX Runtime
            assert {('ShuffleNet v1 0.5x g3', f'{engine} int8/onnxruntime'),
                    ('MobileNet v1 1.0', f'{engine} int8/onnxruntime'),
                    ('ShuffleNet v1 0.5x g3 dense', runs_as)} <= keys
    assert ('MobileNet v1 1.0', 'torchscript') in keys
    assert min(float(row[4]) for row in rows if row[0] != 'model') > 0
    for int8 in (False, True):  # each precision against its own MobileNet
        assert min(float(row[4]) for row in rows if 'MobileNet v1' in row[0]
                   and ('int8' in row[1]) == int8) == 1.0
    assert 'target' not in stdout  # the project's targets are not the tool's
    results = json.loads((tmp_path / 'b.json').read_text())['results']
    assert {(r['model'], r['runs_as']) for r in results} == keys
    assert all(r['size'] == [64, 96] and r['ms'][0] <= r['ms'][1] <= r['ms'][2]
               for r in results)
    assert {(r['engine'], r['precision'], r['quantizer']) for r in results
            if r['model'] == 'MobileNet v1 1.0' and r['engine'] != 'torch'} == {
                (engine, precision, quantizer) for engine in ran[1:]
                for precision, quantizer in (('fp32', None), ('int8', 'onnxruntime'))}
    assert (tmp_path / 'b.png').stat().st_size > 0


NO_CUDA = pytest.mark.skipif(torch.cuda.is_available(), reason='CUDA is available')


@pytest.mark.parametrize('tool,args,message', [
    ('benchmark_detector.py', ['nowhere/x.py'], "config 'nowhere/x.py' not found"),
    ('benchmark_detector.py', ['torchvision:fasterrcnn_nothing'],
     'torchvision:fasterrcnn_nothing: torchvision has no such detection model; '
     'allowed: torchvision:fasterrcnn_mobilenet_v3_large_320_fpn'),
    ('benchmark_backbone.py', ['--sizes', '480'], "size '480': allowed: HxW"),
    *[pytest.param(tool, ['--device', 'cuda'], '--device cuda: CUDA is not available',
                   marks=NO_CUDA)
      for tool in ('benchmark_detector.py', 'benchmark_backbone.py')],
    *[(tool, ['--device', 'mps', '--engine', 'onnxruntime'],
       '--device mps: only with --engine torch')
      for tool in ('benchmark_detector.py', 'benchmark_backbone.py')],
    *[(tool, ['--precision', 'int8', '--engine', 'torch'],
       '--precision int8: only with an ONNX engine')
      for tool in ('benchmark_detector.py', 'benchmark_backbone.py')],
    ('benchmark_backbone.py', ['--precision', 'int4'], "invalid choice: 'int4'"),
])
def test_benchmark_clis_name_bad_arguments(tool, args, message):
    assert message in tool_error(f'tools/{tool}', *args)


def write_measured(path, tool, entries):
    """A tool's --json of ``entries``: (model, Run, median ms[, size])."""
    write_results(path, [Measurement(model, run, (ms, ms, ms), columns=dict(
        size=size[0]) if size else {}) for model, run, ms, *size in entries],
        tool=tool, device='cpu', threads=2)
    return path


ORT, FAST = Run.onnx('onnxruntime'), Run('torch', 'fast')


def test_backbone_targets_compare_with_the_right_mobilenet(tmp_path):
    """Engine targets against the fastest MobileNet v1 anywhere, the PyTorch
    fast-path targets against the fastest PyTorch one; at 480x640 only."""
    at_480 = [('ShuffleNet v1 1x g3', ORT, 3.0), ('ShuffleNet v1 1x g3', FAST, 8.0),
              ('MobileNet v1 1.0', ORT, 10.0), ('MobileNet v1 1.0', FAST, 20.0),
              ('MobileNet v1 1.0', Run('torch', 'torchscript'), 16.0)]
    at_224 = [('ShuffleNet v1 2x g3', ORT, 1.0), ('MobileNet v1 1.0', ORT, 1.0)]
    status, lines = check_speed_targets(write_measured(
        tmp_path / 'b.json', 'benchmark_backbone',
        [(*entry, (480, 640)) for entry in at_480] +
        [(*entry, (224, 224)) for entry in at_224]))
    assert ('- ShuffleNet v1 1x g3 (onnxruntime) / fastest MobileNet v1: 0.30 '
            '(target <= 0.35) met') in lines
    assert ('- ShuffleNet v1 1x g3 (fast) / fastest PyTorch MobileNet v1: 0.50 '
            '(target <= 0.40) MISSED') in lines
    assert ('- MobileNet v1 1.0 (fast) / fastest PyTorch MobileNet v1: 1.25 '
            '(target <= 1.10) MISSED') in lines
    assert '- ShuffleNet v1 2x g3 (best engine) / fastest MobileNet v1: not measured' \
        in lines
    assert status == 1


def test_int8_targets_compare_with_fp32_and_int8_mobilenet(tmp_path):
    entries = [
        ('ShuffleNet v1 1x g3', ORT, 10.0),
        ('ShuffleNet v1 1x g3', Run.onnx('openvino', 'nncf'), 4.0),
        ('ShuffleNet v1 1x g3', Run.onnx('onnxruntime', 'onnxruntime'), 6.0),
        ('ShuffleNet v1 1x g3 dense', Run.onnx('openvino', 'nncf'), 2.0),
        ('MobileNet v1 1.0', ORT, 20.0),
        ('MobileNet v1 1.0', Run.onnx('openvino', 'onnxruntime'), 8.0)]
    status, lines = check_speed_targets(write_measured(
        tmp_path / 'b.json', 'benchmark_backbone',
        [(*entry, (480, 640)) for entry in entries]))
    # the fp32 targets see fp32 entries only
    assert ('- ShuffleNet v1 1x g3 (onnxruntime) / fastest MobileNet v1: 0.50 '
            '(target <= 0.35) MISSED') in lines
    # its dense form (--dense-1x1) is the same network, the fastest here
    assert ('- ShuffleNet v1 1x g3 dense int8 (openvino int8/nncf) / fp32 '
            '(onnxruntime): 0.20 (target <= 0.50) met') in lines
    assert ('- ShuffleNet v1 1x g3 dense int8 (openvino int8/nncf) / MobileNet v1 '
            '1.0 int8 (openvino int8/onnxruntime): 0.25 (target <= 0.40) met') in lines
    assert '- ShuffleNet v2 1x int8 / fp32: not measured' in lines
    assert status == 1


def test_detector_int8_targets_cover_thundernet_and_the_600_shufflenets(tmp_path):
    snet49 = 'thundernet/thundernet_snet49_cem-80e_coco-320.py'
    c4 = 'shufflenet_v1/faster-rcnn_shufflenet-v1-1x-g3_c4-1x_coco-600.py'
    mobilenet = 'mobilenet_v1/faster-rcnn_mobilenet-v1-1.0_c4-1x_coco-600.py'
    entries = []
    for config, fp32, int8 in ((snet49, 10.0, 7.0), (c4, 100.0, 50.0),
                               (mobilenet, 200.0, 50.0)):
        entries += [(config, Run.onnx('openvino'), fp32),
                    (config, Run.onnx('openvino', 'nncf'), int8)]
    status, lines = check_speed_targets(write_measured(
        tmp_path / 'd.json', 'benchmark_detector', entries))
    assert [line for line in lines if line.startswith('int8 target')] == [
        'int8 target: thundernet_snet49_cem-80e_coco-320 int8 / fp32, best engine '
        'each: 0.70 (target <= 0.60) MISSED',
        'int8 target: faster-rcnn_shufflenet-v1-1x-g3_c4-1x_coco-600 int8 / fp32, '
        'best engine each: 0.50 (target <= 0.60) met']
    assert ('target: faster-rcnn_shufflenet-v1-1x-g3_c4-1x_coco-600 / faster-rcnn_'
            'mobilenet-v1-1.0_c4-1x_coco-600, best engine each (openvino 100.0 ms / '
            'openvino 200.0 ms): 0.50 (target <= 0.60) met') in lines
    assert status == 1


def test_speed_targets_met_exit_zero_and_other_files_are_refused(tmp_path):
    met = write_measured(tmp_path / 'd.json', 'benchmark_detector', [
        ('thundernet/thundernet_snet49_cem-80e_coco-320.py', ORT, 1.0),
        ('torchvision:fasterrcnn_mobilenet_v3_large_320_fpn', ORT, 10.0)])
    status, lines = check_speed_targets(met)
    assert status == 0
    assert ('target: thundernet_snet49_cem-80e_coco-320 / fasterrcnn_mobilenet_v3_'
            'large_320_fpn, best engine each (onnxruntime 1.0 ms / onnxruntime 10.0 '
            'ms): 0.10 (target <= 0.20) met') in lines
    runtime = write_measured(tmp_path / 'r.json', 'benchmark_runtime', [])
    with pytest.raises(SystemExit):
        check_speed_targets(runtime)


@pytest.mark.parametrize('engine', ['onnxruntime', 'openvino'])  # not MNN's
def test_onnx_runner_runs_the_model_quantized(engine):
    """int8: near the fp32 outputs, not equal to them."""
    pytest.importorskip(engine)
    model = randomise_batch_norm(MODELS.build(dict(
        type='ShuffleNetV1', widen_factor=0.25, out_indices=(2, )))).eval()
    x = torch.randn(1, 3, 64, 96)
    export = functools.partial(export_module, model, x)
    calibration = [torch.randn(1, 3, 64, 96).numpy() for _ in range(4)]
    fp32 = onnx_runner(export, engine, 1)
    int8 = onnx_runner(export, engine, 1, 'onnxruntime', calibration)
    outputs = [list(run(x.numpy()).values())[0] if engine == 'openvino'
               else run(x.numpy())[0] for run in (fp32, int8)]
    error = np.abs(outputs[1] - outputs[0]).max() / np.abs(outputs[0]).max()
    assert 0 < error < 0.2, error


def test_an_int8_variant_that_fails_is_noted_and_skipped(capsys):
    from shufflenet_det.tools.benchmark import int8_runner_or_note

    def export(path):
        with open(path, 'w') as f:
            f.write('not a model')

    assert int8_runner_or_note('model', export, 'onnxruntime', 1, 'onnxruntime',
                               []) is None
    assert 'note: model, onnxruntime int8/onnxruntime: failed (' in \
        capsys.readouterr().out
    with pytest.raises(Exception):  # fp32 is what every run needs: it raises
        int8_runner_or_note('model', export, 'onnxruntime', 1, None, [])
    assert int8_runner_or_note('model', export, 'mnn', 1, 'nncf', []) is None
    assert ('note: model, mnn int8/nncf: failed (MNN does not convert int8 (QDQ) '
            'files)') in capsys.readouterr().out
