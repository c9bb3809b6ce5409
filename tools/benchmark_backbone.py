"""Backbone latency at the ShuffleNet v1 paper's Table 8 sizes, with each
model's ratio to MobileNet v1 1.0 measured in the same run beside the
paper's ratio. Batch 1, fp32, eval, a fixed thread count."""
import argparse
import json

import torch
from mmdet.registry import MODELS
from mmdet.utils import register_all_modules

import shufflenet_det  # noqa: F401
from shufflenet_det.benchmark import (PAPER_TABLE8_MS, TABLE8_SIZES, conv_mult_adds,
                                      median_latency)

BASELINE = 'MobileNet v1 1.0'
# Each returns only its last stage, as the classifier the papers timed.
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


def peers():
    """Reference implementations, when installed (test-only dependencies)."""
    found = {}
    try:
        from mmpretrain.models.backbones import ShuffleNetV1
        found['mmpretrain ShuffleNetV1 1x g3'] = ShuffleNetV1(groups=3)
    except ImportError:
        pass
    try:
        import timm
        found['timm mobilenetv1_100 (features)'] = timm.create_model(
            'mobilenetv1_100', features_only=True)
    except ImportError:
        pass
    return found


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--threads', type=int, default=torch.get_num_threads())
    parser.add_argument('--repeats', type=int, default=10)
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--channels-last', action='store_true')
    parser.add_argument('--json', help='also write the figures here')
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    register_all_modules()
    models = {name: MODELS.build(cfg) for name, cfg in BACKBONES.items()}
    models.update(peers())

    print(f'threads {args.threads}, batch 1, fp32, median of {args.repeats} after '
          f'{args.warmup} warm-up rounds, channels_last={args.channels_last}')
    results = {}
    for index, size in enumerate(TABLE8_SIZES):
        latency = median_latency(models, size, args.repeats, args.warmup,
                                 args.channels_last)
        print(f'\n{size[0]}x{size[1]}\n| model | ms | GMAC/s | ratio to {BASELINE} '
              '| paper ratio |\n|---|---|---|---|---|')
        for name, ms in latency.items():
            gmacs = conv_mult_adds(models[name], size)
            paper = PAPER_TABLE8_MS.get(name)
            paper_ratio = (f'{paper[index] / PAPER_TABLE8_MS[BASELINE][index]:.2f}'
                           if paper else '-')
            ratio = ms / latency[BASELINE]
            print(f'| {name} | {ms:.1f} | {gmacs / ms * 1000:.1f} | {ratio:.2f} | '
                  f'{paper_ratio} |')
            results.setdefault(name, {})[f'{size[0]}x{size[1]}'] = dict(
                ms=ms, gmac=gmacs, ratio=ratio)
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(dict(threads=args.threads, channels_last=args.channels_last,
                           results=results), f, indent=2)


if __name__ == '__main__':
    main()
