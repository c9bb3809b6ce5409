"""Post-training int8 quantization of exported ONNX files.

A detector written by :func:`shufflenet_det.deploy.export_onnx` is calibrated
on images of its config's own dataset, each put through the test pipeline
stored in the file and zero-padded exactly as
:class:`shufflenet_det.runtime.Detector` feeds them
(:class:`shufflenet_det.runtime.Preprocess`), so that calibration sees what
the graph sees.
Two quantizers write the same kind of file, ONNX with QuantizeLinear /
DequantizeLinear pairs (QDQ, per-channel int8 weights), which ONNX Runtime and
OpenVINO both run in int8: ONNX Runtime's ``quantize_static`` and NNCF's
``nncf.quantize`` (OpenVINO's). The fp32 file's metadata (test pipeline,
classes) is kept, so the int8 file runs wherever the fp32 one does.

Weights are quantized to half the int8 range (-64..64): x86 CPUs without
VNNI (AVX2, AVX-512 without VNNI) multiply uint8 activations by int8 weights
in pairs summed in int16, which saturates with full-range weights, and
OpenVINO's int8 kernels there compute a different network. ONNX Runtime's
quantizer halves every weighted layer (``reduce_range``), NNCF the dense
convolutions and MatMuls (its ``OverflowFix.ENABLE``; grouped and depthwise
ones as its CPU configuration says). On the trained demo detectors this
costs no accuracy, and OpenVINO's mAP without VNNI comes within 0.002 of its
mAP with VNNI (docs/int8.md).
"""
import copy
from typing import Iterable, List, Optional, Sequence

import numpy as np
from mmengine.utils import ProgressBar

from ..atomic import atomic_path, check_output_path
from ..config_options import merge_options, read_config
from ..datasets.checked_coco import missing_files
from ..runtime.model_file import (INPUT_NAME, QUANTIZED_KEY, read_export_metadata,
                                  read_metadata)
from ..runtime.preprocess import Preprocess
from ..runtime.self_check import check_engine

QUANTIZERS = ('onnxruntime', 'nncf')
SPLITS = ('train', 'val')
# ONNX Runtime: the operators given int8 inputs. The rest (RoiAlign, NMS,
# box decoding, shuffles) stays fp32 between DequantizeLinear / QuantizeLinear.
ORT_OPS = ('Conv', 'Gemm', 'MatMul')
# NNCF: operators left in fp32 (see fp32_nodes); it quantizes the
# others' inputs as its CPU hardware config says.
NNCF_FP32_OPS = ('RoiAlign', 'NonMaxSuppression', 'TopK')


class CalibrationImages:
    """The graph inputs of ``paths`` (``[1, 3, H, W]`` float32), made one at a
    time by ``preprocess`` (a :class:`Preprocess`) each time it is iterated,
    with a progress bar: a quantizer may read them more than once, and all of
    them at once would not fit in memory at 600 px."""

    def __init__(self, paths: Sequence[str], preprocess: Preprocess):
        self.paths = list(paths)
        self.preprocess = preprocess

    def __len__(self):
        return len(self.paths)

    def __iter__(self):
        progress = ProgressBar(len(self.paths))
        for path in self.paths:
            yield self.preprocess(path)[0]
            progress.update()


def read_export(onnx_file: str):
    """(onnx model, test pipeline, input (H, W)) of an exported detector;
    a ValueError naming the file if it is not one."""
    import onnx
    pipeline, _ = read_export_metadata(onnx_file)  # checks the file first
    model = onnx.load(onnx_file)
    if QUANTIZED_KEY in {prop.key for prop in model.metadata_props} or any(
            node.op_type == 'QuantizeLinear' for node in model.graph.node):
        raise ValueError(f'{onnx_file} is already quantized (int8, QDQ); allowed: '
                         'the fp32 ONNX file written by tools/export_onnx.py')
    dims = model.graph.input[0].type.tensor_type.shape.dim
    return model, pipeline, tuple(dim.dim_value for dim in dims[2:])


def split_image_paths(cfg, split: str, count: int, what: str = 'images') -> List[str]:
    """Paths of ``count`` images of the ``split`` ('train' or 'val')
    dataset of ``cfg``, drawn at random with a fixed seed, all on disk; a
    ValueError saying why where there are not so many (no dataset, fewer
    images, missing files), calling them ``what``."""
    from mmdet.registry import DATASETS
    from mmdet.utils import register_all_modules
    if split not in SPLITS:
        raise ValueError(f'split {split!r} is not supported; allowed: {SPLITS}')
    register_all_modules()
    dataset_cfg = cfg[f'{split}_dataloader'].dataset
    if 'ann_file' in dataset_cfg:  # not a wrapper: an empty one then builds
        dataset_cfg = dict(dataset_cfg, serialize_data=False)
    try:
        dataset = DATASETS.build(dataset_cfg)
    except FileNotFoundError as error:
        raise ValueError(f'the {split} dataset of the config cannot be read: '
                         f'{error}') from None
    if len(dataset) == 0:
        raise ValueError(f'the {split} dataset of the config has no images '
                         f'({dataset_cfg.get("ann_file")}); allowed: a dataset with '
                         'at least one image')
    if not 1 <= count <= len(dataset):
        raise ValueError(f'{what} {count}: allowed: 1 to {len(dataset)}, the '
                         f'images of the {split} dataset')
    chosen = np.sort(np.random.default_rng(0).choice(len(dataset), count,
                                                     replace=False))
    paths = [dataset.get_data_info(int(index))['img_path'] for index in chosen]
    missing = missing_files(paths)  # CocoDataset itself does not check
    if missing:
        raise ValueError(f'{len(missing)} {what} of the {split} dataset are '
                         f'missing, e.g. {missing[0]}')
    return paths


def calibration_images(config, onnx_file: str, count: int, split: str = 'train',
                       cfg_options: Optional[dict] = None) -> CalibrationImages:
    """``count`` images of the ``split`` dataset of ``config`` (a path or a
    Config), drawn at random with a fixed seed, as the graph of
    ``onnx_file`` takes them."""
    if split not in SPLITS:
        raise ValueError(f'calibration split {split!r} is not supported; '
                         f'allowed: {SPLITS}')
    cfg = read_config(config) if isinstance(config, str) else copy.deepcopy(config)
    merge_options(cfg, cfg_options)
    _, pipeline, input_shape = read_export(onnx_file)
    paths = split_image_paths(cfg, split, count, 'calibration images')
    return CalibrationImages(paths, Preprocess(pipeline, input_shape))


def quantize_model(onnx_file: str, out: str, calibration: Iterable[np.ndarray],
                   quantizer: str = 'onnxruntime', info: Optional[dict] = None):
    """Write ``onnx_file`` (fp32, one input named ``input``) quantized to int8
    by ``quantizer`` (see QUANTIZERS), calibrated on the arrays of
    ``calibration`` (re-iterable, with a length), to ``out``, atomically. Its
    metadata is ``onnx_file``'s, plus ``info`` under QUANTIZED_KEY. A
    detector's int8 file is checked on the fp32 file's probe in ONNX Runtime
    before it is moved into place (:func:`check_int8_file`). Returns the
    agreement found (None: no probe to check)."""
    import onnx
    if quantizer not in QUANTIZERS:
        raise ValueError(f'quantizer {quantizer!r} is not supported; allowed: '
                         f'{QUANTIZERS}')
    fp32 = onnx.load(onnx_file)
    # both quantizers read constant operands (a convolution's bias, a
    # Gather's table) from initializers only, and leave the rest fp32
    prepared = constants_to_initializers(fp32)
    with atomic_path(out) as partial:
        if quantizer == 'onnxruntime':
            _quantize_onnxruntime(prepared, partial, calibration)
            int8 = onnx.load(partial)
        else:
            int8 = _quantize_nncf(prepared, calibration)
        del int8.metadata_props[:]
        int8.metadata_props.extend(fp32.metadata_props)
        int8.metadata_props.add(key=QUANTIZED_KEY,
                                value=repr(dict(quantizer=quantizer, **(info or {}))))
        onnx.save(int8, partial)
        return check_int8_file(partial, out)


def check_int8_file(path: str, name: str) -> Optional[float]:
    """The int8 file ``path``'s agreement with the fp32 detections of its
    probe in ONNX Runtime; a :class:`SelfCheckError` naming it as ``name``
    where they disagree (the quantization broke it); None for a file
    without a probe (not a detector)."""
    from ..runtime.engines import OnnxRuntimeEngine
    return check_engine(OnnxRuntimeEngine(path), read_metadata(path), None,
                        f'{name} (int8) in ONNX Runtime')


def quantize_detector(config, onnx_file: str, out: str, calib_images: int = 100,
                      calib_split: str = 'train', quantizer: str = 'onnxruntime',
                      cfg_options: Optional[dict] = None):
    """Quantize a detector exported from ``config`` (``onnx_file``) to int8,
    calibrated on ``calib_images`` images of its ``calib_split`` dataset:
    what ``tools/quantize_onnx.py`` does. A quantized ``onnx_file``, an
    ``out`` that is a folder or ``onnx_file`` are refused before any work.
    Returns :func:`quantize_model`'s agreement."""
    if quantizer not in QUANTIZERS:  # before reading any image
        raise ValueError(f'quantizer {quantizer!r} is not supported; allowed: '
                         f'{QUANTIZERS}')
    check_output_path(out, onnx_file)
    images = calibration_images(config, onnx_file, calib_images, calib_split,
                                cfg_options)
    return quantize_model(onnx_file, out, images, quantizer,
                          dict(calib_images=calib_images, calib_split=calib_split))


def constants_to_initializers(model):
    """A copy of ``model`` in which each tensor ``Constant`` node of its main
    graph, and each ``Identity`` of an initializer (the exporter shares equal
    tensors, e.g. the zero biases of BN layers at their initial state, that
    way), is replaced by an initializer of the same name and value."""
    import onnx
    model = copy.deepcopy(model)
    graph = model.graph
    initializers = {tensor.name: tensor for tensor in graph.initializer}
    kept = []
    for node in graph.node:
        if (node.op_type == 'Constant' and len(node.attribute) == 1
                and node.attribute[0].name == 'value'):
            value = node.attribute[0].t
        elif node.op_type == 'Identity' and node.input[0] in initializers:
            value = initializers[node.input[0]]
        else:
            kept.append(node)
            continue
        tensor = onnx.TensorProto()
        tensor.CopyFrom(value)
        tensor.name = node.output[0]
        graph.initializer.append(tensor)
        initializers[tensor.name] = tensor
    del graph.node[:]
    graph.node.extend(kept)
    return model


def _quantize_onnxruntime(model, out, calibration):
    from onnxruntime.quantization import (CalibrationDataReader, QuantFormat, QuantType,
                                          quantize_static)

    class Reader(CalibrationDataReader):

        def __init__(self):
            self.batches = iter(calibration)

        def get_next(self):
            batch = next(self.batches, None)
            return None if batch is None else {INPUT_NAME: batch}

    quantize_static(model, out, Reader(), quant_format=QuantFormat.QDQ,
                    op_types_to_quantize=list(ORT_OPS), per_channel=True,
                    reduce_range=True,  # half-range weights (module docstring)
                    nodes_to_exclude=fp32_nodes(model, 'onnxruntime'),
                    activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)


def _quantize_nncf(model, calibration):
    import nncf
    dataset = nncf.Dataset(calibration, lambda batch: {INPUT_NAME: batch})
    return nncf.quantize(model, dataset, subset_size=len(calibration),
                         preset=nncf.QuantizationPreset.PERFORMANCE,
                         ignored_scope=nncf.IgnoredScope(
                             names=fp32_nodes(model, 'nncf'), validate=False),
                         advanced_parameters=nncf.AdvancedQuantizationParameters(
                             overflow_fix=nncf.OverflowFix.ENABLE))


def fp32_nodes(model, quantizer: str):
    """Names of the nodes ``quantizer`` is to leave in fp32.

    Both: MatMuls of two activations (PSRoIAlign's bilinear weights times
    the map): int8 pays for weights, and 8 bits of interpolation weight
    would move the samples. NNCF, which quantizes more than the weighted
    layers, also: NNCF_FP32_OPS; the nodes that read a RoiAlign's output (an
    FPN level's RoIs are pooled into a concat that NNCF would quantize per
    input, and a level that no calibration RoI maps to has no statistics);
    and the export wrapper's own pre- and post-processing, the nodes outside
    any module's scope (anchors, box decoding, score filtering: a
    calibration image with no box above the threshold leaves none either).
    """
    nodes = model.graph.node
    constants = {tensor.name for tensor in model.graph.initializer}
    fp32 = [node.name for node in nodes if node.op_type == 'MatMul'
            and not constants.intersection(node.input)]
    if quantizer == 'nncf':
        roi_outputs = {name for node in nodes if node.op_type == 'RoiAlign'
                       for name in node.output}
        fp32 += [node.name for node in nodes if node.op_type in NNCF_FP32_OPS
                 or roi_outputs.intersection(node.input)
                 or node.name.count('/') < 2]  # '/Mul_19', not '/bbox_head/...'
    return fp32
