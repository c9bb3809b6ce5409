"""Backbone latency at the ShuffleNet v1 paper's Table 8 sizes (224x224,
480x640, 720x1280), batch 1, fp32, a fixed thread count, every model in one
run and interleaved. Prints ms, achieved GMAC/s, and each model's ratio to
MobileNet v1 1.0 (ours, same mode) and to the fastest MobileNet v1 measured
(any implementation, any mode) beside the paper's ratio; then the speed
targets at 480x640 and, with --profile, where ShuffleNet v1 1x g3 spends its
time."""
import argparse
import json
import os.path as osp

import torch
from mmdet.registry import MODELS
from mmdet.utils import register_all_modules

import shufflenet_det  # noqa: F401
from shufflenet_det.tools.benchmark import (MODES, PAPER_TABLE8_MS, TABLE8_SIZES,
                                            check_device, conv_mult_adds,
                                            median_latency, prepare)

BASELINE = 'MobileNet v1 1.0'
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


def variants(names, modes):
    """(name, model, modes): ours (``names``) in ``modes``; our MobileNet v1
    also through TorchScript, and the peers when installed (test-only
    dependencies) - the candidates for the fastest MobileNet v1."""
    found = [(name, MODELS.build(BACKBONES[name]), modes) for name in names]
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


def is_mobilenet_v1(name):
    return name in (BASELINE, TIMM_MOBILENET)


def print_table(size_index, size, latency, gmacs):
    best = min(ms for (name, _), ms in latency.items() if is_mobilenet_v1(name))
    print(f'\n{size[0]}x{size[1]}\n| model | mode | ms | GMAC/s | ratio to ours '
          f'{BASELINE} (same mode) | ratio to fastest MobileNet v1 | paper ratio |\n'
          '|---|---|---|---|---|---|---|')
    for (name, mode), ms in latency.items():
        same_mode = latency.get((BASELINE, mode))
        paper = PAPER_TABLE8_MS.get(name)
        paper_ratio = (paper[size_index] / PAPER_TABLE8_MS[BASELINE][size_index]
                       if paper and name != BASELINE else None)
        print(f'| {name} | {mode} | {ms:.1f} | {gmacs[name] / ms * 1000:.1f} | '
              f'{fmt(same_mode and ms / same_mode)} | {ms / best:.2f} | '
              f'{fmt(paper_ratio)} |')


def fmt(ratio):
    return '-' if ratio is None else f'{ratio:.2f}'


def print_targets(latency):
    """The speed targets (docs/speed.md), at 480x640."""
    best_name, best = min(((key, ms) for key, ms in latency.items()
                           if is_mobilenet_v1(key[0])), key=lambda item: item[1])
    fast = {name: ms for (name, mode), ms in latency.items() if mode == 'fast'}
    checks = [
        ('ShuffleNet v1 1x g3 (fast) / fastest MobileNet v1',
         fast.get('ShuffleNet v1 1x g3'), best, 0.40),
        ('ShuffleNet v1 2x g3 (fast) / fastest MobileNet v1',
         fast.get('ShuffleNet v1 2x g3'), best, 0.95),
        (f'ours {BASELINE} (fast) / fastest MobileNet v1',
         fast.get(BASELINE), best, 1.10),
        (f'ShuffleNet v1 1x g3 (fast) / {MMPRETRAIN_V1} as shipped (eager)',
         fast.get('ShuffleNet v1 1x g3'), latency.get((MMPRETRAIN_V1, 'eager')),
         0.80),
    ]
    print(f'\ntargets at 480x640 (fastest MobileNet v1: {best_name[0]}, '
          f'{best_name[1]}, {best:.1f} ms)')
    for label, ms, reference, target in checks:
        if ms is None or reference is None:
            print(f'- {label}: not measured (mode or peer missing)')
            continue
        ratio = ms / reference
        verdict = 'met' if ratio <= target else 'MISSED'
        print(f'- {label}: {ratio:.2f} (target <= {target:.2f}) {verdict}')


def profile_shufflenet(size, threads_note):
    """Self time by operator of ShuffleNet v1 1x g3 (fast) at ``size``; the
    channel shuffle is the only 5-d copy (see models/layers.py)."""
    from torch.profiler import ProfilerActivity, profile
    model = prepare(MODELS.build(BACKBONES['ShuffleNet v1 1x g3']), 'fast')
    x = torch.randn(1, 3, *size)
    with torch.inference_mode():
        for _ in range(3):
            model(x)
        with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
            for _ in range(10):
                model(x)
    events = prof.key_averages(group_by_input_shape=True)
    total = sum(event.self_cpu_time_total for event in events)
    by_kind = {}
    for event in events:
        kind = event.key
        if kind == 'aten::copy_' and len(event.input_shapes[0]) == 5:
            kind = 'channel shuffle (5-d copy_)'
        by_kind[kind] = by_kind.get(kind, 0) + event.self_cpu_time_total
    print(f'\nprofile: ShuffleNet v1 1x g3 (fast), {size[0]}x{size[1]}, '
          f'{threads_note}, share of self CPU time')
    for kind, self_time in sorted(by_kind.items(), key=lambda item: -item[1])[:8]:
        print(f'- {kind}: {100 * self_time / total:.1f} %')


def plot(results, path):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    sizes = [f'{h}x{w}' for h, w in TABLE8_SIZES]
    fig, axes = plt.subplots(1, len(sizes), figsize=(6 * len(sizes), 5))
    for ax, size in zip(axes, sizes):
        for key, by_size in results.items():
            name, mode = key.rsplit(' [', 1)
            point = by_size[size]
            ax.scatter(point['gmac'] * 1000, point['ms'],
                       marker='o' if mode.startswith('fast') else 'x')
            ax.annotate(f'{name} [{mode}', (point['gmac'] * 1000, point['ms']),
                        fontsize=6)
        ax.set(title=size, xlabel='MMAC (conv + FC)', ylabel='ms')
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--threads', type=int, default=torch.get_num_threads())
    parser.add_argument('--repeats', type=int, default=20)
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--modes', nargs='+', default=['eager', 'fast'],
                        choices=MODES, help='how to run our backbones')
    parser.add_argument('--models', nargs='+', default=list(BACKBONES),
                        choices=list(BACKBONES), metavar='NAME',
                        help=f'our backbones to time, of: {", ".join(BACKBONES)}')
    parser.add_argument('--device', default='cpu', help="'cpu' or 'cuda'")
    parser.add_argument('--profile', action='store_true',
                        help='also profile ShuffleNet v1 1x g3 at 480x640 (CPU)')
    parser.add_argument('--json', help='also write the figures here')
    parser.add_argument('--plot', help='also draw latency vs MMAC to this PNG')
    args = parser.parse_args()
    check_device(parser, args.device)
    torch.set_num_threads(args.threads)
    register_all_modules()
    found = variants(args.models, tuple(args.modes))
    gmacs_by_size = [{name: conv_mult_adds(model, size) for name, model, _ in found}
                     for size in TABLE8_SIZES]

    print(f'{args.device}, threads {args.threads}, batch 1, fp32, NCHW input, '
          f'median of {args.repeats} after {args.warmup} warm-up rounds')
    results, at_480 = {}, None
    for index, size in enumerate(TABLE8_SIZES):
        x = torch.randn(1, 3, *size, device=args.device)
        models = {(name, mode): prepare(model, mode, x).to(args.device)
                  for name, model, modes in found for mode in modes}
        latency = median_latency(models, x, args.repeats, args.warmup)
        print_table(index, size, latency, gmacs_by_size[index])
        for (name, mode), ms in latency.items():
            results.setdefault(f'{name} [{mode}]', {})[f'{size[0]}x{size[1]}'] = dict(
                ms=ms, gmac=gmacs_by_size[index][name])
        if size == (480, 640):
            at_480 = latency
    print_targets(at_480)
    if args.profile:
        profile_shufflenet((480, 640), f'threads {args.threads}')
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(dict(device=args.device, threads=args.threads,
                           results=results), f, indent=2)
    if args.plot:
        plot(results, args.plot)
        print(f'plot: {osp.abspath(args.plot)}')


if __name__ == '__main__':
    main()
