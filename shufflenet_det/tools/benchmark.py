"""The benchmark core: latency of models measured so that ratios between
them are fair - same run, same thread count, models interleaved round by
round (drift hits all alike), warm-up, then the spread (min / median /
max) - each engine in a process of its own. The tools
(``benchmark_backbone``, ``benchmark_detector``, ``benchmark_runtime``)
bring their models and table columns; the records, "fastest of", the ratios
to a baseline, the JSON results and the error-bar plot are here."""
import copy
import datetime
import functools
import json
import os
import os.path as osp
import platform
import statistics
import sys
import tempfile
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from multiprocessing import get_context
from types import SimpleNamespace
from typing import Any, Dict, NamedTuple, Optional

import torch
from torch import nn

from ..atomic import atomic_path, write_text_atomically
from ..deploy import onnxruntime_session, openvino_model, optimize_for_inference
from ..deploy.quantize import QUANTIZERS, quantize_model
from ..models import rpn_forward
from ..runtime.engines import is_installed
from ..runtime.model_file import OUTPUT_NAMES, read_metadata
from ..runtime.self_check import check_engine, cpu_description
from .complexity import count_mult_adds

# How a model is run:
#   eager       - as built: NCHW, BN layers, PyTorch eager;
#   fast        - optimize_for_inference: BN folded, channels_last, eager;
#   channels_last - memory format only (for models whose BN mmcv cannot fold);
#   torchscript - traced, frozen and torch.jit.optimize_for_inference'd
#                 (conv-BN folding, prepacked oneDNN weights);
#   compiled    - torch.compile (inductor, weights frozen) of the fast model.
MODES = ('eager', 'fast', 'channels_last', 'torchscript', 'compiled')
# Where a model runs: PyTorch (in one of MODES), or exported to ONNX (with
# the exporter mmdeploy uses) and run by ONNX Runtime or OpenVINO.
ENGINES = ('torch', 'onnxruntime', 'openvino', 'mnn')
# Precisions of the ONNX engines: the exported file, or it quantized to int8
# by one of QUANTIZERS (shufflenet_det.deploy.quantize).
PRECISIONS = ('fp32', 'int8')


class Run(NamedTuple):
    """One way to run a model: in PyTorch in ``mode`` (one of MODES), or its
    ONNX export in an ONNX engine at ``precision`` ('fp32', 'int8' written by
    ``quantizer``, OpenVINO's 'bf16')."""
    engine: str
    mode: Optional[str] = None
    precision: str = 'fp32'
    quantizer: Optional[str] = None

    @classmethod
    def onnx(cls, engine, quantizer=None):
        """``engine`` on the fp32 export, or on it quantized by ``quantizer``."""
        if quantizer is None:
            return cls(engine)
        return cls(engine, precision='int8', quantizer=quantizer)

    def __str__(self):
        """As the tables write it: 'fast', 'onnxruntime', 'openvino bf16',
        'onnxruntime int8/nncf'."""
        if self.engine == 'torch':
            return self.mode
        if self.precision == 'int8':
            return f'{self.engine} int8/{self.quantizer}'
        return self.engine if self.precision == 'fp32' else \
            f'{self.engine} {self.precision}'


class Spread(NamedTuple):
    """ms of the rounds: min, median, max."""
    low: float
    median: float
    high: float

    def __str__(self):
        return f'{self.low:.1f} / {self.median:.1f} / {self.high:.1f}'


def spread(times):
    """The Spread of a list of ms."""
    return Spread(min(times), statistics.median(times), max(times))


@dataclass
class Measurement:
    """One model run one way: the spread of its total ms per round, the
    median ms of each stage where it was timed stage by stage, and the
    tool's own columns (input size, GMAC, ...). ``to_json`` is one entry of
    the tools' ``--json`` results."""
    model: str
    run: Run
    ms: Spread
    stages: Dict[str, float] = field(default_factory=dict)
    columns: Dict[str, Any] = field(default_factory=dict)

    def to_json(self):
        return dict(model=self.model, **self.run._asdict(), runs_as=str(self.run),
                    ms=list(self.ms), stages=self.stages, **self.columns)


def measurements(times):
    """The Measurements of ``latency_rounds``' (or ``detector_stage_latency``'s)
    times keyed by (model, Run)."""
    return [Measurement(model, run, spread(stages['total']),
                        {stage: statistics.median(ms) for stage, ms in stages.items()
                         if stage != 'total'})
            for (model, run), stages in times.items()]


def fastest(records, select=None):
    """The record of the lowest median among ``records`` (those ``select``
    accepts), or None."""
    return min((record for record in records if select is None or select(record)),
               key=lambda record: record.ms.median, default=None)


def ratios(records, is_baseline, group=lambda record: record.run.precision):
    """Each record's median over that of the fastest baseline of its group
    (default: the same precision), None where the group has no baseline."""
    best = {}
    for record in filter(is_baseline, records):
        key = group(record)
        best[key] = min(record.ms.median, best.get(key, float('inf')))
    return [record.ms.median / best[group(record)] if group(record) in best else None
            for record in records]


def ratio_text(ratio):
    return '-' if ratio is None else f'{ratio:.2f}'


def write_results(path, records, **header):
    """``header`` and the records as JSON: where and when they were measured
    (:func:`provenance`), ``results``, a list of ``Measurement.to_json``
    (model, engine, mode, precision, quantizer, runs_as, ms: [min, median,
    max], stages, the tool's columns)."""
    write_text_atomically(path, json.dumps(
        dict(provenance(), **header, results=[record.to_json() for record in records]),
        indent=1))


def provenance() -> Dict[str, Any]:
    """The date (UTC), the command, the machine (CPU model, the ISA its int8
    kernels use, cores) and the versions of the engines: what a results page
    states beside its figures."""
    model = platform.processor() or platform.machine()
    try:
        with open('/proc/cpuinfo') as f:
            model = next((line.split(':', 1)[1].strip() for line in f
                          if line.startswith('model name')), model)
    except OSError:
        pass
    versions = {}
    for package in ('torch', 'onnxruntime', 'openvino', 'MNN'):
        try:
            versions[package] = version(package)
        except PackageNotFoundError:
            pass
    script = osp.relpath(sys.argv[0]) if osp.isfile(sys.argv[0]) else sys.argv[0]
    return dict(date=datetime.datetime.now(datetime.timezone.utc).strftime(
        '%Y-%m-%d %H:%M UTC'), command=' '.join(['python', script, *sys.argv[1:]]),
        machine=f'{model}, {cpu_description()}, {os.cpu_count()} cores',
        versions=versions)


def conv_mult_adds(model, size):
    """Conv + FC multiply-adds (G) of one forward at ``size`` (h, w)."""
    return count_mult_adds(model, torch.zeros(1, 3, *size)) / 1e9


def prepare(model, mode, example=None):
    """A copy of ``model`` set up to run in ``mode`` (see MODES), eval."""
    model = copy.deepcopy(model)
    model.eval()  # some train() overrides (mmdet's MobileNetV2) return None
    if mode == 'eager':
        return model
    if mode == 'fast':
        return optimize_for_inference(model)
    if mode == 'channels_last':
        return optimize_for_inference(model, fuse_bn=False)
    if mode == 'torchscript':
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter('ignore')
            traced = torch.jit.trace(model, example, strict=False)
            return torch.jit.optimize_for_inference(torch.jit.freeze(traced))
    if mode == 'compiled':
        import torch._dynamo.config as dynamo_config
        import torch._inductor.config as inductor_config
        inductor_config.freezing = True
        # one compilation per model instance and input size, never a fallback
        dynamo_config.recompile_limit = max(dynamo_config.recompile_limit, 256)
        return torch.compile(optimize_for_inference(model), dynamic=False)
    raise ValueError(f'mode={mode!r} is not supported; allowed: {MODES}')


def add_run_arguments(parser, repeats, warmup):
    """The arguments both benchmark tools take: where and how long to run."""
    parser.add_argument('--engine', nargs='+', default=list(ENGINES), choices=ENGINES,
                        help='where to run; one process each (default: all; '
                        'OpenVINO skipped when not installed)')
    parser.add_argument('--threads', type=int, default=torch.get_num_threads())
    parser.add_argument('--repeats', type=int, default=repeats)
    parser.add_argument('--warmup', type=int, default=warmup)
    parser.add_argument('--device', default='cpu', help="'cpu' or 'cuda' (torch)")
    parser.add_argument('--precision', nargs='+', default=['fp32'], choices=PRECISIONS,
                        help='of the ONNX engines, timed in the same run (default: '
                        'fp32; int8: the exported file quantized, QDQ)')
    parser.add_argument('--quantizer', nargs='+', default=['onnxruntime'],
                        choices=QUANTIZERS, help='with --precision int8: which '
                        'quantizers, each timed (default: onnxruntime)')
    parser.add_argument('--json', help='also write the measurements here (a list '
                        'of records: model, engine, mode, precision, quantizer, '
                        'ms: [min, median, max], ...)')


def engines_to_run(parser, args):
    """The engines of ``args.engine`` that are installed, each missing one
    noted; CUDA that is not there, or with an ONNX engine, is a usage error
    (exit 2), not a traceback."""
    if args.device.startswith('cuda') and not torch.cuda.is_available():
        parser.error(f'--device {args.device}: CUDA is not available here')
    if args.device != 'cpu' and args.engine != ['torch']:
        parser.error(f'--device {args.device}: only with --engine torch')
    if 'int8' in args.precision and args.engine == ['torch']:
        parser.error('--precision int8: only with an ONNX engine (--engine '
                     'onnxruntime openvino)')
    missing = missing_engines(args.engine)
    if 'int8' in args.precision:
        missing_quantizers = missing_engines(args.quantizer)
        if missing_quantizers:
            parser.error(f'--quantizer {" ".join(missing_quantizers)}: not installed '
                         f'(pip install {" ".join(missing_quantizers)})')
    for engine in missing:
        print(f'note: {engine} is not installed, skipped (pip install {engine})')
    return [engine for engine in args.engine if engine not in missing]


def clock(cuda=False):
    """Seconds, after the GPU's queued work when ``cuda``."""
    if cuda:
        torch.cuda.synchronize()
    return time.perf_counter()


class StageSeconds(dict):
    """What a call that times its own stages returns: seconds per stage."""


def latency_rounds(calls, repeats=20, warmup=3, cuda=False):
    """ms of each call in every round after ``warmup`` rounds, the calls
    interleaved round by round: ``{name: {'total': [ms], stage: [ms], ...}}``.
    ``calls`` maps a name to a function of no arguments (a model on its
    input, an ONNX engine's run on an array); one that returns StageSeconds
    is timed by its stages, its total their sum."""
    times = {name: dict(total=[]) for name in calls}
    with torch.inference_mode():
        for round_ in range(warmup + repeats):
            for name, call in calls.items():
                start = clock(cuda)
                stages = call()
                seconds = clock(cuda) - start
                if round_ < warmup:
                    continue
                if isinstance(stages, StageSeconds):
                    for stage, value in stages.items():
                        times[name].setdefault(stage, []).append(1000 * value)
                    seconds = sum(stages.values())
                times[name]['total'].append(1000 * seconds)
    return times


def silence_rpn(detector):
    """Zero the RPN's score and delta convolutions: every anchor scores
    alike and stays as it is, so the RPN's NMS does the same work for
    detectors with the same anchors. An untrained RPN's random scores make
    NMS keep from 200 to 6000 boxes depending on the model, where a trained
    one keeps its ``max_per_img`` on any real image. An mmdet detector or a
    torchvision one (``detector.rpn.head``)."""
    if hasattr(detector, 'rpn_head'):
        convs = (detector.rpn_head.rpn_cls, detector.rpn_head.rpn_reg)
    else:
        convs = (detector.rpn.head.cls_logits, detector.rpn.head.bbox_pred)
    for conv in convs:
        nn.init.zeros_(conv.weight)
        nn.init.zeros_(conv.bias)
    return detector


def detector_stage_latency(detectors, repeats=5, warmup=1):
    """ms per stage of two-stage detectors' inference, interleaved.

    ``detectors`` maps a name to ``(model, data)``: the model and a data
    preprocessor's output for one image; or to a function of nothing (a
    whole model, an ONNX runner), timed in ``total`` only, interleaved with
    the others. The stages are those of mmdet's
    ``TwoStageDetector.predict``: backbone (+ neck), RPN (head and
    proposals; ThunderNet's with its SAM), RoI head. Returns, per name,
    lists of ms per stage and in ``total``, and the number of proposals the
    RoI head got.
    """
    counts = {}

    def staged(name, model, data):
        inputs, samples = data['inputs'], data['data_samples']
        cuda = inputs.is_cuda

        def call():
            start = clock(cuda)
            features = model.extract_feat(inputs)
            after_backbone = clock(cuda)
            rpn_outs, features = rpn_forward(model, features)
            proposals = model.rpn_head.predict_by_feat(
                *rpn_outs, batch_img_metas=[s.metainfo for s in samples],
                rescale=False)
            after_rpn = clock(cuda)
            model.roi_head.predict(features, proposals, samples, rescale=True)
            counts[name] = len(proposals[0])
            return StageSeconds(backbone=after_backbone - start,
                                rpn=after_rpn - after_backbone,
                                roi_head=clock(cuda) - after_rpn)
        return call

    calls = {name: entry if callable(entry) else staged(name, *entry)
             for name, entry in detectors.items()}
    return latency_rounds(calls, repeats, warmup), counts


def missing_engines(engines):
    """The engines of ``engines`` that are not installed here."""
    return [engine for engine in engines
            if engine != 'torch' and not is_installed(engine)]


def in_own_process(function, *args):
    """``function(*args)`` in a fresh Python process, so that each engine's
    thread pool runs alone (two pools of 2 threads on 2 cores fight)."""
    with ProcessPoolExecutor(1, mp_context=get_context('spawn')) as executor:
        return executor.submit(function, *args).result()


def measure_engines(measure, engines, *args):
    """``measure(engine, *args, counted)`` for each engine, each in a process
    of its own: the Measurements of all, and the per-model figures (e.g.
    GMAC) each returns for the models not in ``counted``, those an earlier
    engine's process counted, so that each model is counted once."""
    records, figures = [], {}
    for engine in engines:
        engine_records, engine_figures = in_own_process(measure, engine, *args,
                                                        frozenset(figures))
        records += engine_records
        figures.update(engine_figures)
    return records, figures


def quantizers_to_run(args):
    """None (fp32) and the quantizers of ``args`` (int8), as precisions ask."""
    return ((None, ) if 'fp32' in args.precision else ()) + (
        tuple(args.quantizer) if 'int8' in args.precision else ())


def onnx_runner(export, engine, threads, quantizer=None, calibration=()):
    """The ONNX file ``export(path)`` writes (e.g. ``deploy.export_module``
    or ``deploy.export_detector``, partially applied), with ``quantizer``
    quantized to int8 on the arrays of ``calibration``, loaded in ``engine``
    ('onnxruntime' or 'openvino'): a function of a numpy array."""
    if engine not in ENGINES[1:]:
        raise ValueError(f'engine={engine!r} is not an ONNX engine; allowed: '
                         f'{ENGINES[1:]}')
    if engine == 'mnn' and quantizer is not None:
        raise ValueError('MNN does not convert int8 (QDQ) files')
    with tempfile.TemporaryDirectory() as folder:
        path = osp.join(folder, 'model.onnx')
        export(path)
        if quantizer is not None:
            quantize_model(path, osp.join(folder, 'int8.onnx'), list(calibration),
                           quantizer)
            path = osp.join(folder, 'int8.onnx')
        return onnx_call(engine, path, threads)


def onnx_call(engine, path, threads, precision='f32'):
    """A function running the ONNX file ``path`` (one input, any outputs)
    on an array in ``engine`` ('onnxruntime', 'openvino' in ``precision``
    f32 or bf16, or 'mnn': converted beside it, fp32 weights). A detector
    file the engine runs below fp32 is first put through the runtime's
    self-check, so that no run with wrong boxes is timed (a
    :class:`SelfCheckError`)."""
    if engine == 'onnxruntime':
        session = onnxruntime_session(path, threads)
        name = session.get_inputs()[0].name
        shape = session.get_inputs()[0].shape[2:]
        call = lambda x: session.run(None, {name: x})  # noqa: E731
        outputs = call  # a detector's: dets, labels in that order
    elif engine == 'mnn':
        from ..runtime import mnn
        converted = osp.splitext(path)[0] + '.mnn'
        mnn.convert_graph(path, converted)
        module = mnn.load_module(converted, threads, detector=False)
        shape = mnn.input_shape(converted)
        call = outputs = functools.partial(mnn.forward, module)
    else:
        model = openvino_model(path, threads, precision)
        request = model.create_infer_request()
        shape = model.input(0).shape[2:]
        call = lambda x: request.infer({0: x})  # noqa: E731

        def outputs(x):
            result = call(x)
            return [result[name] for name in OUTPUT_NAMES]
    # the runtime's check on the session / request timed: compiled once
    check_engine(SimpleNamespace(run=outputs, input_shape=tuple(shape)),
                 read_metadata(path), precision, f'{path} in {engine}')
    return call


def int8_runner_or_note(name, export, engine, threads, quantizer, calibration):
    """``onnx_runner`` of ``name``; for a quantized file that the quantizer
    cannot write or the engine cannot load (NNCF without statistics for a
    node, OpenVINO on ONNX Runtime's grouped QDQ convolutions), None after a
    note naming it and the error, so that the rest of the run goes on."""
    try:
        return onnx_runner(export, engine, threads, quantizer, calibration)
    except Exception as error:  # the quantizers and engines have their own types
        if quantizer is None:
            raise
        print(f'note: {name}, {Run.onnx(engine, quantizer)}: failed '
              f'({str(error).strip().splitlines()[-1]}), skipped', flush=True)
        return None


def onnx_calls(name, export, example, engine, threads, quantizers=(None, ),
               calibration=()):
    """``{(name, Run): function of nothing}``: the ONNX file ``export(path)``
    writes, run on the array ``example`` in ``engine``, in fp32 (None in
    ``quantizers``) and quantized by each quantizer on ``calibration``; an
    int8 variant that fails is noted and left out."""
    calls = {}
    for quantizer in quantizers:
        run = int8_runner_or_note(name, export, engine, threads, quantizer,
                                  calibration)
        if run is not None:
            calls[name, Run.onnx(engine, quantizer)] = functools.partial(run, example)
    return calls


def plot_latency(path, panels, label, latency_on_x=False, annotate=False,
                 lines=()):
    """Median ms with bars from min to max against another figure (MFLOPs,
    AP, ...; ``label``), one panel per title of ``panels``, each a list of
    points ``(name, figure, Spread, marker)``. The latency on the y axis, or
    with ``latency_on_x`` on a log-scaled x axis; the names in a legend (one
    colour each, the same in every panel), or with ``annotate`` beside their
    points. ``lines``: dashed guides ``(name, 'latency' or 'figure', value)``
    in every panel (a baseline's time, a target)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    legend_width = 0 if annotate else 2.4
    fig, axes = plt.subplots(1, len(panels), squeeze=False, sharey=not latency_on_x,
                             figsize=(4.5 * len(panels) + 3, 4.8))
    names = list(dict.fromkeys(point[0] for points in panels.values()
                               for point in points))
    colours = plt.get_cmap('tab10')
    latency_label = 'ms (median, bars min-max)'
    for ax, (title, points) in zip(axes[0], panels.items()):
        for name, figure, (low, median, high), marker in points:
            bars = [[median - low], [high - median]]
            xy, error = ((median, figure), dict(xerr=bars)) if latency_on_x else (
                (figure, median), dict(yerr=bars))
            ax.errorbar(*xy, **error, capsize=3, fmt=marker, label=name,
                        color=colours(names.index(name) % 10))
            if annotate:
                ax.annotate(name, xy, fontsize=7, xytext=(4, 3),
                            textcoords='offset points')
        for name, axis, value in lines:
            vertical = (axis == 'latency') == latency_on_x
            (ax.axvline if vertical else ax.axhline)(value, color='grey', ls='--', lw=1)
            ax.annotate(name, (value, 0.02) if vertical else (0.01, value), fontsize=7,
                        rotation=90 if vertical else 0, color='grey',
                        xytext=(3, 3), textcoords='offset points',
                        xycoords=('data', 'axes fraction') if vertical else
                        ('axes fraction', 'data'))
        ax.set(title=title, xlabel=latency_label if latency_on_x else label)
        if latency_on_x:
            ax.set(xscale='log', ylabel=label)
        ax.grid(alpha=0.3)
    if not latency_on_x:
        axes[0][0].set_ylabel(latency_label)
    if not annotate:
        handles, labels = axes[0][0].get_legend_handles_labels()
        fig.legend(handles, labels, loc='center right', fontsize=8)
    fig.tight_layout(rect=(0, 0, 1 - legend_width / fig.get_figwidth(), 1))
    with atomic_path(path) as partial:
        fig.savefig(partial, dpi=110)
