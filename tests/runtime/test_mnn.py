"""MNN: shufflenet-det-to-mnn converts an export with its metadata (fp32 or
fp16 weights), written whole and without MNN's network logger; the runtime
runs the file in engine 'mnn' (predict included) and refuses what is not
one; fp16 weights are self-checked. Box parity with mmdet's pipeline and
ONNX Runtime: tests/runtime/test_detector.py."""
import json
import sys
from importlib.util import find_spec

import numpy as np
import pytest

from shufflenet_det.runtime import Detector, ModelFileError
from shufflenet_det.runtime.mnn import convert_to_mnn, main, read_mnn_metadata
from shufflenet_det.runtime.model_file import WEIGHTS_KEY, read_metadata
from shufflenet_det.runtime.predict import main as predict

pytestmark = pytest.mark.skipif(find_spec('MNN') is None, reason='MNN is not installed')


@pytest.fixture(scope='module')
def converted(thundernet_model, tmp_path_factory):
    """The random ThunderNet export as MNN files: {weights: path}."""
    folder = tmp_path_factory.mktemp('mnn')
    files = {weights: str(folder / f'model_{weights}.mnn')
             for weights in ('fp32', 'fp16', 'int8')}
    for weights, path in files.items():
        assert convert_to_mnn(thundernet_model[1], path, weights) == (256, 256)
    return files


def test_the_file_carries_the_export_metadata(thundernet_model, converted):
    exported = read_metadata(thundernet_model[1])
    for weights, path in converted.items():
        assert read_mnn_metadata(path) == dict(exported, **{WEIGHTS_KEY: weights})
    # MNN's own converter scripts import a logger that pip-installs a
    # package and sends usage logs; the converter never imports them
    assert 'MNN.tools.utils.log' not in sys.modules


def test_metadata_larger_than_a_command_line_is_carried(thundernet_model, tmp_path):
    """A probe of a real image is hundreds of kB: more than one argument of a
    command line may hold."""
    import onnx
    model = onnx.load(thundernet_model[1])
    model.metadata_props.add(key='large', value='x' * 300_000)
    onnx.save(model, str(tmp_path / 'large.onnx'))
    convert_to_mnn(str(tmp_path / 'large.onnx'), str(tmp_path / 'large.mnn'))
    assert read_mnn_metadata(str(tmp_path / 'large.mnn'))['large'] == 'x' * 300_000


def test_detector_runs_mnn_and_checks_reduced_weights(thundernet_model, converted):
    image = np.random.default_rng(0).integers(0, 256, (128, 128, 3), np.uint8)
    reference = Detector(thundernet_model[1])(image)
    fp32 = Detector(converted['fp32'], 'mnn')
    assert fp32.agreement is None and fp32.classes == Detector(
        thundernet_model[1]).classes
    result = fp32(image)
    assert len(result['scores']) == len(reference['scores']) > 0
    np.testing.assert_allclose(np.sort(result['scores']), np.sort(reference['scores']),
                               atol=1e-4)
    for weights in ('fp16', 'int8'):
        reduced = Detector(converted[weights], 'mnn')
        assert reduced.agreement is not None and reduced.agreement > 0.5, weights
    throughput = Detector(converted['fp32'], 'mnn', threads=2, mode='throughput')
    results = [r for r, _ in throughput.map([image] * 3)]
    for other in results:
        np.testing.assert_allclose(other['bboxes'], result['bboxes'], atol=1e-4)


def test_wrong_files_and_engines_are_refused_by_name(thundernet_model, converted,
                                                     tmp_path):
    onnx_file = thundernet_model[1]
    with pytest.raises(ModelFileError, match='MNN runs .mnn files; convert it with '
                       'shufflenet-det-to-mnn'):
        Detector(onnx_file, 'mnn')
    with pytest.raises(ModelFileError, match="files run in engine 'mnn'"):
        Detector(converted['fp32'], 'onnxruntime')
    garbage = tmp_path / 'garbage.mnn'
    garbage.write_bytes(b'not a model' * 10)
    with pytest.raises(ModelFileError, match='MNN cannot load it'):
        Detector(str(garbage), 'mnn')
    (tmp_path / 'empty.mnn').write_bytes(b'')
    with pytest.raises(ModelFileError, match='is an empty file'):
        Detector(str(tmp_path / 'empty.mnn'), 'mnn')
    with pytest.raises(ValueError, match="MNN precision 'bf16' is not supported"):
        Detector(converted['fp32'], 'mnn', precision='bf16')


def test_cli_converts_and_refuses_what_it_cannot(thundernet_model, tmp_path, capsys):
    out = tmp_path / 'model.mnn'
    main([thundernet_model[1], str(out), '--weights', 'fp16'])
    assert capsys.readouterr().out.startswith(
        f'{out}: MNN, fp16 weights, input [1, 3, 256, 256]')
    before = out.read_bytes()
    foreign = tmp_path / 'foreign.onnx'
    foreign.write_bytes(b'\x08\x07')  # a field, then nothing: no graph
    for args, message in (
            ([thundernet_model[1], str(tmp_path / 'model.onnx')], 'ending in .mnn'),
            ([str(foreign), str(out)], 'is not an ONNX model file'),
            ([thundernet_model[1], str(tmp_path)], 'ending in .mnn'),
            ([str(tmp_path / 'none.onnx'), str(out)], 'no such file')):
        with pytest.raises(SystemExit) as status:
            main(args)
        assert status.value.code == 2
        assert message in capsys.readouterr().err
    assert out.read_bytes() == before  # nothing lost
    assert sorted(p.name for p in tmp_path.iterdir()) == ['foreign.onnx', 'model.mnn']


def test_int8_files_and_converter_crashes_are_refused(thundernet_model, tmp_path,
                                                      capsys, monkeypatch):
    import onnx

    from shufflenet_det.runtime import mnn
    from shufflenet_det.runtime.model_file import QUANTIZED_KEY
    int8 = onnx.load(thundernet_model[1])
    int8.metadata_props.add(key=QUANTIZED_KEY, value=repr(dict(quantizer='nncf')))
    onnx.save(int8, str(tmp_path / 'int8.onnx'))
    with pytest.raises(SystemExit):
        main([str(tmp_path / 'int8.onnx'), str(tmp_path / 'int8.mnn')])
    assert 'an int8 (QDQ) file, which MNN' in capsys.readouterr().err
    # MNN's converter aborts its process on a graph it cannot convert
    monkeypatch.setattr(mnn, 'CONVERT', 'import os; os.abort()')
    with pytest.raises(SystemExit):
        main([thundernet_model[1], str(tmp_path / 'model.mnn')])
    assert "MNN's converter failed (exit status -6" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ['int8.onnx']


def test_predict_runs_an_mnn_file(converted, tmp_path, capsys):
    import cv2
    image = tmp_path / 'a.jpg'
    cv2.imwrite(str(image), np.full((128, 128, 3), 90, np.uint8))
    predict([converted['fp32'], str(image), '--engine', 'mnn', '--out-dir',
             str(tmp_path / 'out'), '--score-thr', '0'])
    preds = json.loads((tmp_path / 'out' / 'preds' / 'a.json').read_text())
    expected = Detector(converted['fp32'], 'mnn')(str(image))
    np.testing.assert_allclose(preds['bboxes'], expected['bboxes'], atol=1e-4)


def test_an_image_without_boxes_gives_empty_outputs(tmp_path):
    """MNN cannot read an empty output: no detections is [1, 0, 5] / [1, 0]."""
    import torch

    from shufflenet_det.runtime.mnn import MNNEngine, convert_graph

    class NoBoxes(torch.nn.Module):  # dets and labels as a detector's, none kept
        def forward(self, x):
            scores = x.mean(1).flatten()
            keep = (scores > 1e9).nonzero().squeeze(1)
            return torch.stack([scores] * 5, 1)[keep][None], keep[None]

    onnx_file, mnn_file = str(tmp_path / 'none.onnx'), str(tmp_path / 'none.mnn')
    torch.onnx.export(NoBoxes(), torch.zeros(1, 3, 8, 8), onnx_file, dynamo=False,
                      input_names=['input'], output_names=['dets', 'labels'])
    convert_graph(onnx_file, mnn_file)
    engine = MNNEngine(mnn_file, threads=1)
    dets, labels = engine.run(np.zeros((1, 3, 8, 8), np.float32))
    assert dets.shape == (1, 0, 5) and dets.dtype == np.float32
    assert labels.shape == (1, 0) and labels.dtype == np.int64
    assert Detector.postprocess(dets, labels, dict(
        img_shape=(8, 8), scale_factor=(1.0, 1.0)))['bboxes'].shape == (0, 4)


def test_benchmark_runtime_times_each_kind_of_weights(thundernet_model, tmp_path):
    """tools/benchmark_runtime.py --engine mnn: the fp32 exports converted
    with each kind of weights, torchvision's converted when it is timed, no
    int8 (QDQ) file."""
    import shutil

    from shufflenet_det.tools.benchmark import Run
    from shufflenet_det.tools.benchmark_detector import TORCHVISION
    from shufflenet_det.tools.benchmark_runtime import engine_runs
    fp32 = shutil.copy(thundernet_model[1], tmp_path / 'thundernet.onnx')
    files = {('thundernet', 'fp32'): str(fp32),
             ('thundernet', 'int8'): str(tmp_path / 'thundernet_int8.onnx'),
             (TORCHVISION, 'fp32'): str(tmp_path / 'torchvision.onnx')}
    runs = engine_runs('mnn', files)
    assert list(runs) == [('thundernet', Run('mnn')),
                          ('thundernet', Run('mnn', precision='fp16 weights')),
                          ('thundernet', Run('mnn', precision='int8 weights')),
                          (TORCHVISION, Run('mnn'))]
    assert runs[TORCHVISION, Run('mnn')] == (files[TORCHVISION, 'fp32'], None)
    for weights in ('fp32', 'fp16', 'int8'):
        path = str(tmp_path / f'thundernet_{weights}.mnn')
        assert read_mnn_metadata(path)[WEIGHTS_KEY] == weights
    assert str(Run('mnn', precision='int8 weights')) == 'mnn int8 weights'
