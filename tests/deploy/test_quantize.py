"""int8 quantization of exported detectors (shufflenet_det.deploy.quantize,
tools/quantize_onnx.py): the file it writes runs where the fp32 one does, and
bad input is refused before anything is written. Agreement of int8 and fp32
detections on a trained model: tests/tools/test_demo.py."""
import json
import re
from pathlib import Path

import numpy as np
import pytest
import torch

from shufflenet_det.deploy.quantize import (QUANTIZED_KEY, calibration_images,
                                            quantize_detector)
from shufflenet_det.tools.benchmark import missing_engines
from helpers import run_tool, tool_error

onnx = pytest.importorskip('onnx')
pytest.importorskip('onnxruntime')


def installed(name):
    return not missing_engines([name])


def op_types(path):
    return {node.op_type for node in onnx.load(path).graph.node}


def largest_int8_weights(model):
    """{node: the largest magnitude of its int8 weights} of the dense
    convolutions (group 1) and Gemm / MatMul nodes of a QDQ ``model``: the
    layers whose int8 kernels sum products in pairs on CPUs without VNNI."""
    from onnx import helper, numpy_helper
    initializers = {tensor.name: tensor for tensor in model.graph.initializer}
    dequantized = {node.output[0]: node.input[0] for node in model.graph.node
                   if node.op_type == 'DequantizeLinear'}
    largest = {}
    for node in model.graph.node:
        attributes = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        if node.op_type not in ('Conv', 'Gemm', 'MatMul') or len(node.input) < 2 \
                or attributes.get('group', 1) != 1:
            continue
        source = initializers.get(dequantized.get(node.input[1]))
        if source is not None and source.data_type == onnx.TensorProto.INT8:
            weights = numpy_helper.to_array(source).astype(int)
            largest[node.name] = int(np.abs(weights).max())
    return largest


@pytest.mark.parametrize('quantizer', [
    'onnxruntime',
    pytest.param('nncf', marks=pytest.mark.skipif(not installed('nncf'),
                                                  reason='nncf is not installed'))])
@pytest.mark.slow
def test_cli_writes_an_int8_file_that_runs_like_the_fp32_one(fpn_export, tmp_path,
                                                             quantizer):
    from shufflenet_det.deploy import openvino_model
    from shufflenet_det.runtime import Detector
    config, fp32_file = fpn_export
    out = str(tmp_path / 'int8.onnx')
    log = run_tool('tools/quantize_onnx.py', config, fp32_file, out,
                   '--calib-images', '3', '--calib-split', 'val',
                   '--quantizer', quantizer)
    assert f'{out}: int8 ({quantizer}), calibrated on 3 val images' in log
    assert re.search(r'agreement with the fp32 detections in ONNX Runtime '
                     r'(0\.[3-9]|1\.)', log), log
    assert {'QuantizeLinear', 'DequantizeLinear'} <= op_types(out)
    int8_model, fp32_model = onnx.load(out), onnx.load(fp32_file)
    # int8 weights: every convolution reads a dequantized int8 initializer
    int8_weights = {init.name for init in int8_model.graph.initializer
                    if init.data_type == onnx.TensorProto.INT8}
    assert int8_weights
    # half-range weights: no int16 saturation in the int8 kernels of CPUs
    # without VNNI (a full-range quantizer reaches 127)
    largest = largest_int8_weights(int8_model)
    assert largest and max(largest.values()) <= 64, largest
    metadata = {p.key: p.value for p in int8_model.metadata_props}
    assert metadata.pop(QUANTIZED_KEY) == repr(dict(
        quantizer=quantizer, calib_images=3, calib_split='val'))
    assert metadata == {p.key: p.value for p in fp32_model.metadata_props}
    image = str(next((Path(config).parent / 'data' / 'val').glob('*.png')))
    int8, fp32 = Detector(out), Detector(fp32_file)
    assert (int8.input_shape, int8.classes) == (fp32.input_shape, fp32.classes)
    for detector in (int8, fp32):
        result = detector(image)
        assert result['bboxes'].shape[1] == 4 and result['labels'].dtype == np.int64
    if installed('openvino'):
        batch = np.zeros((1, 3, *int8.input_shape), np.float32)
        dets, labels = openvino_model(out, threads=1)(batch).values()
        assert dets.shape[-1] == 5 and labels.ndim == 2


def test_bad_files_are_refused_naming_them(fpn_export, tmp_path):
    from shufflenet_det.deploy import export_module
    config, _ = fpn_export
    out = tmp_path / 'int8.onnx'
    text = tmp_path / 'notes.onnx'
    text.write_text('not a model')
    backbone = tmp_path / 'backbone.onnx'
    export_module(torch.nn.Conv2d(3, 4, 3), torch.zeros(1, 3, 8, 8), str(backbone))
    for model, message in ((tmp_path / 'missing.onnx', 'missing.onnx: no such file'),
                           (text, 'notes.onnx is not an ONNX model file'),
                           (backbone, 'backbone.onnx has no shufflenet_det.test_'
                            'pipeline and no shufflenet_det.classes in its '
                            'metadata, so it is not a detector exported by this '
                            'project')):
        with pytest.raises(ValueError, match=message):
            quantize_detector(config, str(model), str(out), 2)
    assert not list(tmp_path.glob('int8.onnx*'))


def test_bad_calibration_sets_are_refused(fpn_export, tmp_path):
    config, onnx_file = fpn_export
    # the tiny dataset: 6 train, 5 val images
    for count, split in ((7, 'train'), (0, 'val'), (6, 'val')):
        with pytest.raises(ValueError, match=f'calibration images {count}: allowed: '
                           f'1 to {6 if split == "train" else 5}, the images of '
                           f'the {split} dataset'):
            calibration_images(config, onnx_file, count, split)
    with pytest.raises(ValueError, match="split 'test' is not supported; allowed: "
                       r"\('train', 'val'\)"):
        calibration_images(config, onnx_file, 2, 'test')
    empty = tmp_path / 'empty.json'
    empty.write_text(json.dumps(dict(images=[], annotations=[], categories=[
        dict(id=1, name='circle')])))
    with pytest.raises(ValueError, match='empty.json has no annotations'):
        calibration_images(config, onnx_file, 2, 'val',
                           {'val_dataloader.dataset.ann_file': str(empty)})
    with pytest.raises(ValueError, match='the train dataset of the config cannot '
                       'be read: .*nowhere.json'):
        calibration_images(config, onnx_file, 2, 'train', {
            'train_dataloader.dataset.ann_file': str(tmp_path / 'nowhere.json')})
    with pytest.raises(ValueError, match="quantizer 'tflite' is not supported; "
                       r"allowed: \('onnxruntime', 'nncf'\)"):
        quantize_detector(config, onnx_file, str(tmp_path / 'x.onnx'), 2,
                          quantizer='tflite')
    assert not list(tmp_path.glob('x.onnx*'))
    # the calibration images are what the graph takes: resized, padded
    images = calibration_images(config, onnx_file, 2, 'val')
    batches = list(images)
    assert len(images) == 2 and all(b.shape == (1, 3, 128, 128) for b in batches)
    assert not np.array_equal(batches[0], batches[1])


def test_cli_exits_with_the_error_and_writes_nothing(fpn_export, tmp_path):
    config, onnx_file = fpn_export
    out = tmp_path / 'int8.onnx'
    for args, message in (
            (['--calib-images', '50'], 'calibration images 50: allowed: 1 to 6'),
            (['--quantizer', 'tflite'], "invalid choice: 'tflite'")):
        error = tool_error('tools/quantize_onnx.py', config, onnx_file, out, *args)
        assert message in error, error
    assert not list(tmp_path.iterdir())


def test_fp32_nodes_are_the_activation_products_and_the_wrappers_own(
        thundernet_model):
    """PSRoIAlign's MatMuls (bilinear weights times the map) stay fp32 for
    both quantizers; NNCF also leaves the export wrapper's post-processing
    (box decoding, score filtering: nodes outside any module's scope), and
    quantizes the layers of every module."""
    from shufflenet_det.deploy.quantize import constants_to_initializers, fp32_nodes
    model = constants_to_initializers(onnx.load(thundernet_model[1]))
    nodes = {node.name: node.op_type for node in model.graph.node}
    for_ort = fp32_nodes(model, 'onnxruntime')
    assert for_ort and {nodes[name] for name in for_ort} == {'MatMul'}
    assert all('roi_extractor' in name for name in for_ort)
    for_nncf = set(fp32_nodes(model, 'nncf'))
    assert set(for_ort) < for_nncf
    assert {'NonMaxSuppression', 'TopK', 'Exp'} <= {nodes[name] for name in for_nncf}
    weighted = [name for name, op in nodes.items() if op in ('Conv', 'Gemm')]
    assert weighted and not for_nncf.intersection(weighted)


def test_cli_refuses_an_int8_input_and_outputs_that_cannot_be_right(
        fpn_export, tmp_path):
    """Before any work: a file already quantized (recorded in its metadata,
    or QDQ nodes of another tool), the input itself as output (it would
    replace the fp32 file), a folder."""
    config, fp32_file = fpn_export
    recorded = onnx.load(fp32_file)
    recorded.metadata_props.add(key=QUANTIZED_KEY, value='{}')
    onnx.save(recorded, str(tmp_path / 'recorded.onnx'))
    qdq = onnx.load(fp32_file)
    qdq.graph.node.append(onnx.helper.make_node('QuantizeLinear', ['a', 's'], ['q']))
    onnx.save(qdq, str(tmp_path / 'qdq.onnx'))
    before = sorted(tmp_path.iterdir())
    for name in ('recorded.onnx', 'qdq.onnx'):
        path = tmp_path / name
        assert tool_error('tools/quantize_onnx.py', config, path,
                          tmp_path / 'int8.onnx') == (
            f'{path} is already quantized (int8, QDQ); allowed: the fp32 ONNX '
            'file written by tools/export_onnx.py')
    assert tool_error('tools/quantize_onnx.py', config, fp32_file, fp32_file) == (
        f'output {fp32_file} is the input file {fp32_file}; allowed: another path '
        '(writing it would replace the input)')
    assert tool_error('tools/quantize_onnx.py', config, fp32_file, tmp_path) == (
        f'output {tmp_path} is a folder; allowed: the path of a file to write')
    assert sorted(tmp_path.iterdir()) == before
