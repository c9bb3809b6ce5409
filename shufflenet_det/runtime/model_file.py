"""What an exported detector file holds besides its graph, read without the
``onnx`` package: the input and output names every export uses, and the
test pipeline and class names the exporter stores in the file's metadata.

The metadata is read straight from the ONNX protobuf (``ModelProto`` field 14,
``metadata_props``), skipping over the graph, rather than through an engine's
own API (ONNX Runtime's ``get_modelmeta().custom_metadata_map``, OpenVINO's
``rt_info``): ``shufflenet-det-to-mnn`` reads it where only MNN is installed
(the ``runtime-mnn`` extra has neither onnx nor ONNX Runtime), every engine
reads it the same way, and a file that is no ONNX model, or is cut short, is
named in one line before an engine parses all of it. An MNN file (``.mnn``)
carries the same metadata in its ``bizCode`` (:mod:`~.mnn`).
"""
import ast
import os
import os.path as osp
from typing import Dict, List, Tuple

INPUT_NAME = 'input'
OUTPUT_NAMES = ('dets', 'labels')
# metadata keys written by shufflenet_det.deploy.export_onnx
PIPELINE_KEY = 'shufflenet_det.test_pipeline'
CLASSES_KEY = 'shufflenet_det.classes'
# an image and the fp32 graph's detections on it (runtime.self_check)
PROBE_KEY = 'shufflenet_det.probe'
# written by shufflenet_det.deploy.quantize: how the int8 file was quantized
QUANTIZED_KEY = 'shufflenet_det.quantized'
# written by shufflenet-det-to-mnn: how the MNN file stores its weights
WEIGHTS_KEY = 'shufflenet_det.mnn_weights'
# the file name ending of MNN files (runtime.mnn), read by MNN, not as ONNX
MNN_SUFFIX = '.mnn'

WRITTEN_BY = 'allowed: an ONNX file written by tools/export_onnx.py or ' \
             'tools/quantize_onnx.py'
# ModelProto's fields (onnx.proto) and their wire types: 0 varint, 2 bytes
_MODEL_FIELDS = {1: 0, 2: 2, 3: 2, 4: 2, 5: 0, 6: 2, 7: 2, 8: 2, 14: 2, 20: 2,
                 25: 2, 26: 2}
_GRAPH, _METADATA = 7, 14


class ModelFileError(ValueError):
    """A file that is not a detector exported by this project."""


def _varint(data: bytes, pos: int) -> Tuple[int, int]:
    value = shift = 0
    while True:
        if pos >= len(data) or shift > 63:
            raise IndexError(pos)
        byte = data[pos]
        value |= (byte & 0x7F) << shift
        pos, shift = pos + 1, shift + 7
        if not byte & 0x80:
            return value, pos


def _fields(data: bytes):
    """(field number, wire type, value) of a protobuf message's fields."""
    pos = 0
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire == 2:
            size, pos = _varint(data, pos)
            if pos + size > len(data):
                raise IndexError(pos)
            value, pos = data[pos:pos + size], pos + size
        else:
            raise ValueError(f'wire type {wire}')
        yield number, wire, value


def is_mnn_file(path: str) -> bool:
    return path.endswith(MNN_SUFFIX)


def check_model_path(path: str, written_by: str = WRITTEN_BY):
    """A :class:`ModelFileError` where ``path`` is no file or an empty one."""
    if osp.isdir(path):
        raise ModelFileError(f'{path} is a folder; {written_by}')
    if not osp.isfile(path):
        raise ModelFileError(f'{path}: no such file; {written_by}')
    if os.path.getsize(path) == 0:
        raise ModelFileError(f'{path} is an empty file; {written_by}')


def read_metadata(path: str) -> Dict[str, str]:
    """The ``metadata_props`` of the ONNX model in ``path`` (of an MNN
    file, what the converter stored); a :class:`ModelFileError` naming the
    file if it is no (whole) ONNX model."""
    if is_mnn_file(path):
        from .mnn import read_mnn_metadata
        return read_mnn_metadata(path)
    check_model_path(path)
    with open(path, 'rb') as f:
        data = f.read()
    metadata, has_graph = {}, False
    try:
        for number, wire, value in _fields(data):
            if _MODEL_FIELDS.get(number) != wire:
                raise ValueError(f'field {number}')
            has_graph |= number == _GRAPH
            if number == _METADATA:
                entry = {n: v for n, _, v in _fields(value)}
                metadata[entry.get(1, b'').decode()] = entry.get(2, b'').decode()
    except IndexError:
        raise ModelFileError(f'{path} is a truncated ONNX file (it ends inside '
                             f'a field); {WRITTEN_BY}') from None
    except (ValueError, UnicodeDecodeError):
        raise ModelFileError(f'{path} is not an ONNX model file (it starts with '
                             f'{data[:8]!r}); {WRITTEN_BY}') from None
    if not has_graph:
        raise ModelFileError(f'{path} is not an ONNX model file: it has no '
                             f'graph; {WRITTEN_BY}')
    return metadata


def export_metadata(metadata: Dict[str, str], path: str) -> Tuple[List[dict], tuple]:
    """(test pipeline, class names) stored by the exporter in ``metadata``
    (key -> value) of the file ``path``; a :class:`ModelFileError` naming
    the missing keys for any other file."""
    missing = [key for key in (PIPELINE_KEY, CLASSES_KEY) if key not in metadata]
    if missing:
        raise ModelFileError(
            f'{path} has no {" and no ".join(missing)} in its metadata, so it is '
            f'not a detector exported by this project; {WRITTEN_BY}')
    # Python literals: Resize's scale is a tuple, which JSON would lose
    return (ast.literal_eval(metadata[PIPELINE_KEY]),
            ast.literal_eval(metadata[CLASSES_KEY]))


def read_export_metadata(path: str) -> Tuple[List[dict], tuple]:
    """(test pipeline, class names) of the detector exported to ``path``."""
    return export_metadata(read_metadata(path), path)
