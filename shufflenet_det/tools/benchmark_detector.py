"""Per-image inference time of the Table 7 detectors (C4 at 300 and 600) and
the FPN ones, ShuffleNet vs MobileNet v1 1.0, on the same image, in PyTorch
(eager and with optimize_for_inference, 'fast'; backbone + neck, RPN and
RoI head separately) and exported to ONNX in ONNX Runtime and OpenVINO (the
whole graph), one process per engine. Random weights with a silenced RPN
(``silence_rpn``): every detector with the same anchors does the same RPN
and RoI-head work (``tools/benchmark_detector.py``)."""
import argparse
import functools
import glob
import os.path as osp
import warnings

import mmcv
import torch
from mmdet.registry import MODELS
from mmdet.testing import demo_mm_inputs
from mmdet.utils import register_all_modules
from mmengine.config import Config

from ..deploy import export_detector
from ..paths import config_path, resource_root
from .benchmark import (add_run_arguments, detector_stage_latency, engines_to_run,
                        in_own_process, int8_runner_or_note, is_int8, latency_rounds,
                        onnx_run_as, prepare, quantizers_to_run, silence_rpn, spread)

CONFIG_DIR = osp.join(resource_root(), 'configs')
DEFAULT_CONFIGS = sorted(
    osp.relpath(path, CONFIG_DIR)
    for pattern in ('*/*c4-1x_coco-*.py', '*/*fpn-1x_coco-600.py')
    for path in glob.glob(osp.join(CONFIG_DIR, pattern))
    if 'shufflenet_v2' not in path or 'fpn' in path)
BASELINE = 'mobilenet-v1-1.0'
# the speed target: (config, reference config, at most), best engine each
TARGET = ('shufflenet_v1/faster-rcnn_shufflenet-v1-1x-g3_c4-1x_coco-600.py',
          'mobilenet_v1/faster-rcnn_mobilenet-v1-1.0_c4-1x_coco-600.py', 0.6)
# int8 (issue 20): the ShuffleNet 600 detectors, best int8 / best fp32 at most
INT8_TARGET = 0.6
STAGES = ('backbone', 'rpn', 'roi_head')
# mmengine imports pkg_resources once per config file it reads
warnings.filterwarnings('ignore', message='pkg_resources is deprecated')


def resize_scale(cfg):
    """The (long, short) scale of the config's test-time Resize."""
    for step in cfg.test_dataloader.dataset.pipeline:
        if step['type'] == 'Resize':
            return step['scale']
    raise ValueError('the config has no Resize step in its test pipeline')


def one_image(model, cfg, image_size):
    """``image_size`` (h, w) resized as the config's test pipeline would,
    through the model's data preprocessor."""
    width, height = mmcv.rescale_size(image_size[::-1], resize_scale(cfg))
    packed = demo_mm_inputs(batch_size=1, image_shapes=[(3, height, width)],
                            num_items=[1])
    return model.data_preprocessor(packed, training=False)


def time_detectors(engine, configs, modes, image_size, threads, repeats, warmup,
                   device, quantizers=(None, )):
    """In one process (see ``in_own_process``): per (config, runs as), the
    ms of every round per stage (only ``total`` in an ONNX engine), the
    proposals the RoI head got (torch) and the input shape (resized,
    padded). An ONNX engine runs the fp32 export (``None`` in
    ``quantizers``) and it quantized by each quantizer, calibrated on random
    images."""
    torch.set_num_threads(threads)
    register_all_modules()
    detectors, runners, info = {}, {}, {}
    for config in configs:
        cfg = Config.fromfile(config_path(config))
        # init_weights() not called: no checkpoints
        model = silence_rpn(MODELS.build(cfg.model)).to(device).eval()
        data = one_image(model, cfg, image_size)
        shape = tuple(data['inputs'].shape[-2:])
        if engine == 'torch':
            for mode in modes:
                detectors[(config, mode)] = (prepare(model, mode), data)
                info[(config, mode)] = dict(shape=shape)
        else:
            # the file tools/export_onnx.py writes, on a BGR 0-255 image
            image = (torch.rand(1, 3, *shape) * 255).numpy()
            calibration = [(torch.rand(1, 3, *shape) * 255).numpy() for _ in range(4)]
            for quantizer in quantizers:
                runner = int8_runner_or_note(
                    config, functools.partial(export_detector, model, shape), engine,
                    threads, quantizer, calibration)
                if runner is None:
                    continue
                key = (config, onnx_run_as(engine, quantizer))
                runners[key] = functools.partial(runner, image)
                info[key] = dict(shape=shape)
    if engine == 'torch':
        times, counts = detector_stage_latency(detectors, repeats, warmup)
        for key, count in counts.items():
            info[key]['proposals'] = count
    else:
        times = {key: dict(total=ms) for key, ms in
                 latency_rounds(runners, repeats, warmup).items()}
    return times, info


def group_of(config):
    """Configs compared with each other: same head and test scale
    (faster-rcnn_<backbone>_<head and schedule>_<data>.py)."""
    return osp.basename(config).split('_', 2)[2]


def fastest_baselines(totals):
    """Per (group, int8), the median ms of its fastest MobileNet v1 1.0
    entry of that precision."""
    best = {}
    for (config, run_as), (_, median, _) in totals.items():
        if BASELINE in config:
            group = (group_of(config), is_int8(run_as))
            best[group] = min(median, best.get(group, float('inf')))
    return best


def print_table(times, info, totals, args):
    print(f'{args.device}, threads {args.threads}, one {args.image_size[0]}x'
          f'{args.image_size[1]} image resized by each config, {args.repeats} rounds '
          f'after {args.warmup} warm-up; stage columns are medians\n\n'
          '| config | runs as | input | proposals | backbone ms | RPN ms | '
          'RoI head ms | total ms min / median / max | ratio to fastest '
          'MobileNet v1 1.0 (same precision) |\n|---|---|---|---|---|---|---|---|---|')
    baselines = fastest_baselines(totals)
    for (config, run_as), stages in times.items():
        shape = info[(config, run_as)]['shape']
        proposals = info[(config, run_as)].get('proposals', '-')
        columns = [f'{spread(stages[s])[1]:.1f}' if s in stages else '-'
                   for s in STAGES]
        low, median, high = totals[(config, run_as)]
        group = (group_of(config), is_int8(run_as))
        ratio = median / baselines[group] if group in baselines else None
        print(f'| {osp.basename(config)[:-3]} | {run_as} | {shape[0]}x{shape[1]} | '
              f'{proposals} | {" | ".join(columns)} | {low:.1f} / {median:.1f} / '
              f'{high:.1f} | {"-" if ratio is None else f"{ratio:.2f}"} |')


def best_median(totals, config, int8):
    """The fastest median ms of ``config`` in that precision, or None."""
    return min((median for (c, run_as), (_, median, _) in totals.items()
                if c == config and is_int8(run_as) == int8), default=None)


def print_target(totals):
    """The fp32 target (TARGET), then INT8_TARGET for every ShuffleNet 600
    detector timed in int8."""
    config, reference, target = TARGET
    best = {name: best_median(totals, name, False) for name in (config, reference)}
    label = (f'{osp.basename(config)[:-3]} / {osp.basename(reference)[:-3]}, '
             'best engine each')
    if None in best.values():
        print(f'\ntarget: {label}: not measured')
    else:
        ratio = best[config] / best[reference]
        verdict = 'met' if ratio <= target else 'MISSED'
        print(f'\ntarget: {label}: {ratio:.2f} (target <= {target:.2f}) {verdict}')
    for config in dict.fromkeys(c for c, run_as in totals if is_int8(run_as)):
        if 'shufflenet' not in config or not config.endswith('-600.py'):
            continue
        int8, fp32 = (best_median(totals, config, int8) for int8 in (True, False))
        label = f'{osp.basename(config)[:-3]} int8 / fp32, best engine each'
        if fp32 is None:
            print(f'int8 target: {label}: not measured')
            continue
        ratio = int8 / fp32
        verdict = 'met' if ratio <= INT8_TARGET else 'MISSED'
        print(f'int8 target: {label}: {ratio:.2f} (target <= {INT8_TARGET:.2f}) '
              f'{verdict}')


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('configs', nargs='*', default=DEFAULT_CONFIGS,
                        help='paths under configs/ (default: Table 7 C4 + FPN)')
    add_run_arguments(parser, repeats=5, warmup=1)
    parser.add_argument('--image-size', type=int, nargs=2, default=(480, 640),
                        metavar=('H', 'W'), help='before the test-time resize')
    parser.add_argument('--modes', nargs='+', default=['eager', 'fast'],
                        choices=['eager', 'fast'], help='how PyTorch runs them')
    args = parser.parse_args()
    for config in args.configs:
        try:
            config_path(config)
        except FileNotFoundError as error:
            parser.error(str(error))
    times, info = {}, {}
    for engine in engines_to_run(parser, args):
        engine_times, engine_info = in_own_process(
            time_detectors, engine, args.configs, tuple(args.modes),
            tuple(args.image_size), args.threads, args.repeats, args.warmup,
            args.device, quantizers_to_run(args))
        times.update(engine_times)
        info.update(engine_info)
    totals = {key: spread(stages['total']) for key, stages in times.items()}
    print_table(times, info, totals, args)
    print_target(totals)
