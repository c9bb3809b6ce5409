"""shufflenet_det.runtime.Detector against the reference it replaces: the
same engine fed by mmdet's own test pipeline, boxes rescaled as mmdet's
``predict`` does. C4, FPN and ThunderNet (stride 16 and 8) exports, fp32, int8
of both quantizers and OpenVINO's bf16, both engines, images of several sizes
and aspect ratios; OpenVINO's cases again in processes whose oneDNN is capped
below this CPU (AVX2, AVX-512 VNNI), so that a machine checks the kernel
families of the CPUs below it too."""
import functools
import json
import os
import subprocess
import sys
from importlib.util import find_spec

import cv2
import numpy as np
import pytest

from shufflenet_det.runtime import Detector, ImageError
from shufflenet_det.runtime.self_check import ISA_VARIABLE
from helpers import C4_CONFIG, ROOT, THUNDERNET_S8_CONFIG, TOP_K

pytest.importorskip('onnxruntime')
ENGINES = ['onnxruntime', pytest.param('openvino', marks=pytest.mark.skipif(
    find_spec('openvino') is None, reason='openvino is not installed')),
    pytest.param('mnn', marks=pytest.mark.skipif(find_spec('MNN') is None,
                                                 reason='MNN is not installed'))]
SIZES = [(480, 640), (300, 200), (97, 311), (128, 128)]


def reference(detector, path):
    """Boxes of ``detector``'s engine on the batch mmdet's pipeline makes."""
    from mmdet.registry import TRANSFORMS
    from mmdet.utils import register_all_modules
    from mmengine.dataset import Compose

    from shufflenet_det.runtime import read_export_metadata
    register_all_modules()
    pipeline, _ = read_export_metadata(detector.model_file)
    data = Compose([TRANSFORMS.build(step) for step in pipeline])(
        dict(img_path=path, img_id=0))
    meta = data['data_samples'].metainfo
    height, width = meta['img_shape']
    batch = np.zeros((1, 3, *detector.input_shape), np.float32)
    batch[0, :, :height, :width] = data['inputs'].numpy()
    dets, labels = detector.engine.run(batch)
    boxes = dets[0, :, :4].clip(0, [width, height, width, height])
    scale_x, scale_y = meta['scale_factor']
    return boxes / np.array([scale_x, scale_y, scale_x, scale_y]), dets[0, :, 4]


@pytest.fixture(scope='module')
def images(tmp_path_factory):
    import cv2
    folder = tmp_path_factory.mktemp('images')
    rng = np.random.default_rng(0)
    paths = []
    for height, width in SIZES:
        paths.append(str(folder / f'{height}x{width}.jpg'))
        cv2.imwrite(paths[-1], rng.integers(0, 256, (height, width, 3), np.uint8))
    return paths


@pytest.fixture(scope='module')
def exports(c4_model, thundernet_model, thundernet_s8_model, fpn_export,
            tmp_path_factory):
    """fp32 and int8 files (ONNX Runtime's and NNCF's quantizer) of the C4,
    FPN and ThunderNet (stride 16 and 8) exports; the C4 and stride-8 ones
    exported again with a test Resize that fits their small inputs (160x224,
    256x256)."""
    import torch

    from shufflenet_det.deploy import export_onnx
    from shufflenet_det.deploy.quantize import quantize_model
    folder = tmp_path_factory.mktemp('int8')
    refit = {}
    for name, (model, _), config, (height, width) in (
            ('c4', c4_model, C4_CONFIG, (160, 224)),
            ('thundernet_s8', thundernet_s8_model, THUNDERNET_S8_CONFIG, (256, 256))):
        checkpoint = str(folder / f'{name}.pth')
        torch.save(dict(state_dict=model.state_dict()), checkpoint)
        refit[name] = str(folder / f'{name}_fp32.onnx')
        export_onnx(config, checkpoint, refit[name], (height, width), dict(
            TOP_K, **{'test_dataloader.dataset.pipeline.1.scale': (width, height)}))
    files = {}
    for name, fp32 in (('c4', refit['c4']), ('fpn', fpn_export[1]),
                       ('thundernet', thundernet_model[1]),
                       ('thundernet_s8', refit['thundernet_s8'])):
        shape = Detector(fp32).input_shape
        rng = np.random.default_rng(0)
        calibration = [rng.uniform(0, 255, (1, 3, *shape)).astype(np.float32)
                       for _ in range(2)]
        files[name, 'fp32'] = fp32
        files[name, 'int8'] = str(folder / f'{name}.onnx')
        quantize_model(fp32, files[name, 'int8'], calibration)
        if find_spec('nncf') is not None:
            files[name, 'int8-nncf'] = str(folder / f'{name}_nncf.onnx')
            quantize_model(fp32, files[name, 'int8-nncf'], calibration, 'nncf')
    return files


# (file, OpenVINO precision) of each precision a test runs; fp16: MNN's
# file with fp16 weights
PRECISIONS = {'fp32': ('fp32', None), 'int8': ('int8', None),
              'int8-nncf': ('int8-nncf', None), 'bf16': ('fp32', 'bf16'),
              'fp16': ('fp32', None)}


@pytest.fixture(scope='module')
def mnn_files(exports, tmp_path_factory):
    """``mnn_files(name, weights)``: the fp32 export converted to MNN, once."""
    from shufflenet_det.runtime.mnn import convert_to_mnn
    folder, converted = tmp_path_factory.mktemp('mnn'), {}

    def convert(name, weights):
        if (name, weights) not in converted:
            converted[name, weights] = str(folder / f'{name}_{weights}.mnn')
            convert_to_mnn(exports[name, 'fp32'], converted[name, weights], weights)
        return converted[name, weights]
    return convert


def detector_of(exports, name, precision, engine, mnn_files=None):
    """The Detector of ``precision`` (a key of PRECISIONS) in ``engine``,
    or a skip where that combination does not exist here."""
    kind, openvino_precision = PRECISIONS[precision]
    if (name, kind) not in exports:
        pytest.skip('nncf is not installed')
    if openvino_precision and engine != 'openvino':
        pytest.skip(f'{precision} is OpenVINO\'s')
    if precision == 'fp16' and (engine != 'mnn' or name != 'thundernet_s8'):
        pytest.skip('fp16 weights are MNN\'s (checked on one model)')
    if engine == 'mnn':
        if kind != 'fp32':
            pytest.skip('MNN runs the fp32 export (fp32 or fp16 weights)')
        return Detector(mnn_files(name, precision), engine)
    return Detector(exports[name, kind], engine, precision=openvino_precision)


@pytest.mark.slow
@pytest.mark.parametrize('engine', ENGINES)
@pytest.mark.parametrize('precision', list(PRECISIONS))
@pytest.mark.parametrize('name', ['c4', 'fpn', 'thundernet', 'thundernet_s8'])
def test_boxes_match_mmdet_preprocessing(name, precision, engine, exports, images,
                                         mnn_files):
    detector = detector_of(exports, name, precision, engine, mnn_files)
    for path, (height, width) in zip(images, SIZES):
        if name == 'c4' and height > width:  # the input is landscape
            with pytest.raises(ImageError, match='does not fit the model input'):
                detector(path)
            continue
        result = detector(path)
        boxes, scores = reference(detector, path)
        assert len(scores) > 0
        np.testing.assert_allclose(result['bboxes'], boxes, atol=0.05, rtol=0)
        np.testing.assert_allclose(result['scores'], scores, atol=1e-6)


@pytest.mark.slow
@pytest.mark.skipif(find_spec('MNN') is None, reason='MNN is not installed')
@pytest.mark.parametrize('name', ['c4', 'fpn', 'thundernet', 'thundernet_s8'])
def test_mnn_computes_what_onnxruntime_computes(name, exports, mnn_files, images):
    """The same batch in both engines: the same detections, up to the order
    of boxes of equal score. All but a few: an untrained model's boxes are
    its anchors, and anchors one stride apart overlap at IoU 0.5 exactly,
    the NMS threshold, where MNN's NMS and ONNX Runtime's decide differently
    (C4: 44 of 50 the same; the others a stride away)."""
    onnxruntime, mnn = Detector(exports[name, 'fp32']), Detector(
        mnn_files(name, 'fp32'), 'mnn')
    batch, _ = onnxruntime.preprocess(images[-1])
    (ours, our_labels), (theirs, their_labels) = (onnxruntime.engine.run(batch),
                                                  mnn.engine.run(batch))
    assert ours.shape == theirs.shape and len(ours[0]) > 0
    # each detection's nearest in the other engine: the same box, score, label
    distance = np.abs(ours[0][:, None] - theirs[0][None]).max(-1)
    distance[our_labels[0][:, None] != their_labels[0][None]] = np.inf
    for nearest in (distance.min(1), distance.min(0)):
        assert (nearest < 1e-3).mean() >= 0.85, nearest


CAPPED = '''
import json, sys
for name in ('torch', 'mmdet', 'mmengine', 'mmcv'):
    sys.modules[name] = None  # the runtime alone, as deployed: a fast start
from shufflenet_det.runtime import Detector
runs = json.loads(sys.argv[1])
results = {}
for key, (path, precision) in runs.items():
    detector = Detector(path, 'openvino', precision=precision)  # self-checked
    results[key] = [dict(dets=[[*box, score] for box, score in zip(
        r['bboxes'].tolist(), r['scores'].tolist())], labels=r['labels'].tolist())
                    for r in map(detector, sys.argv[2:])]
print(json.dumps(results))
'''


@pytest.fixture(scope='module')
def onnxruntime_detections(exports, images):
    """(two landscape images, {file: ONNX Runtime's (dets, labels) on each})
    of every export, the reference of the ISA-capped OpenVINO runs."""
    paths = [path for path, (height, width) in zip(images, SIZES)
             if height <= width][:2]
    detections = {}
    for path in set(exports.values()):
        detector = Detector(path)
        detections[path] = [
            (np.column_stack([result['bboxes'], result['scores']]), result['labels'])
            for result in map(detector, paths)]
    return paths, detections


def capped_environment(isa):
    """This process's environment with oneDNN capped to ``isa`` (None: not
    capped)."""
    environment = {key: value for key, value in os.environ.items()
                   if key != ISA_VARIABLE}
    return dict(environment, **{ISA_VARIABLE: isa}) if isa else environment


@pytest.mark.slow
@pytest.mark.skipif(find_spec('openvino') is None, reason='openvino is not installed')
@pytest.mark.parametrize('isa', ['AVX2', 'AVX512_CORE_VNNI', 'native'])
def test_openvino_agrees_below_this_cpu(isa, exports, onnxruntime_detections):
    """Every OpenVINO case in a process with oneDNN capped to ``isa``: each
    file passes its self-check there and its detections agree with ONNX
    Runtime's of the same file, at the self-check's reduced-precision
    tolerance (untrained detectors' scores tie, and ties may break the other
    way in another engine). Not bf16 under AVX2: the cap hides bf16 from
    oneDNN but not from OpenVINO, which then fails to compile (a CPU without
    bf16 runs f32). 'native': uncapped, as a user's process starts, where
    that differs from this process (a CPU with AMX: conftest.py)."""
    if isa == 'native' and ISA_VARIABLE not in os.environ:
        pytest.skip('this process runs the native kernels itself')
    from shufflenet_det.runtime.self_check import LEAST_AGREEMENT, MATCH_IOU, agreement
    paths, expected = onnxruntime_detections
    runs = {f'{name} {precision}': (exports[name, PRECISIONS[precision][0]],
                                    PRECISIONS[precision][1])
            for name in ('c4', 'fpn', 'thundernet', 'thundernet_s8')
            for precision in PRECISIONS if (name, PRECISIONS[precision][0]) in exports
            and not (isa == 'AVX2' and precision == 'bf16')}
    # native: a process per file, as the runtime chooses the ISA for the first
    # file OpenVINO runs in a process
    batches = [{key: run} for key, run in runs.items()] if isa == 'native' else [runs]
    results = {}
    for batch in batches:
        done = subprocess.run(
            [sys.executable, '-c', CAPPED, json.dumps(batch), *paths],
            capture_output=True, text=True, timeout=600,
            env=capped_environment(None if isa == 'native' else isa))
        assert done.returncode == 0, done.stderr[-3000:]
        results.update(json.loads(done.stdout.splitlines()[-1]))
    for key, (path, _) in runs.items():
        for reference, found in zip(expected[path], results[key]):
            found = (np.array(found['dets'], np.float32).reshape(-1, 5),
                     np.array(found['labels'], np.int64))
            assert agreement(reference, found, MATCH_IOU) >= LEAST_AGREEMENT, key


TORCH_FREE = '''
import sys
for name in ('torch', 'torchvision', 'mmcv', 'mmengine', 'mmdet', 'onnx'):
    sys.modules[name] = None  # import fails, find_spec says: not installed
import cv2
import numpy as np
import shufflenet_det
from shufflenet_det.runtime import Detector, ImageError
from shufflenet_det.runtime.self_check import ISA_VARIABLE
try:
    shufflenet_det.ShuffleNetV1
except AttributeError as error:
    print(error)
detector = Detector(sys.argv[1], sys.argv[2])
result = detector(sys.argv[3])
np.save(sys.argv[4], result['bboxes'])
print(sorted(m for m in sys.modules if m.split('.')[0] in (
    'torch', 'torchvision', 'mmcv', 'mmengine', 'mmdet', 'onnx') and sys.modules[m]))
'''


@pytest.mark.parametrize('engine', ENGINES)
def test_runs_where_torch_and_mmdet_cannot_be_imported(engine, thundernet_model,
                                                       images, tmp_path):
    model = thundernet_model[1]
    if engine == 'mnn':
        from shufflenet_det.runtime.mnn import convert_to_mnn
        convert_to_mnn(model, str(tmp_path / 'thundernet.mnn'))
        model = str(tmp_path / 'thundernet.mnn')
    out = str(tmp_path / 'boxes.npy')
    result = subprocess.run(
        [sys.executable, '-c', TORCH_FREE, model, engine,
         images[0], out], capture_output=True, text=True, timeout=300,
        cwd=tmp_path, env=dict(os.environ, PYTHONPATH=ROOT))
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.splitlines()
    assert 'needs MMDetection, which is not installed here' in lines[0]
    assert lines[-1] == '[]'
    expected = Detector(model, engine)(images[0])['bboxes']
    np.testing.assert_array_equal(np.load(out), expected)


def test_throughput_mode_returns_what_latency_mode_does(thundernet_model, images):
    paths = images + [images[0] + '.missing'] + images
    latency = Detector(thundernet_model[1], threads=2)
    throughput = Detector(thundernet_model[1], threads=2, mode='throughput')
    assert throughput.engine.jobs == 2
    results = list(throughput.map(paths))
    assert [error is None for _, error in results] == [True] * 4 + [False] + [True] * 4
    assert 'missing: cannot be read' in str(results[4][1])
    for path, (result, _) in zip(images + images, results[:4] + results[5:]):
        np.testing.assert_array_equal(result['bboxes'], latency(path)['bboxes'])


def test_an_installed_but_broken_mmdet_fails_the_import_loudly(tmp_path):
    """Without mmdet the package is the runtime alone; with an mmdet that
    does not import, importing the package fails with mmdet's error."""
    (tmp_path / 'mmdet').mkdir()
    (tmp_path / 'mmdet' / '__init__.py').write_text(
        'raise ImportError("this mmdet is broken")\n')
    result = subprocess.run(
        [sys.executable, '-c', 'import shufflenet_det'], capture_output=True,
        text=True, timeout=300, cwd=tmp_path,
        env=dict(os.environ, PYTHONPATH=f'{tmp_path}{os.pathsep}{ROOT}'))
    assert result.returncode != 0
    assert 'ImportError: this mmdet is broken' in result.stderr


def test_benchmark_times_every_stage_beside_torchvision(thundernet_model, images,
                                                        capsys):
    """tools/benchmark_runtime.py's stages and table on an export and a fake
    torchvision model (no timing asserted: only that every stage of every
    model is timed)."""
    from shufflenet_det.tools.benchmark import Run, latency_rounds, measurements
    from shufflenet_det.tools.benchmark_runtime import (STAGES, print_tables,
                                                        runtime_stages,
                                                        torchvision_stages)
    detector = Detector(thundernet_model[1])
    calls = {('torchvision:fake', Run('torch', 'eager')):
             torchvision_stages(lambda x: x.sum()),
             ('thundernet', Run('onnxruntime')): runtime_stages(detector)}
    times = latency_rounds({key: functools.partial(call, images[0])
                            for key, call in calls.items()}, repeats=3, warmup=1)
    assert all(set(stages) == {*STAGES, 'total'} for stages in times.values())
    assert all(len(values) == 3 for stages in times.values()
               for values in stages.values())
    print_tables(measurements(times), {})
    table = capsys.readouterr().out
    assert '| thundernet | onnxruntime |' in table


def test_detector_refuses_images_larger_than_the_input(c4_model):
    detector = Detector(c4_model[1])
    assert detector.input_shape == (160, 224)
    # the config's test Resize (500, 300) keeps 300x500: more than 160x224
    with pytest.raises(ValueError, match='resized to 300x500 does not fit the '
                       'model input 160x224'):
        detector(np.zeros((300, 500, 3), np.uint8))


def test_detector_runs_thundernet_and_returns_original_pixels(thundernet_model):
    """The demo ThunderNet resizes 128x128 images to its 256x256 input: the
    runner's boxes are the graph's, halved."""
    from shufflenet_det.runtime.model_file import INPUT_NAME
    detector = Detector(thundernet_model[1])
    assert detector.input_shape == (256, 256)
    image = np.random.default_rng(0).integers(0, 256, (128, 128, 3), np.uint8)
    result = detector(image)
    assert len(result['scores']) == 50
    resized = cv2.resize(image, (256, 256)).transpose(2, 0, 1)[None].astype(np.float32)
    dets, _ = detector.engine.session.run(None, {INPUT_NAME: resized})
    np.testing.assert_allclose(result['bboxes'], dets[0, :, :4].clip(0, 256) / 2,
                               atol=1e-3)
