"""Backbone latency at the ShuffleNet v1 paper's Table 8 sizes (224x224,
480x640, 720x1280), batch 1, fp32 (and int8 in the ONNX engines, with
--precision fp32 int8), a fixed thread count, in PyTorch and in the ONNX
engines, one process per engine, the models of an engine interleaved.
Prints ms (min / median / max), achieved GMAC/s and each model's ratio to
the fastest MobileNet v1 of its precision measured (any engine, any mode)
beside the paper's; then the speed targets at 480x640 and, with --profile,
where ShuffleNet v1 1x g3 spends its time (``tools/benchmark_backbone.py``)."""
import argparse
import functools
import json
import os.path as osp

import torch
from mmdet.registry import MODELS
from mmdet.utils import register_all_modules

from ..atomic import atomic_path, write_text_atomically
from ..deploy import densify_grouped_convs, export_module
from .benchmark import (ENGINES, MODES, PAPER_TABLE8_MS, TABLE8_SIZES,
                        add_run_arguments, conv_mult_adds, engine_of, engines_to_run,
                        in_own_process, int8_runner_or_note, is_int8, latency_rounds,
                        onnx_run_as, prepare, quantizers_to_run, spread)

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
# The speed targets at 480x640: (model, how it runs, reference, at most).
# References: the fastest MobileNet v1 in any engine, or in PyTorch (the
# targets of the PyTorch fast path), or one (model, how it runs).
BEST = 'best engine'
ANY_ENGINE, PYTORCH = 'fastest MobileNet v1', 'fastest PyTorch MobileNet v1'
TARGETS = (
    ('ShuffleNet v1 1x g3', BEST, ANY_ENGINE, 0.35),
    ('ShuffleNet v1 2x g3', BEST, ANY_ENGINE, 1.00),
    ('ShuffleNet v1 1x g3', 'fast', PYTORCH, 0.40),
    ('ShuffleNet v1 2x g3', 'fast', PYTORCH, 0.95),
    (BASELINE, 'fast', PYTORCH, 1.10),
    ('ShuffleNet v1 1x g3', 'fast', (MMPRETRAIN_V1, 'eager'), 0.80),
)
# int8 (issue 20): (model, reference: its own 'fp32' or another model's int8,
# at most), the fastest entry of each in any engine and quantizer.
INT8_TARGETS = (
    ('ShuffleNet v1 1x g3', 'fp32', 0.5),
    ('ShuffleNet v2 1x', 'fp32', 0.5),
    ('ShuffleNet v1 1x g3', BASELINE, 0.40),
)


def variants(engine, names, modes, dense=False):
    """(name, model, how it runs) to time in ``engine``: ours (``names``,
    always with the baseline) in ``modes`` or in the ONNX engine; in torch
    also our MobileNet v1 through TorchScript and the peers when installed
    (test-only dependencies) - the candidates for the fastest MobileNet v1.
    With ``dense``, an ONNX engine also runs each ShuffleNet v1 as
    '{name} dense' (``densify_grouped_convs``: dense 1x1 convs, no shuffle)."""
    names = list(dict.fromkeys([*names, BASELINE]))
    if engine != 'torch':
        found = [(name, MODELS.build(BACKBONES[name]), (engine, )) for name in names]
        return found + [
            (f'{name}{DENSE}', densify_grouped_convs(MODELS.build(BACKBONES[name])),
             (engine, )) for name in names if dense and 'ShuffleNetV1' in
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
                   counted=(), quantizers=(None, ), dense=False):
    """In one process (see ``in_own_process``): per size, the ms of every
    round per (model, how it runs), and the GMAC per size of the models not
    ``counted`` yet (by another engine's process). An ONNX engine runs the
    fp32 export (``None`` in ``quantizers``) and it quantized by each
    quantizer, calibrated on random inputs (the speed does not depend on
    them)."""
    torch.set_num_threads(threads)
    register_all_modules()
    found = variants(engine, names, modes, dense)
    for _, model, _ in found:
        model.eval()  # some train() overrides (mmdet's MobileNetV2) return None
    gmacs = {name: [conv_mult_adds(model, size) for size in sizes]
             for name, model, _ in found if name not in counted}
    times = []
    for size in sizes:
        x = torch.randn(1, 3, *size, device=device)
        if engine == 'torch':
            calls = {(name, mode): functools.partial(
                prepare(model, mode, x).to(device), x)
                for name, model, modes in found for mode in modes}
        else:
            calibration = [torch.randn(1, 3, *size).numpy() for _ in range(4)]
            calls = {}
            for name, model, _ in found:
                for quantizer in quantizers:
                    run = int8_runner_or_note(
                        name, functools.partial(export_module, model, x), engine,
                        threads, quantizer, calibration)
                    if run is None:
                        continue
                    calls[(name, onnx_run_as(engine, quantizer))] = functools.partial(
                        run, x.numpy())
        times.append(latency_rounds(calls, repeats, warmup, cuda=x.is_cuda))
    return times, gmacs


def is_mobilenet_v1(name):
    return name in (BASELINE, TIMM_MOBILENET)


def fastest(latency, select):
    """(key, median ms) of the fastest entry whose key ``select`` accepts."""
    return min(((key, stats[1]) for key, stats in latency.items() if select(key)),
               key=lambda item: item[1], default=(None, None))


def print_table(index, size, latency, gmacs):
    """The figures at ``size``, the ``index``-th size timed."""
    paper_index = TABLE8_SIZES.index(size) if size in TABLE8_SIZES else None
    best = {int8: fastest(latency, lambda key: is_mobilenet_v1(key[0])
                          and is_int8(key[1]) == int8)[1] for int8 in (False, True)}
    print(f'\n{size[0]}x{size[1]}\n| model | runs as | ms min / median / max '
          f'| GMAC/s | ratio to fastest MobileNet v1 (same precision) | paper ratio |'
          '\n|---|---|---|---|---|---|')
    for (name, run_as), (low, median, high) in latency.items():
        baseline_ms = best[is_int8(run_as)]
        paper = PAPER_TABLE8_MS.get(name)
        paper_ratio = '-'
        if paper and name != BASELINE and paper_index is not None:
            baseline = PAPER_TABLE8_MS[BASELINE][paper_index]
            paper_ratio = f'{paper[paper_index] / baseline:.2f}'
        print(f'| {name} | {run_as} | {low:.1f} / {median:.1f} / {high:.1f} | '
              f'{gmacs[name][index] / median * 1000:.1f} | '
              f'{"-" if baseline_ms is None else f"{median / baseline_ms:.2f}"} '
              f'| {paper_ratio} |')


def print_targets(latency):
    """The speed targets (docs/speed.md, docs/deploy.md) at 480x640: fp32
    (TARGETS), then int8 (INT8_TARGETS) when it was timed."""
    int8 = {key: stats for key, stats in latency.items() if is_int8(key[1])}
    latency = {key: stats for key, stats in latency.items() if not is_int8(key[1])}
    references = {
        ANY_ENGINE: fastest(latency, lambda key: is_mobilenet_v1(key[0])),
        PYTORCH: fastest(latency, lambda key: is_mobilenet_v1(key[0])
                         and key[1] in MODES)}
    print('\ntargets at 480x640 ' + ', '.join(
        f'({label}: {key[0]}, {key[1]}, {ms:.1f} ms)'
        for label, (key, ms) in references.items() if key))
    for name, run_as, reference, target in TARGETS:
        key, ms = fastest(latency, lambda key: key[0] == name and (
            run_as == BEST or key[1] == run_as))
        if reference in references:
            reference_ms = references[reference][1]
        else:
            reference_ms = latency.get(reference, (None, None))[1]
            reference = f'{reference[0]} ({reference[1]})'
        label = f'{name} ({key[1] if key else run_as}) / {reference}'
        print_ratio(label, ms, reference_ms, target)
    if int8:
        print_int8_targets(int8, latency)


def print_ratio(label, ms, reference_ms, target):
    if ms is None or reference_ms is None:
        print(f'- {label}: not measured')
        return
    ratio = ms / reference_ms
    verdict = 'met' if ratio <= target else 'MISSED'
    print(f'- {label}: {ratio:.2f} (target <= {target:.2f}) {verdict}')


def print_int8_targets(int8, fp32):
    """INT8_TARGETS, the fastest int8 and fp32 entry of each model (any
    engine, any quantizer)."""
    print('\nint8 targets at 480x640 (best engine and quantizer each)')
    for name, reference, target in INT8_TARGETS:
        # the same network in either expression of its 1x1 convolutions
        key, ms = fastest(int8, lambda key: key[0] in (name, f'{name}{DENSE}'))
        found = key[0] if key else name
        if reference == 'fp32':
            ref_key, reference_ms = fastest(fp32, lambda key: key[0] == name)
            label = f'{found} int8 ({key and key[1]}) / fp32 ({ref_key and ref_key[1]})'
        else:
            ref_key, reference_ms = fastest(int8, lambda key: key[0] == reference)
            label = (f'{found} int8 ({key and key[1]}) / {reference} int8 '
                     f'({ref_key and ref_key[1]})')
        print_ratio(label, ms, reference_ms, target)


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


def plot(latency, gmacs, size, path):
    """Median ms (bars: min to max) against MFLOPs at ``size``, one panel per
    engine (PyTorch: each model's fastest mode)."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    engines = [engine for engine in ENGINES
               if any(engine_of(run_as) == engine for _, run_as in latency)]
    fig, axes = plt.subplots(1, len(engines), figsize=(4.5 * len(engines) + 2.5, 4.2),
                             sharey=True, squeeze=False)
    colours = plt.get_cmap('tab10')
    for ax, engine in zip(axes[0], engines):
        for index, name in enumerate(gmacs):
            key, _ = fastest(latency, lambda key: key[0] == name
                             and engine_of(key[1]) == engine)
            if key is None:
                continue
            low, median, high = latency[key]
            ax.errorbar(gmacs[name] * 1000, median,
                        yerr=[[median - low], [high - median]], capsize=3,
                        fmt=marker(name), color=colours(index % 10), label=name)
        ax.set(title=f'{engine}, {size[0]}x{size[1]}', xlabel='MFLOPs (mult-adds)')
        ax.grid(alpha=0.3)
    axes[0][0].set_ylabel('ms (median, bars min-max)')
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc='center right', fontsize=8)
    fig.tight_layout(rect=(0, 0, 1 - 2.4 / fig.get_figwidth(), 1))
    with atomic_path(path) as partial:
        fig.savefig(partial, dpi=110)


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
    parser.add_argument('--json', help='also write the figures here')
    parser.add_argument('--plot', help='also draw latency vs MFLOPs per engine '
                        'at 480x640 (or the first size) to this PNG')
    args = parser.parse_args()
    engines = engines_to_run(parser, args)
    print(f'{args.device}, threads {args.threads}, batch 1, '
          f'{" and ".join(args.precision)} (torch: fp32), NCHW input, '
          f'{args.repeats} rounds after {args.warmup} warm-up, one process per '
          f'engine: {", ".join(engines)}')

    latency = [{} for _ in args.sizes]  # per size: (name, runs as) -> spread
    gmacs = {}
    for engine in engines:
        times, engine_gmacs = in_own_process(
            time_backbones, engine, args.models, tuple(args.modes), args.sizes,
            args.threads, args.repeats, args.warmup, args.device, set(gmacs),
            quantizers_to_run(args), args.dense_1x1)
        gmacs.update(engine_gmacs)
        for by_size, size_times in zip(latency, times):
            by_size.update({key: spread(ms) for key, ms in size_times.items()})
    sizes = args.sizes  # (h, w) tuples
    for index, size in enumerate(sizes):
        print_table(index, size, latency[index], gmacs)
    main_size = sizes.index((480, 640)) if (480, 640) in sizes else 0
    if (480, 640) in sizes:
        print_targets(latency[main_size])
    if args.profile:
        profile_shufflenet((480, 640), f'threads {args.threads}')
    if args.json:
        write_text_atomically(args.json, json.dumps(dict(
            device=args.device, threads=args.threads, results=[
                dict(size=size, model=name, runs_as=run_as, ms=stats,
                     gmac=gmacs[name][index])
                for index, size in enumerate(sizes)
                for (name, run_as), stats in latency[index].items()]), indent=2))
    if args.plot:
        plot(latency[main_size],
             {name: macs[main_size] for name, macs in gmacs.items()},
             sizes[main_size], args.plot)
        print(f'plot: {osp.abspath(args.plot)}')
