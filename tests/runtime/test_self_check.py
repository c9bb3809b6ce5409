"""The self-check of exported detectors (shufflenet_det.runtime.self_check):
the probe the exporter stores, the agreement measure, a file whose int8
result is wrong on purpose refused by every tool that loads it, and the
choice of OpenVINO's CPU kernels on a CPU with AMX."""
import os
import subprocess
import sys
from importlib.util import find_spec

import numpy as np
import pytest

from shufflenet_det.runtime import Detector, SelfCheckError, self_check
from shufflenet_det.runtime.model_file import read_metadata
from shufflenet_det.runtime.predict import main as predict
from shufflenet_det.runtime.self_check import (ISA_CAP, ISA_VARIABLE, agreement,
                                               choose_openvino_isa, cpu_flags,
                                               read_probe)

pytest.importorskip('onnxruntime')
ENGINES = ['onnxruntime', pytest.param('openvino', marks=pytest.mark.skipif(
    find_spec('openvino') is None, reason='openvino is not installed'))]


def detections(*rows):
    """(dets (N, 5), labels (N,)) of rows (x1, y1, x2, y2, score, label)."""
    rows = np.array(rows, np.float32).reshape(-1, 6)
    return rows[:, :5], rows[:, 5].astype(np.int64)


def test_agreement_scores_what_a_wrong_kernel_does():
    reference = detections((10, 10, 50, 50, 0.9, 1), (60, 60, 90, 100, 0.5, 2))
    assert agreement(reference, reference, 0.9) == pytest.approx(1)
    shifted = detections((12, 11, 51, 52, 0.85, 1), (61, 60, 90, 99, 0.55, 2))
    assert agreement(reference, shifted, 0.5) == pytest.approx(1.35 / 1.4)
    assert agreement(reference, detections(), 0.5) == 0  # no boxes: the bug seen
    relabelled = detections((10, 10, 50, 50, 0.9, 2), (60, 60, 90, 100, 0.5, 1))
    assert agreement(reference, relabelled, 0.5) == 0
    assert agreement(detections(), shifted, 0.5) == 0  # boxes where none are
    assert agreement(detections(), detections(), 0.5) == 1
    flat = detections((10, 97, 50, 97, 0.5, 1))  # clipped to the image's bottom
    assert agreement(flat, flat, 0.5) == 1
    assert agreement(flat, detections((11, 97, 51, 97, 0.5, 1)), 0.5) == 1
    assert agreement(flat, detections((40, 97, 80, 97, 0.5, 1)), 0.5) == 0
    # one result box cannot match two reference boxes
    double = detections((10, 10, 50, 50, 0.9, 1), (10, 10, 50, 50, 0.9, 1))
    single = detections((10, 10, 50, 50, 0.9, 1))
    assert agreement(double, single, 0.5) == pytest.approx(0.5)


@pytest.fixture(scope='module')
def int8_files(fpn_export, tmp_path_factory):
    """(fp32 file, its int8 file, the int8 file broken on purpose: the sign
    of one early convolution's int8 weight scale flipped, a relative error
    of 2 from there on, as a wrong kernel gives)."""
    import onnx

    from shufflenet_det.deploy.quantize import quantize_model
    _, fp32 = fpn_export
    folder = tmp_path_factory.mktemp('self_check')
    shape = Detector(fp32).input_shape
    rng = np.random.default_rng(0)
    calibration = [rng.uniform(0, 255, (1, 3, *shape)).astype(np.float32)
                   for _ in range(2)]
    int8 = str(folder / 'int8.onnx')
    quantize_model(fp32, int8, calibration)
    model = onnx.load(int8)
    scales = {init.name: init for init in model.graph.initializer}
    weights = [node for node in model.graph.node if node.op_type == 'DequantizeLinear'
               and node.input[0] in scales]  # int8 weights, in graph order
    scale = scales[weights[len(weights) // 10].input[1]]  # early in the backbone
    scale.CopyFrom(onnx.numpy_helper.from_array(
        -onnx.numpy_helper.to_array(scale), scale.name))
    broken = str(folder / 'broken_int8.onnx')
    onnx.save(model, broken)
    return fp32, int8, broken


@pytest.mark.parametrize('engine', ENGINES)
def test_probe_is_stored_and_reproduced_by_the_engines(fpn_export, c4_model,
                                                       thundernet_model, engine):
    for path in (fpn_export[1], c4_model[1], thundernet_model[1]):
        probe = read_probe(read_metadata(path))
        assert probe.image.dtype == np.uint8 and probe.image.ndim == 3
        assert len(probe.dets) > 0
        detector = Detector(path, engine)
        dets, labels = detector.engine.run(probe.batch(detector.input_shape))
        assert agreement((probe.dets, probe.labels), (dets[0], labels[0]), 0.9) > 0.99


@pytest.mark.parametrize('engine', ENGINES)
def test_int8_file_is_checked_where_it_loads(int8_files, engine):
    _, int8, broken = int8_files
    assert Detector(int8, engine).agreement >= 0.5
    with pytest.raises(SelfCheckError) as error:
        Detector(broken, engine)
    message = str(error.value)
    assert f'{broken} in {engine} on this CPU' in message
    assert 'disagrees with the fp32 detections' in message
    assert 'Workaround: ' in message and '\n' not in message
    assert (f'{ISA_VARIABLE}={ISA_CAP}' in message) == ('amx_int8' in cpu_flags())


def test_predict_refuses_a_wrong_int8_file_in_one_line(int8_files, tmp_path,
                                                       capsys):
    _, _, broken = int8_files
    image = tmp_path / 'a.png'
    image.write_bytes(read_probe_png(broken))
    with pytest.raises(SystemExit) as status:
        predict([broken, str(image), '--out-dir', str(tmp_path / 'out')])
    assert status.value.code == 2
    err = capsys.readouterr().err
    assert 'disagrees with the fp32 detections' in err and err.count('\n') == 1
    assert not (tmp_path / 'out').exists()


def read_probe_png(path):
    import cv2
    return cv2.imencode('.png', read_probe(read_metadata(path)).image)[1].tobytes()


def test_quantizer_checks_the_file_it_writes(int8_files, tmp_path, monkeypatch):
    from shufflenet_det.deploy import quantize
    fp32, _, broken = int8_files

    def write_broken(model, out, calibration):
        with open(broken, 'rb') as f, open(out, 'wb') as g:
            g.write(f.read())

    monkeypatch.setattr(quantize, '_quantize_onnxruntime', write_broken)
    out = tmp_path / 'int8.onnx'
    with pytest.raises(SelfCheckError, match=r'int8\.onnx \(int8\) in ONNX Runtime'):
        quantize.quantize_model(fp32, str(out), [])
    assert os.listdir(tmp_path) == []  # nothing written, no partial file


@pytest.mark.slow
@pytest.mark.skipif(find_spec('openvino') is None, reason='openvino is not installed')
def test_child_process_verdict(int8_files):
    """What choose_openvino_isa asks a fresh process: exit 0 where OpenVINO
    reproduces the probe, 1 where it does not."""
    _, int8, broken = int8_files
    for path, code in ((int8, 0), (broken, 1)):
        done = subprocess.run([sys.executable, '-c', self_check.CHILD, path],
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == code, done.stderr


def test_amx_cpu_is_capped_where_its_kernels_disagree(int8_files, monkeypatch, capsys):
    fp32, int8, _ = int8_files
    monkeypatch.delenv(ISA_VARIABLE, raising=False)
    monkeypatch.setattr(self_check, 'cpu_flags', lambda: {'avx512_vnni', 'amx_int8'})
    asked = []

    def verdict(agrees):
        return lambda path, precision: asked.append((path, precision)) or agrees

    choose_openvino_isa(int8, 'f32', started=False, agrees_in_child=verdict(True))
    assert ISA_VARIABLE not in os.environ and asked == [(int8, 'f32')]
    for path, precision in ((fp32, 'f32'), (int8, 'f32')):  # fp32: nothing to check;
        # OpenVINO already ran in the process: its ISA is fixed
        choose_openvino_isa(path, precision, started=path == int8,
                            agrees_in_child=verdict(False))
    assert len(asked) == 1 and ISA_VARIABLE not in os.environ
    choose_openvino_isa(int8, 'f32', started=False, agrees_in_child=verdict(False))
    assert os.environ[ISA_VARIABLE] == ISA_CAP
    assert f'this process runs OpenVINO with {ISA_VARIABLE}={ISA_CAP}' in \
        capsys.readouterr().err
    choose_openvino_isa(fp32, 'bf16', started=False, agrees_in_child=verdict(False))
    assert len(asked) == 2  # a cap already set is the user's or ours: kept


def test_no_check_without_amx(int8_files, monkeypatch):
    monkeypatch.delenv(ISA_VARIABLE, raising=False)
    monkeypatch.setattr(self_check, 'cpu_flags', lambda: {'avx512_vnni'})
    choose_openvino_isa(int8_files[1], 'f32', False, lambda *args: pytest.fail())
    assert ISA_VARIABLE not in os.environ
