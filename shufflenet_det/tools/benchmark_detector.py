"""Per-image inference time of the Table 7 detectors (C4 at 300 and 600), the
FPN ones and ThunderNet, ShuffleNet vs MobileNet v1 1.0 and vs what CPU users
pick instead (torchvision's ``fasterrcnn_mobilenet_v3_large_320_fpn``), on
the same image, each resized by its own rule, in PyTorch (eager and with
optimize_for_inference, 'fast'; backbone + neck, RPN and RoI head
separately; torchvision's eager, whole) and exported to ONNX in ONNX Runtime
and OpenVINO (the whole graph), one process per engine. Random weights with a
silenced RPN (``silence_rpn``): every detector with the same anchors does the
same RPN and RoI-head work. Whole-detector conv + FC mult-adds are counted
on the exported graph's forward (``tools/benchmark_detector.py``)."""
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
from torch import Tensor, nn

from ..atomic import atomic_path
from ..deploy import ExportableTwoStageDetector, export_detector, export_module
from ..paths import config_path, resource_root
from .benchmark import (add_run_arguments, conv_mult_adds, detector_stage_latency,
                        engine_of, engines_to_run, in_own_process, int8_runner_or_note,
                        is_int8, onnx_run_as, onnx_runner, prepare, quantizers_to_run,
                        silence_rpn, spread)

CONFIG_DIR = osp.join(resource_root(), 'configs')
# What CPU users pick instead: torchvision's builder, run as its users do.
TORCHVISION = 'torchvision:fasterrcnn_mobilenet_v3_large_320_fpn'
DEFAULT_CONFIGS = sorted(
    osp.relpath(path, CONFIG_DIR)
    for pattern in ('*/*c4-1x_coco-*.py', '*/*fpn-1x_coco-600.py',
                    'thundernet/thundernet_snet*.py')
    for path in glob.glob(osp.join(CONFIG_DIR, pattern))
    if 'shufflenet_v2' not in path or 'fpn' in path) + [TORCHVISION]
BASELINE = 'mobilenet-v1-1.0'
SNET146 = 'thundernet/thundernet_snet146_cem-80e_coco-320.py'
# the small-object ThunderNet (stride 8, issue 27)
SNET146_S8 = 'thundernet/thundernet_snet146_cem-s8-80e_coco-320.py'
# the speed targets: (model, reference, at most), best engine each
TARGETS = (
    ('shufflenet_v1/faster-rcnn_shufflenet-v1-1x-g3_c4-1x_coco-600.py',
     'mobilenet_v1/faster-rcnn_mobilenet-v1-1.0_c4-1x_coco-600.py', 0.6),
    (SNET146, TORCHVISION, 0.35),
    ('thundernet/thundernet_snet49_cem-80e_coco-320.py', TORCHVISION, 0.2),
    (SNET146, 'shufflenet_v1/faster-rcnn_shufflenet-v1-1x-g3_c4-1x_coco-300.py', 0.1),
    (SNET146_S8, TORCHVISION, 0.5),
)
# Published COCO box AP (val2017 for torchvision and Table 7's minival,
# test-dev for ThunderNet; ThunderNet SNet535's is unverified), for the plot.
PUBLISHED_AP = {
    'thundernet/thundernet_snet49_cem-80e_coco-320.py': 19.1,
    SNET146: 23.6,
    'thundernet/thundernet_snet535_cem-80e_coco-320.py': 28.0,
    'shufflenet_v1/faster-rcnn_shufflenet-v1-1x-g3_c4-1x_coco-300.py': 14.5,
    'shufflenet_v1/faster-rcnn_shufflenet-v1-1x-g3_c4-1x_coco-600.py': 19.8,
    'shufflenet_v1/faster-rcnn_shufflenet-v1-2x-g3_c4-1x_coco-300.py': 18.7,
    'shufflenet_v1/faster-rcnn_shufflenet-v1-2x-g3_c4-1x_coco-600.py': 25.0,
    'mobilenet_v1/faster-rcnn_mobilenet-v1-1.0_c4-1x_coco-300.py': 16.4,
    'mobilenet_v1/faster-rcnn_mobilenet-v1-1.0_c4-1x_coco-600.py': 19.8,
    TORCHVISION: 22.8,
}
# int8 (issue 20): the ShuffleNet 600 detectors and ThunderNet, best int8 /
# best fp32 at most
INT8_TARGET = 0.6
STAGES = ('backbone', 'rpn', 'roi_head')
# mmengine imports pkg_resources once per config file it reads
warnings.filterwarnings('ignore', message='pkg_resources is deprecated')


def resized(image_size, cfg):
    """(h, w) of an ``image_size`` image after the config's test-time Resize:
    kept aspect ratio within its (w, h) scale, or exactly that scale."""
    for step in cfg.test_dataloader.dataset.pipeline:
        if step['type'] == 'Resize':
            if not step.get('keep_ratio', False):
                return tuple(step['scale'][::-1])
            width, height = mmcv.rescale_size(image_size[::-1], step['scale'])
            return height, width
    raise ValueError('the config has no Resize step in its test pipeline')


class TorchvisionDetector(nn.Module):
    """A torchvision detection model as its users run it (its own resize
    and normalisation inside), on one ``[1, 3, H, W]`` RGB image in [0, 1]:
    boxes, scores, labels. Also the module its ONNX export traces."""

    def __init__(self, name: str):
        super().__init__()
        import torchvision
        builder = getattr(torchvision.models.detection, name.split(':', 1)[1])
        self.model = silence_rpn(builder(weights=None, weights_backbone=None))
        # the wrapper too: torch.onnx.export restores each module's mode
        self.eval()

    def forward(self, image: Tensor):
        (result, ) = self.model(list(image))
        return result['boxes'], result['scores'], result['labels']

    def input_shape(self, image: Tensor):
        """(H, W) of the batch its transform makes (resized, padded)."""
        return tuple(self.model.transform(list(image))[0].tensors.shape[-2:])


def one_image(model, cfg, image_size):
    """``image_size`` (h, w) resized as the config's test pipeline would,
    through the model's data preprocessor."""
    height, width = resized(image_size, cfg)
    packed = demo_mm_inputs(batch_size=1, image_shapes=[(3, height, width)],
                            num_items=[1])
    return model.data_preprocessor(packed, training=False)


def torchvision_call(name, engine, image_size, threads):
    """(eager call or ONNX runner, TorchvisionDetector) of torchvision
    detector ``name`` on one random ``image_size`` image."""
    model = TorchvisionDetector(name)
    image = torch.rand(1, 3, *image_size)
    if engine == 'torch':
        return functools.partial(prepare(model, 'eager'), image), model
    runner = onnx_runner(functools.partial(export_module, model, image), engine,
                         threads)
    return functools.partial(runner, image.numpy()), model


def time_detectors(engine, configs, modes, image_size, threads, repeats, warmup,
                   device, counted=(), quantizers=(None, )):
    """In one process (see ``in_own_process``): per (config, runs as), the
    ms of every round per stage (only ``total`` in an ONNX engine and for
    torchvision's), the proposals the RoI head got (torch) and the input
    shape (resized, padded); and the GMAC of the models not ``counted`` yet
    (of the graph the ONNX engines run). An ONNX engine runs our fp32 export
    (``None`` in ``quantizers``) and it quantized by each quantizer,
    calibrated on random images."""
    torch.set_num_threads(threads)
    register_all_modules()
    calls, info, gmacs = {}, {}, {}
    for config in configs:
        if config.startswith('torchvision:'):
            call, model = torchvision_call(config, engine, image_size, threads)
            calls[(config, 'eager' if engine == 'torch' else engine)] = call
            shape = model.input_shape(torch.zeros(1, 3, *image_size))

            def count():
                return conv_mult_adds(model, image_size)
        else:
            cfg = Config.fromfile(config_path(config))
            # init_weights() not called: no checkpoints
            model = silence_rpn(MODELS.build(cfg.model)).to(device).eval()
            data = one_image(model, cfg, image_size)
            shape = tuple(data['inputs'].shape[-2:])

            def count():  # the graph the ONNX engines run
                return conv_mult_adds(ExportableTwoStageDetector(model, shape), shape)
            if engine == 'torch':
                calls.update({(config, mode): (prepare(model, mode), data)
                              for mode in modes})
            else:  # the file tools/export_onnx.py writes, on a BGR 0-255 image
                bgr = (torch.rand(1, 3, *shape) * 255).numpy()
                calibration = [(torch.rand(1, 3, *shape) * 255).numpy()
                               for _ in range(4)]
                for quantizer in quantizers:
                    runner = int8_runner_or_note(
                        config, functools.partial(export_detector, model, shape),
                        engine, threads, quantizer, calibration)
                    if runner is not None:
                        calls[(config, onnx_run_as(engine, quantizer))] = \
                            functools.partial(runner, bgr)
        info.update({key: dict(shape=shape) for key in calls if key[0] == config})
        if config not in counted:
            with torch.no_grad():
                gmacs[config] = count()
    times, proposals = detector_stage_latency(calls, repeats, warmup)
    for key, number in proposals.items():
        info[key]['proposals'] = number
    return times, info, gmacs


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


def label(config):
    """A model's name in the tables: its config's file name, or torchvision's."""
    return config.split(':', 1)[1] if ':' in config else osp.basename(config)[:-3]


def print_table(times, info, totals, gmacs, args):
    print(f'{args.device}, threads {args.threads}, one {args.image_size[0]}x'
          f'{args.image_size[1]} image resized by each model\'s own rule, '
          f'{args.repeats} rounds after {args.warmup} warm-up; stage columns are '
          'medians; GMAC: conv + FC mult-adds of the whole detector\n\n'
          '| model | runs as | input | GMAC | proposals | backbone ms | RPN ms | '
          'RoI head ms | total ms min / median / max | ratio to fastest '
          'MobileNet v1 1.0 (same precision) |\n'
          '|---|---|---|---|---|---|---|---|---|---|')
    baselines = fastest_baselines(totals)
    for (config, run_as), stages in times.items():
        shape = info[(config, run_as)]['shape']
        proposals = info[(config, run_as)].get('proposals', '-')
        columns = [f'{spread(stages[s])[1]:.1f}' if s in stages else '-'
                   for s in STAGES]
        low, median, high = totals[(config, run_as)]
        group = (group_of(config), is_int8(run_as))
        ratio = median / baselines[group] if group in baselines else None
        print(f'| {label(config)} | {run_as} | {shape[0]}x{shape[1]} | '
              f'{gmacs[config]:.2f} | {proposals} | {" | ".join(columns)} | '
              f'{low:.1f} / {median:.1f} / {high:.1f} | '
              f'{"-" if ratio is None else f"{ratio:.2f}"} |')


def has_int8_target(config):
    """Whether INT8_TARGET applies: the 600 ShuffleNet detectors and every
    ThunderNet."""
    return (osp.basename(config).startswith('thundernet')
            or ('shufflenet' in config and config.endswith('-600.py')))


def best_engine(totals, config, int8=False):
    """(runs as, median ms) of ``config``'s fastest way to run in that
    precision, or None."""
    return min(((run_as, median) for (c, run_as), (_, median, _) in totals.items()
                if c == config and is_int8(run_as) == int8),
               key=lambda item: item[1], default=None)


def print_targets(totals):
    print()
    for config, reference, target in TARGETS:
        name = f'{label(config)} / {label(reference)}, best engine each'
        best, base = best_engine(totals, config), best_engine(totals, reference)
        if best is None or base is None:
            print(f'target: {name}: not measured')
            continue
        ratio = best[1] / base[1]
        verdict = 'met' if ratio <= target else 'MISSED'
        print(f'target: {name} ({best[0]} {best[1]:.1f} ms / {base[0]} '
              f'{base[1]:.1f} ms): {ratio:.2f} (target <= {target:.2f}) {verdict}')
    for config in dict.fromkeys(c for c, run_as in totals if is_int8(run_as)):
        if not has_int8_target(config):
            continue
        int8, fp32 = (best_engine(totals, config, int8) for int8 in (True, False))
        name = f'{label(config)} int8 / fp32, best engine each'
        if fp32 is None:
            print(f'int8 target: {name}: not measured')
            continue
        ratio = int8[1] / fp32[1]
        verdict = 'met' if ratio <= INT8_TARGET else 'MISSED'
        print(f'int8 target: {name}: {ratio:.2f} (target <= {INT8_TARGET:.2f}) '
              f'{verdict}')


def plot(totals, path):
    """Best-engine median ms (bars: min to max) against published COCO AP."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(7.5, 4.8))
    for config, ap in PUBLISHED_AP.items():
        best = best_engine(totals, config)
        if best is None:
            continue
        low, median, high = totals[(config, best[0])]
        family = 'torchvision' if ':' in config else config.split('/')[0]
        ax.errorbar(median, ap, xerr=[[median - low], [high - median]], capsize=3,
                    fmt={'thundernet': 'o', 'torchvision': 's'}.get(family, '^'))
        ax.annotate(f'{label(config)} ({engine_of(best[0])})', (median, ap),
                    fontsize=7, xytext=(4, 3), textcoords='offset points')
    ax.set(xscale='log', xlabel='ms per image, best engine (median; bars min-max)',
           ylabel='COCO box AP, published (not measured here)')
    ax.grid(alpha=0.3)
    fig.tight_layout()
    with atomic_path(path) as partial:
        fig.savefig(partial, dpi=110)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('configs', nargs='*', default=DEFAULT_CONFIGS,
                        help='paths under configs/, or torchvision:<detection '
                        'builder> (default: Table 7 C4, FPN, ThunderNet and '
                        f'{TORCHVISION})')
    add_run_arguments(parser, repeats=5, warmup=1)
    parser.add_argument('--image-size', type=int, nargs=2, default=(480, 640),
                        metavar=('H', 'W'), help='before the test-time resize')
    parser.add_argument('--modes', nargs='+', default=['eager', 'fast'],
                        choices=['eager', 'fast'], help='how PyTorch runs ours')
    parser.add_argument('--plot', help='also draw latency against published COCO '
                        'AP to this PNG')
    args = parser.parse_args()
    for config in args.configs:
        try:
            check_model_name(config)
        except (FileNotFoundError, ValueError) as error:
            parser.error(str(error))
    times, info, gmacs = {}, {}, {}
    for engine in engines_to_run(parser, args):
        engine_times, engine_info, engine_gmacs = in_own_process(
            time_detectors, engine, args.configs, tuple(args.modes),
            tuple(args.image_size), args.threads, args.repeats, args.warmup,
            args.device, tuple(gmacs), quantizers_to_run(args))
        times.update(engine_times)
        info.update(engine_info)
        gmacs.update(engine_gmacs)
    totals = {key: spread(stages['total']) for key, stages in times.items()}
    print_table(times, info, totals, gmacs, args)
    print_targets(totals)
    if args.plot:
        plot(totals, args.plot)
        print(f'plot: {args.plot}')


def check_model_name(config):
    """A config under configs/ or a torchvision detection builder, else a
    FileNotFoundError / ValueError naming it and what is allowed."""
    if not config.startswith('torchvision:'):
        config_path(config)
        return
    import torchvision
    name = config.split(':', 1)[1]
    builders = [n for n in dir(torchvision.models.detection)
                if n.startswith('fasterrcnn_')]
    if name not in builders:
        raise ValueError(f'{config}: torchvision has no such detection model; '
                         f'allowed: torchvision:' + ', torchvision:'.join(builders))
