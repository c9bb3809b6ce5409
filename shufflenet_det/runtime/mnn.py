"""MNN, the mobile engine: an exported detector converted to MNN's format
(``shufflenet-det-to-mnn``) and run by MNN's Module API.

What a ``.mnn`` file carries, one rule: the ONNX file's metadata (test
pipeline, class names, probe, quantization record) and how the converter
stored its weights (``WEIGHTS_KEY``), as one JSON object in the MNN file's
``bizCode`` string, which MNN keeps and returns with the model's info.

The converter calls MNN's converter library (its ``_tools`` module), in a
child process because the library aborts its process on a graph it cannot
convert: MNN's own ``mnnconvert`` and ``mnnquant`` scripts pip-install a
logging package and send usage logs over the network when they run. Full
int8 is not offered: MNN's converter aborts on int8 (QDQ) ONNX files, and
its calibrating quantizer crashes on the detectors' graphs; ``--weights
int8`` stores int8 weights, which MNN computes with in fp32.
Needs only MNN (``pip install "shufflenet_det[runtime-mnn]"``).
"""
import argparse
import json
import os
import os.path as osp
import subprocess
import sys
import threading
from typing import Dict, List, Optional, Tuple

import numpy as np

from ..atomic import atomic_path, check_output_path
from .model_file import (INPUT_NAME, MNN_SUFFIX, OUTPUT_NAMES, QUANTIZED_KEY,
                         WEIGHTS_KEY, ModelFileError, check_model_path, export_metadata,
                         is_mnn_file, read_metadata)

# how the converter stores the weights (MNN computes in fp32 with them)
WEIGHT_OPTIONS = {'fp32': [], 'fp16': ['--fp16'], 'int8': ['--weightQuantBits', '8']}
WEIGHTS = tuple(WEIGHT_OPTIONS)
# MNN's converter library (see the module docstring), run as a child
# (the bizCode on stdin: with the probe's image it exceeds a command line)
CONVERT = ('import sys, _tools; _tools.mnnconvert(["mnnconvert", *sys.argv[1:], '
           '"--bizCode", sys.stdin.read()])')
MNN_WRITTEN_BY = ('allowed: an MNN file written by shufflenet-det-to-mnn from a '
                  'detector exported by tools/export_onnx.py')


def load_module(path: str, threads: Optional[int] = None,
                detector: bool = True):
    """The MNN Module of ``path`` on the CPU, in fp32, with ``threads``
    (default: one per core): a detector's input and outputs, or (``detector``
    False) any graph's; a :class:`ModelFileError` if MNN cannot load it."""
    import MNN.nn as nn
    check_model_path(path, MNN_WRITTEN_BY)
    runtime = nn.create_runtime_manager(({
        'backend': 'CPU', 'precision': 'high',
        'numThread': threads or os.cpu_count() or 1}, ))
    try:
        return nn.load_module_from_file(
            path, [INPUT_NAME] if detector else [],
            list(OUTPUT_NAMES) if detector else [], runtime_manager=runtime)
    except (SystemError, RuntimeError):  # MNN's answer to a file it cannot read
        raise ModelFileError(f'{path}: MNN cannot load it (not an MNN model file, '
                             f'or a damaged one); {MNN_WRITTEN_BY}') from None


def read_mnn_metadata(path: str) -> Dict[str, str]:
    """The metadata the converter stored in ``path``'s bizCode; a
    :class:`ModelFileError` for another file."""
    code = load_module(path, 1).get_info().get('bizCode', '')
    try:
        metadata = json.loads(code)
        if not isinstance(metadata, dict) or WEIGHTS_KEY not in metadata:
            raise ValueError
    except ValueError:
        raise ModelFileError(f'{path} is an MNN file without this project\'s metadata '
                             f'(its bizCode starts {code[:40]!r}); '
                             f'{MNN_WRITTEN_BY}') from None
    return metadata


def input_shape(path: str) -> Tuple[int, int]:
    """(H, W) of the model's input."""
    import MNN.expr as F
    return tuple(F.load_as_dict(path)[INPUT_NAME].shape[2:])


class MNNEngine:
    """MNN's Module API on the CPU in fp32 (a file with fp16 weights computes
    in fp32 with them). Throughput mode: one single-threaded clone of the
    module per thread, as many at once as ``threads`` (default: cores)."""
    name = 'mnn'

    def __init__(self, path: str, threads: Optional[int] = None,
                 precision: Optional[str] = None, mode: str = 'latency'):
        if precision not in (None, 'f32'):
            raise ValueError(f'MNN precision {precision!r} is not supported; '
                             "allowed: 'f32' (fp16 files run with fp16 weights)")
        if not is_mnn_file(path):
            raise ModelFileError(f'{path}: MNN runs {MNN_SUFFIX} files; convert it '
                                 f'with shufflenet-det-to-mnn {path} MODEL.mnn')
        throughput = mode == 'throughput'
        self.jobs = (threads or os.cpu_count() or 1) if throughput else 1
        self.module = load_module(path, 1 if throughput else threads)
        self.input_shape = input_shape(path)
        self._local = threading.local()

    def run(self, batch: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        if self.jobs == 1:
            module = self.module
        else:  # a module runs one input at a time
            if not hasattr(self._local, 'module'):
                self._local.module = self.module.clone()
            module = self._local.module
        dets, labels = forward(module, batch)
        return dets.astype(np.float32), labels.astype(np.int64)


def forward(module, batch: np.ndarray) -> List[np.ndarray]:
    """The outputs of an MNN ``module`` on an NCHW ``batch``, as arrays (MNN
    cannot read an empty output, such as no boxes)."""
    import MNN.expr as F
    outputs = module.forward([F.const(batch, list(batch.shape), F.NCHW)])
    return [np.zeros(var.shape, np.float32) if 0 in var.shape else var.read()
            for var in outputs]


def convert_graph(onnx_file: str, out: str, weights: str = 'fp32',
                  biz_code: str = ''):
    """Any ONNX graph ``onnx_file`` converted by MNN's converter library to
    ``out`` with ``weights`` (see WEIGHTS) and ``biz_code``, in a child
    process: the converter aborts its process on graphs it cannot convert.
    A :class:`ModelFileError` where it fails or writes nothing."""
    if weights not in WEIGHTS:
        raise ValueError(f'weights {weights!r}: allowed: {", ".join(WEIGHTS)}')
    command = [sys.executable, '-c', CONVERT, '-f', 'ONNX', '--modelFile', onnx_file,
               '--MNNModel', out, *WEIGHT_OPTIONS[weights]]
    status = subprocess.run(command, input=biz_code, text=True).returncode
    if status != 0 or not osp.isfile(out) or os.path.getsize(out) == 0:
        raise ModelFileError(f'{onnx_file}: MNN\'s converter failed (exit status '
                             f'{status}; its messages above say why)')


def convert_to_mnn(onnx_file: str, out: str, weights: str = 'fp32') -> Tuple[int, int]:
    """Convert a detector exported by ``tools/export_onnx.py`` to MNN, its
    metadata carried along; ``weights`` stored in fp32, fp16 or int8 (MNN
    computes in fp32 with them). Written whole or not at all; returns the
    input (H, W)."""
    if weights not in WEIGHTS:
        raise ValueError(f'weights {weights!r}: allowed: {", ".join(WEIGHTS)}')
    if not is_mnn_file(out):
        raise ValueError(f'output {out}: allowed: a path ending in {MNN_SUFFIX}')
    metadata = read_metadata(onnx_file)
    export_metadata(metadata, onnx_file)  # a detector of this project
    if QUANTIZED_KEY in metadata:
        raise ModelFileError(f'{onnx_file} is an int8 (QDQ) file, which MNN\'s '
                             'converter cannot convert; allowed: the fp32 file '
                             '(--weights int8 stores int8 weights)')
    check_output_path(out, onnx_file)
    metadata[WEIGHTS_KEY] = weights
    with atomic_path(out) as partial:
        convert_graph(onnx_file, partial, weights, json.dumps(metadata))
        if read_mnn_metadata(partial) != metadata:
            raise ModelFileError(f'{out}: MNN did not keep the metadata')
        shape = input_shape(partial)
    return shape


def main(argv=None):
    """``shufflenet-det-to-mnn MODEL.onnx MODEL.mnn``."""
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('model', help='ONNX file written by tools/export_onnx.py or '
                        'tools/quantize_onnx.py')
    parser.add_argument('out', help=f'MNN file to write ({MNN_SUFFIX})')
    parser.add_argument('--weights', default='fp32', choices=WEIGHTS,
                        help='how the weights are stored (fp16: half the size, '
                        'int8: a quarter; MNN computes in fp32 with them, checked '
                        'against the fp32 detections when the file loads)')
    args = parser.parse_args(argv)
    try:
        shape = convert_to_mnn(args.model, args.out, args.weights)
    except (ValueError, ImportError) as error:  # ModelFileError is a ValueError
        parser.exit(2, f'{parser.prog}: error: {error}\n')
    print(f'{args.out}: MNN, {args.weights} weights, input [1, 3, {shape[0]}, '
          f'{shape[1]}], outputs dets, labels')


if __name__ == '__main__':
    main()
