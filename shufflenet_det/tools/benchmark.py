"""Latency of models measured so that ratios between them are fair: same run,
same thread count, models interleaved round by round (drift hits all alike),
warm-up, then the spread (min / median / max); each engine in a process of
its own."""
import copy
import importlib.util
import os.path as osp
import statistics
import tempfile
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context

import torch
from torch import nn

from ..deploy import onnxruntime_session, openvino_model, optimize_for_inference
from ..deploy.quantize import QUANTIZERS, quantize_model
from ..models import rpn_forward
from .complexity import count_mult_adds

# ShuffleNet v1 paper, Table 8 (one Snapdragon 820 core): ms at 224x224,
# 480x640, 720x1280.
PAPER_TABLE8_MS = {
    'ShuffleNet v1 0.5x g3': (15.2, 87.4, 260.1),
    'ShuffleNet v1 1x g3': (37.8, 222.2, 684.5),
    'ShuffleNet v1 2x g3': (108.8, 617.0, 1857.6),
    'MobileNet v1 1.0': (110.0, 612.0, 1879.2),
}
TABLE8_SIZES = ((224, 224), (480, 640), (720, 1280))
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
ENGINES = ('torch', 'onnxruntime', 'openvino')
# Precisions of the ONNX engines: the exported file, or it quantized to int8
# by one of QUANTIZERS (shufflenet_det.deploy.quantize).
PRECISIONS = ('fp32', 'int8')


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


def latency_rounds(calls, repeats=20, warmup=3, cuda=False):
    """ms of each call after ``warmup`` rounds, the calls interleaved round
    by round. ``calls`` maps a name to a function of no arguments (a model
    on its input: a module, or an ONNX engine's run on an array)."""
    times = {name: [] for name in calls}
    with torch.inference_mode():
        for round_ in range(warmup + repeats):
            for name, call in calls.items():
                start = clock(cuda)
                call()
                if round_ >= warmup:
                    times[name].append(1000 * (clock(cuda) - start))
    return times


def spread(times):
    """(min, median, max) of a list of ms."""
    return min(times), statistics.median(times), max(times)


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
    times = {name: dict(total=[]) if callable(entry) else
             dict(backbone=[], rpn=[], roi_head=[], total=[])
             for name, entry in detectors.items()}
    counts = {}
    with torch.inference_mode():
        for round_ in range(warmup + repeats):
            for name, entry in detectors.items():
                if callable(entry):
                    start = clock()
                    entry()
                    if round_ >= warmup:
                        times[name]['total'].append(1000 * (clock() - start))
                    continue
                model, data = entry
                inputs, samples = data['inputs'], data['data_samples']
                start = clock(inputs.is_cuda)
                features = model.extract_feat(inputs)
                after_backbone = clock(inputs.is_cuda)
                rpn_outs, features = rpn_forward(model, features)
                proposals = model.rpn_head.predict_by_feat(
                    *rpn_outs, batch_img_metas=[s.metainfo for s in samples],
                    rescale=False)
                after_rpn = clock(inputs.is_cuda)
                model.roi_head.predict(features, proposals, samples, rescale=True)
                end = clock(inputs.is_cuda)
                counts[name] = len(proposals[0])
                if round_ >= warmup:
                    for stage, seconds in (('backbone', after_backbone - start),
                                           ('rpn', after_rpn - after_backbone),
                                           ('roi_head', end - after_rpn),
                                           ('total', end - start)):
                        times[name][stage].append(1000 * seconds)
    return times, counts


def missing_engines(engines):
    """The engines of ``engines`` that are not installed here."""
    return [engine for engine in engines
            if engine != 'torch' and importlib.util.find_spec(engine) is None]


def in_own_process(function, *args):
    """``function(*args)`` in a fresh Python process, so that each engine's
    thread pool runs alone (two pools of 2 threads on 2 cores fight)."""
    with ProcessPoolExecutor(1, mp_context=get_context('spawn')) as executor:
        return executor.submit(function, *args).result()


def engine_of(run_as):
    """The engine of a way to run a model: 'torch' for each of MODES, the
    ONNX engine of ``onnx_run_as``'s names."""
    return 'torch' if run_as in MODES else run_as.split(' ')[0]


def onnx_run_as(engine, quantizer=None):
    """How an ONNX engine runs a model: 'onnxruntime' (fp32), 'onnxruntime
    int8/nncf' (quantized by ``quantizer``)."""
    return engine if quantizer is None else f'{engine} int8/{quantizer}'


def is_int8(run_as):
    return ' int8/' in run_as


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
    on an array in ``engine`` ('onnxruntime', or 'openvino' in ``precision``
    f32 or bf16)."""
    if engine == 'onnxruntime':
        session = onnxruntime_session(path, threads)
        name = session.get_inputs()[0].name
        return lambda x: session.run(None, {name: x})
    request = openvino_model(path, threads, precision).create_infer_request()
    return lambda x: request.infer({0: x})


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
        print(f'note: {name}, {onnx_run_as(engine, quantizer)}: failed '
              f'({str(error).strip().splitlines()[-1]}), skipped', flush=True)
        return None
