"""The engines an exported detector runs in, behind one small interface:
``build_engine(name, path, ...)`` gives an object with ``input_shape``,
``jobs`` (how many inputs it runs at once to its best throughput) and a
thread-safe ``run(batch) -> (dets, labels)``. Each engine is imported only
when it is used, so an environment needs only the one it runs.
"""
import importlib.util
import os
import threading
from typing import Optional, Tuple

import numpy as np

from .mnn import MNNEngine
from .model_file import (INPUT_NAME, MNN_SUFFIX, OUTPUT_NAMES, WRITTEN_BY,
                         ModelFileError, is_mnn_file)
from .self_check import choose_openvino_isa

# OpenVINO's inference precisions offered here: f32 (exact), bf16 (its own
# default on CPUs with AMX or AVX-512 BF16: faster, rounds activations)
OPENVINO_PRECISIONS = ('f32', 'bf16')
MODES = ('latency', 'throughput')


def onnxruntime_session(onnx_file: str, threads: Optional[int] = None):
    """An ONNX Runtime CPU session with ``threads`` intra-op threads (default:
    one per core) that do not spin when idle: spinning threads would steal
    the CPU from anything else in the process after each run."""
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.add_session_config_entry('session.intra_op.allow_spinning', '0')
    if threads:
        options.intra_op_num_threads = threads
    return ort.InferenceSession(onnx_file, options, providers=['CPUExecutionProvider'])


_openvino_started = False  # oneDNN's ISA is fixed from the first compile on


def openvino_model(onnx_file: str, threads: Optional[int] = None,
                   precision: str = 'f32', mode: str = 'latency',
                   choose_isa: bool = True):
    """``onnx_file`` compiled by OpenVINO for the CPU with its ``mode``
    performance hint (latency: one input at a time; throughput: several
    requests in flight on separate streams) and inference ``precision``
    (f32 by default: OpenVINO's own default on CPUs with bf16 rounds).
    The first compile in a process first lets an exported detector choose
    the CPU kernels that run it right (``choose_isa``:
    :func:`~.self_check.choose_openvino_isa`)."""
    global _openvino_started
    if precision not in OPENVINO_PRECISIONS:
        raise ValueError(f'OpenVINO precision {precision!r} is not supported; '
                         f'allowed: {", ".join(OPENVINO_PRECISIONS)}')
    import openvino
    if choose_isa:
        choose_openvino_isa(onnx_file, precision, _openvino_started)
    config = {'PERFORMANCE_HINT': mode.upper(), 'INFERENCE_PRECISION_HINT': precision}
    if threads:
        config['INFERENCE_NUM_THREADS'] = threads
    _openvino_started = True
    return openvino.Core().compile_model(onnx_file, 'CPU', config)


def cannot_load(path: str, engine: str, error: Exception) -> ModelFileError:
    reason = ' '.join(str(error).split())[:200]
    return ModelFileError(f'{path}: {engine} cannot load it ({reason}); {WRITTEN_BY}')


class OnnxRuntimeEngine:
    """ONNX Runtime. Throughput mode: one single-threaded run per core (or
    per ``threads``) at once on one session, whose ``run`` is thread-safe."""
    name = 'onnxruntime'

    def __init__(self, path: str, threads: Optional[int] = None,
                 precision: Optional[str] = None, mode: str = 'latency'):
        if precision not in (None, 'f32'):
            raise ValueError(f'ONNX Runtime precision {precision!r} is not '
                             "supported; allowed: 'f32' (int8 files run as int8)")
        self.jobs = (threads or os.cpu_count() or 1) if mode == 'throughput' else 1
        try:
            self.session = onnxruntime_session(
                path, 1 if mode == 'throughput' else threads)
        except Exception as error:  # ONNX Runtime's own types, not exported
            raise cannot_load(path, 'ONNX Runtime', error) from None
        self.input_shape = tuple(self.session.get_inputs()[0].shape[2:])

    def run(self, batch: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        return tuple(self.session.run(list(OUTPUT_NAMES), {INPUT_NAME: batch}))


class OpenVINOEngine:
    """OpenVINO. Each thread runs its own infer request; throughput mode
    compiles with OpenVINO's THROUGHPUT hint and runs as many requests at
    once as it says are optimal."""
    name = 'openvino'

    def __init__(self, path: str, threads: Optional[int] = None,
                 precision: Optional[str] = None, mode: str = 'latency',
                 choose_isa: bool = True):
        try:
            self.model = openvino_model(path, threads, precision or 'f32', mode,
                                        choose_isa)
        except RuntimeError as error:  # OpenVINO's one error type
            raise cannot_load(path, 'OpenVINO', error) from None
        self.jobs = (self.model.get_property('OPTIMAL_NUMBER_OF_INFER_REQUESTS')
                     if mode == 'throughput' else 1)
        self.input_shape = tuple(self.model.input(0).shape[2:])
        self._local = threading.local()

    def run(self, batch: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        if not hasattr(self._local, 'request'):
            self._local.request = self.model.create_infer_request()
        outputs = self._local.request.infer({0: batch})
        return tuple(outputs[name] for name in OUTPUT_NAMES)


ENGINES = {engine.name: engine
           for engine in (OnnxRuntimeEngine, OpenVINOEngine, MNNEngine)}
# each engine's Python module, and the install that brings it
MODULES = {'onnxruntime': 'onnxruntime', 'openvino': 'openvino', 'mnn': 'MNN'}
INSTALL = {'onnxruntime': 'shufflenet_det[runtime]',
           'openvino': 'shufflenet_det[runtime-openvino]',
           'mnn': 'shufflenet_det[runtime-mnn]'}


def is_installed(engine: str) -> bool:
    """Whether the engine's module (or the module ``engine`` names, e.g. a
    quantizer's) can be imported here, without importing it."""
    return importlib.util.find_spec(MODULES.get(engine, engine)) is not None


def build_engine(engine: str, path: str, threads: Optional[int] = None,
                 precision: Optional[str] = None, mode: str = 'latency'):
    """The ``engine`` (a name in ENGINES) running the ONNX file ``path`` in
    ``mode`` (latency or throughput) with ``threads`` in all."""
    if engine not in ENGINES:
        raise ValueError(f'engine {engine!r} is not supported; allowed: '
                         f'{", ".join(ENGINES)}')
    if mode not in MODES:
        raise ValueError(f'mode {mode!r} is not supported; allowed: '
                         f'{", ".join(MODES)}')
    if threads is not None and threads < 1:
        raise ValueError(f'threads {threads}: allowed: 1 or more')
    if engine != MNNEngine.name and is_mnn_file(path):
        raise ModelFileError(f'{path}: {MNN_SUFFIX} files run in engine '
                             f"'{MNNEngine.name}'; {engine} runs the ONNX file")
    try:
        return ENGINES[engine](path, threads, precision, mode)
    except ImportError as error:
        raise ImportError(f'engine {engine!r} is not installed ({error}); install '
                          f'it with pip install "{INSTALL[engine]}"') from None
