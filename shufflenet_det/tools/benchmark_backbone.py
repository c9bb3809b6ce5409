"""Backbone latency at the ShuffleNet v1 paper's Table 8 sizes (224x224,
480x640, 720x1280), batch 1, fp32 (and int8 in the ONNX engines, with
--precision fp32 int8), a fixed thread count, in PyTorch and in the ONNX
engines, one process per engine, the models of an engine interleaved.
Prints ms (min / median / max), achieved GMAC/s and each model's ratio to
the fastest MobileNet v1 of its precision measured (any engine, any mode)
beside the paper's; with --profile, where ShuffleNet v1 1x g3 spends its
time (``tools/benchmark_backbone.py``)."""
import argparse
import functools
import os.path as osp

import torch
from mmdet.registry import MODELS
from mmdet.utils import register_all_modules

from ..deploy import densify_grouped_convs, export_module
from .benchmark import (ENGINES, MODES, Run, add_run_arguments, conv_mult_adds,
                        engines_to_run, fastest, latency_rounds, measure_engines,
                        measurements, onnx_calls, plot_latency, prepare,
                        quantizers_to_run, ratio_text, ratios, write_results)

# ShuffleNet v1 paper, Table 8 (one Snapdragon 820 core): ms at 224x224,
# 480x640, 720x1280.
PAPER_TABLE8_MS = {
    'ShuffleNet v1 0.5x g3': (15.2, 87.4, 260.1),
    'ShuffleNet v1 1x g3': (37.8, 222.2, 684.5),
    'ShuffleNet v1 2x g3': (108.8, 617.0, 1857.6),
    'MobileNet v1 1.0': (110.0, 612.0, 1879.2),
}
TABLE8_SIZES = ((224, 224), (480, 640), (720, 1280))
BASELINE = 'MobileNet v1 1.0'
DENSE = ' dense'  # suffix of a ShuffleNet v1 run with densify_grouped_convs
# Each returns only its last stage, as the classifiers the papers timed.
BACKBONES = {
    **{f'ShuffleNet v1 {w:g}x g3': dict(type='ShuffleNetV1', groups=3, widen_factor=w,
                                        out_indices=(2, ))
       for w in (0.5, 1.0, 2.0)},
    **{f'ShuffleNet v2 {w:g}x': dict(type='ShuffleNetV2', widen_factor=w,
                                     out_indices=(3, ))
       for w in (0.5, 1.0, 1.5, 2.0)},
    BASELINE: dict(type='MobileNetV1', widen_factor=1.0, out_indices=(4, )),
    'mmdet MobileNetV2 1.0': dict(type='MobileNetV2', out_indices=(7, )),
}
MMPRETRAIN_V1 = 'mmpretrain ShuffleNetV1 1x g3'
TIMM_MOBILENET = 'timm mobilenetv1_100'


def variants(engine, names, modes, dense=False):
    """(name, model, PyTorch modes) to time in ``engine``: ours (``names``,
    always with the baseline) in ``modes`` or in the ONNX engine; in torch
    also our MobileNet v1 through TorchScript and the peers when installed
    (test-only dependencies) - the candidates for the fastest MobileNet v1.
    With ``dense``, an ONNX engine also runs each ShuffleNet v1 as
    '{name} dense' (``densify_grouped_convs``: dense 1x1 convs, no shuffle)."""
    names = list(dict.fromkeys([*names, BASELINE]))
    if engine != 'torch':
        found = [(name, MODELS.build(BACKBONES[name]), ()) for name in names]
        return found + [
            (f'{name}{DENSE}', densify_grouped_convs(MODELS.build(BACKBONES[name])),
             ()) for name in names if dense and 'ShuffleNetV1' in
            BACKBONES[name]['type']]
    found = [(name, MODELS.build(BACKBONES[name]), modes) for name in names]
    if 'torchscript' not in modes:
        found.append((BASELINE, MODELS.build(BACKBONES[BASELINE]), ('torchscript', )))
    try:
        from mmpretrain.models.backbones import ShuffleNetV1
        found.append((MMPRETRAIN_V1, ShuffleNetV1(groups=3), ('eager', 'fast')))
    except ImportError:
        pass
    try:
        import timm

        # its BatchNormAct2d holds the ReLU, so mmcv's folding does not apply
        found.append((TIMM_MOBILENET, timm.create_model(
            'mobilenetv1_100', features_only=True, out_indices=(4, )),
            ('eager', 'channels_last', 'torchscript')))
    except ImportError:
        pass
    return found


def time_backbones(engine, names, modes, sizes, threads, repeats, warmup, device,
                   quantizers=(None, ), dense=False, counted=()):
    """In one process (see ``measure_engines``): a Measurement per size and
    (model, how it runs), and the GMAC per size of the models not
    ``counted`` yet. An ONNX engine runs the fp32 export (``None`` in
    ``quantizers``) and it quantized by each quantizer, calibrated on random
    inputs (the speed does not depend on them)."""
    torch.set_num_threads(threads)
    register_all_modules()
    found = variants(engine, names, modes, dense)
    for _, model, _ in found:
        model.eval()  # some train() overrides (mmdet's MobileNetV2) return None
    gmacs = {name: {size: conv_mult_adds(model, size) for size in sizes}
             for name, model, _ in found if name not in counted}
    records = []
    for size in sizes:
        x = torch.randn(1, 3, *size, device=device)
        calibration = [torch.randn(1, 3, *size).numpy() for _ in range(4)]
        calls = {}
        for name, model, model_modes in found:
            if engine == 'torch':
                calls.update({(name, Run('torch', mode)): functools.partial(
                    prepare(model, mode, x).to(device), x) for mode in model_modes})
                continue
            calls.update(onnx_calls(name, functools.partial(export_module, model, x),
                                    x.numpy(), engine, threads, quantizers,
                                    calibration))
        for record in measurements(latency_rounds(calls, repeats, warmup,
                                                  cuda=x.is_cuda)):
            record.columns['size'] = size
            records.append(record)
    return records, gmacs


def is_mobilenet_v1(name):
    return name in (BASELINE, TIMM_MOBILENET)


def print_table(size, records):
    """The figures at ``size``: each record's ms, GMAC/s and ratio to the
    fastest MobileNet v1 of its precision, beside the paper's ratio."""
    paper_index = TABLE8_SIZES.index(size) if size in TABLE8_SIZES else None
    print(f'\n{size[0]}x{size[1]}\n| model | runs as | ms min / median / max '
          f'| GMAC/s | ratio to fastest MobileNet v1 (same precision) | paper ratio |'
          '\n|---|---|---|---|---|---|')
    for record, ratio in zip(records, ratios(
            records, lambda record: is_mobilenet_v1(record.model))):
        paper = PAPER_TABLE8_MS.get(record.model)
        paper_ratio = '-'
        if paper and record.model != BASELINE and paper_index is not None:
            baseline = PAPER_TABLE8_MS[BASELINE][paper_index]
            paper_ratio = f'{paper[paper_index] / baseline:.2f}'
        print(f'| {record.model} | {record.run} | {record.ms} | '
              f'{record.columns["gmac"] / record.ms.median * 1000:.1f} | '
              f'{ratio_text(ratio)} | {paper_ratio} |')


def profile_shufflenet(size, threads_note):
    """Self time by operator of ShuffleNet v1 1x g3 (fast) at ``size``."""
    from torch.profiler import ProfilerActivity, profile
    model = prepare(MODELS.build(BACKBONES['ShuffleNet v1 1x g3']), 'fast')
    x = torch.randn(1, 3, *size)
    with torch.inference_mode():
        for _ in range(3):
            model(x)
        with profile(activities=[ProfilerActivity.CPU]) as prof:
            for _ in range(10):
                model(x)
    events = prof.key_averages()
    total = sum(event.self_cpu_time_total for event in events)
    print(f'\nprofile: ShuffleNet v1 1x g3 (fast), {size[0]}x{size[1]}, '
          f'{threads_note}, share of self CPU time')
    for event in sorted(events, key=lambda event: -event.self_cpu_time_total)[:8]:
        print(f'- {event.key}: {100 * event.self_cpu_time_total / total:.1f} %')


def marker(name):
    """Squares for MobileNet v1, circles for ShuffleNet v1, triangles for v2."""
    for prefix, shape in (('ShuffleNet v1', 'o'), ('ShuffleNet v2', '^')):
        if name.startswith(prefix):
            return shape
    return 's' if is_mobilenet_v1(name) else 'D'


def plot(records, size, path):
    """Median ms (bars: min to max) against MFLOPs at ``size``, one panel per
    engine (each model's fastest mode or precision there)."""
    panels = {}
    for engine in ENGINES:
        points = []
        for name in dict.fromkeys(record.model for record in records):
            best = fastest(records, lambda record: record.model == name and
                           record.run.engine == engine)
            if best is not None:
                points.append((name, best.columns['gmac'] * 1000, best.ms,
                               marker(name)))
        if points:
            panels[f'{engine}, {size[0]}x{size[1]}'] = points
    plot_latency(path, panels, 'MFLOPs (mult-adds)')


def parse_size(text):
    try:
        height, width = (int(side) for side in text.split('x'))
    except ValueError:
        raise argparse.ArgumentTypeError(f'size {text!r}: allowed: HxW, e.g. 480x640')
    return height, width


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    add_run_arguments(parser, repeats=20, warmup=3)
    parser.add_argument('--modes', nargs='+', default=['eager', 'fast'],
                        choices=MODES, help='how PyTorch runs our backbones')
    parser.add_argument('--models', nargs='+', default=list(BACKBONES),
                        choices=list(BACKBONES), metavar='NAME',
                        help=f'our backbones to time, of: {", ".join(BACKBONES)}')
    parser.add_argument('--sizes', nargs='+', type=parse_size,
                        default=list(TABLE8_SIZES), metavar='HxW')
    parser.add_argument('--dense-1x1', action='store_true',
                        help="ONNX engines: also time each ShuffleNet v1 with dense "
                        "block-diagonal 1x1 convs and its shuffle folded in ('NAME "
                        "dense'; GMAC/s counts the dense MACs)")
    parser.add_argument('--profile', action='store_true',
                        help='also profile ShuffleNet v1 1x g3 at 480x640 (CPU)')
    parser.add_argument('--plot', help='also draw latency vs MFLOPs per engine '
                        'at 480x640 (or the first size) to this PNG')
    args = parser.parse_args()
    engines = engines_to_run(parser, args)
    print(f'{args.device}, threads {args.threads}, batch 1, '
          f'{" and ".join(args.precision)} (torch: fp32), NCHW input, '
          f'{args.repeats} rounds after {args.warmup} warm-up, one process per '
          f'engine: {", ".join(engines)}')
    records, gmacs = measure_engines(
        time_backbones, engines, args.models, tuple(args.modes), args.sizes,
        args.threads, args.repeats, args.warmup, args.device,
        quantizers_to_run(args), args.dense_1x1)
    for record in records:
        record.columns['gmac'] = gmacs[record.model][record.columns['size']]
    by_size = {size: [record for record in records if record.columns['size'] == size]
               for size in args.sizes}
    for size, size_records in by_size.items():
        print_table(size, size_records)
    if args.profile:
        profile_shufflenet((480, 640), f'threads {args.threads}')
    if args.json:
        write_results(args.json, records, tool='benchmark_backbone',
                      device=args.device, threads=args.threads)
    if args.plot:
        main_size = (480, 640) if (480, 640) in by_size else args.sizes[0]
        plot(by_size[main_size], main_size, args.plot)
        print(f'plot: {osp.abspath(args.plot)}')
