"""Per-image inference time of the Table 7 detectors (C4 at 300 and 600), the
FPN ones and ThunderNet, ShuffleNet vs MobileNet v1 1.0 and vs what CPU users
pick instead (torchvision's ``fasterrcnn_mobilenet_v3_large_320_fpn``), on
the same image, each resized by its own rule, in PyTorch (eager and with
optimize_for_inference, 'fast'; backbone + neck, RPN and RoI head
separately; torchvision's eager, whole) and exported to ONNX in ONNX Runtime,
OpenVINO and MNN (the whole graph), one process per engine. Random weights with a
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

from ..deploy import ExportableTwoStageDetector, export_detector, export_module
from ..paths import config_path, resource_root
from .benchmark import (Run, add_run_arguments, conv_mult_adds, detector_stage_latency,
                        engines_to_run, fastest, measure_engines, measurements,
                        onnx_calls, plot_latency, prepare, quantizers_to_run,
                        ratio_text, ratios, silence_rpn, write_results)

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


def torchvision_calls(name, engine, image_size, threads):
    """(``{(name, Run): call}``, TorchvisionDetector) of torchvision detector
    ``name`` on one random ``image_size`` image: eager, or its ONNX export."""
    model = TorchvisionDetector(name)
    image = torch.rand(1, 3, *image_size)
    if engine == 'torch':
        return {(name, Run('torch', 'eager')): functools.partial(
            prepare(model, 'eager'), image)}, model
    return onnx_calls(name, functools.partial(export_module, model, image),
                      image.numpy(), engine, threads), model


def time_detectors(engine, configs, modes, image_size, threads, repeats, warmup,
                   device, quantizers=(None, ), counted=()):
    """In one process (see ``measure_engines``): a Measurement per (config,
    how it runs), by stage in PyTorch (only the total in an ONNX engine and
    for torchvision's), with the input shape (resized, padded) and the
    proposals the RoI head got (torch); and the GMAC of the models not
    ``counted`` yet (of the graph the ONNX engines run). An ONNX engine runs
    our fp32 export (``None`` in ``quantizers``) and it quantized by each
    quantizer, calibrated on random images."""
    torch.set_num_threads(threads)
    register_all_modules()
    calls, shapes, gmacs = {}, {}, {}
    for config in configs:
        if config.startswith('torchvision:'):
            config_calls, model = torchvision_calls(config, engine, image_size,
                                                    threads)
            calls.update(config_calls)
            shapes[config] = model.input_shape(torch.zeros(1, 3, *image_size))

            def count():
                return conv_mult_adds(model, image_size)
        else:
            cfg = Config.fromfile(config_path(config))
            # init_weights() not called: no checkpoints
            model = silence_rpn(MODELS.build(cfg.model)).to(device).eval()
            data = one_image(model, cfg, image_size)
            shape = shapes[config] = tuple(data['inputs'].shape[-2:])

            def count():  # the graph the ONNX engines run
                return conv_mult_adds(ExportableTwoStageDetector(model, shape), shape)
            if engine == 'torch':
                calls.update({(config, Run('torch', mode)): (prepare(model, mode), data)
                              for mode in modes})
            else:  # the file tools/export_onnx.py writes, on a BGR 0-255 image
                bgr = (torch.rand(1, 3, *shape) * 255).numpy()
                calibration = [(torch.rand(1, 3, *shape) * 255).numpy()
                               for _ in range(4)]
                calls.update(onnx_calls(
                    config, functools.partial(export_detector, model, shape), bgr,
                    engine, threads, quantizers, calibration))
        if config not in counted:
            with torch.no_grad():
                gmacs[config] = count()
    times, proposals = detector_stage_latency(calls, repeats, warmup)
    records = measurements(times)
    for record in records:
        record.columns.update(input=shapes[record.model],
                              proposals=proposals.get((record.model, record.run)))
    return records, gmacs


def group_of(config):
    """Configs compared with each other: same head and test scale
    (faster-rcnn_<backbone>_<head and schedule>_<data>.py)."""
    return osp.basename(config).split('_', 2)[2]


def label(config):
    """A model's name in the tables: its config's file name, or torchvision's."""
    return config.split(':', 1)[1] if ':' in config else osp.basename(config)[:-3]


def print_table(records, args):
    print(f'{args.device}, threads {args.threads}, one {args.image_size[0]}x'
          f'{args.image_size[1]} image resized by each model\'s own rule, '
          f'{args.repeats} rounds after {args.warmup} warm-up; stage columns are '
          'medians; GMAC: conv + FC mult-adds of the whole detector\n\n'
          '| model | runs as | input | GMAC | proposals | backbone ms | RPN ms | '
          'RoI head ms | total ms min / median / max | ratio to fastest '
          'MobileNet v1 1.0 (same precision) |\n'
          '|---|---|---|---|---|---|---|---|---|---|')
    for record, ratio in zip(records, ratios(
            records, lambda record: BASELINE in record.model,
            lambda record: (group_of(record.model), record.run.precision))):
        shape, proposals = record.columns['input'], record.columns['proposals']
        stages = [f'{record.stages[stage]:.1f}' if stage in record.stages else '-'
                  for stage in STAGES]
        print(f'| {label(record.model)} | {record.run} | {shape[0]}x{shape[1]} | '
              f'{record.columns["gmac"]:.2f} | '
              f'{"-" if proposals is None else proposals} | {" | ".join(stages)} | '
              f'{record.ms} | {ratio_text(ratio)} |')


def plot(records, path):
    """Best fp32 median ms (bars: min to max) against published COCO AP."""
    points = []
    for config, ap in PUBLISHED_AP.items():
        best = fastest(records, lambda record: record.model == config
                       and record.run.precision == 'fp32')
        if best is not None:
            family = 'torchvision' if ':' in config else config.split('/')[0]
            points.append((f'{label(config)} ({best.run.engine})', ap, best.ms,
                           {'thundernet': 'o', 'torchvision': 's'}.get(family, '^')))
    plot_latency(path, {'': points}, 'COCO box AP, published (not measured here)',
                 latency_on_x=True, annotate=True)


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
    records, gmacs = measure_engines(
        time_detectors, engines_to_run(parser, args), args.configs,
        tuple(args.modes), tuple(args.image_size), args.threads, args.repeats,
        args.warmup, args.device, quantizers_to_run(args))
    for record in records:
        record.columns['gmac'] = gmacs[record.model]
    print_table(records, args)
    if args.json:
        write_results(args.json, records, tool='benchmark_detector',
                      device=args.device, threads=args.threads,
                      image_size=args.image_size)
    if args.plot:
        plot(records, args.plot)
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
