"""Complexity in the papers' convention, next to the papers' own figures.

The papers count multiply-adds of conv and fully connected layers only, at
224x224, for the ImageNet classifier (backbone + global pool + 1000-way FC);
parameters include BN. Counting is done by ``mmengine.analysis``.
``shufflenet-det-complexity`` (or ``python -m shufflenet_det.tools.complexity``,
``python tools/analyze_complexity.py``) prints every model of the papers'
tables next to their figures; exit status 1 if one is out of tolerance.
"""
import argparse
import sys
from dataclasses import dataclass
from typing import Optional

import torch
from mmdet.registry import MODELS
from mmengine.analysis import FlopAnalyzer, parameter_count
from torch import nn

from ..models.classifier import ImageNetClassifier

# FlopAnalyzer's operator names for conv and fully connected layers.
COUNTED_OPERATORS = ('conv', 'addmm', 'linear', 'matmul')


@dataclass(frozen=True)
class PaperFigure:
    """One model of the papers' tables and the complexity they state."""
    name: str
    backbone: dict
    mflops: float
    source: str
    params_m: Optional[float] = None
    # Table 2 of ShuffleNet v1 gives one figure per row ("~38", "~13").
    approximate: bool = False
    # Where the paper's figure is only the model's name and its published
    # widths count otherwise (SNet): an independent count of those widths,
    # which the measurement is checked against instead.
    counted_mflops: Optional[float] = None

    @property
    def flops_tolerance(self) -> float:
        return 0.08 if self.approximate else 0.02

    @property
    def expected_mflops(self) -> float:
        return self.counted_mflops or self.mflops


def _v1(groups, width, mflops, source, params_m=None, approximate=False):
    name = f'ShuffleNet v1 {width:g}x g={groups}'
    cfg = dict(type='ShuffleNetV1', groups=groups, widen_factor=width)
    return PaperFigure(name, cfg, mflops, source, params_m, approximate)


def _v2(width, mflops, params_m, variant='torchvision'):
    cfg = dict(type='ShuffleNetV2', widen_factor=width, variant=variant)
    return PaperFigure(f'ShuffleNet v2 {width:g}x ({variant})', cfg, mflops,
                       'v2 Table 5', params_m)


def _mobilenet(width, mflops, params_m):
    cfg = dict(type='MobileNetV1', widen_factor=width)
    return PaperFigure(f'MobileNet v1 {width:g}', cfg, mflops,
                       'MobileNets Table 6', params_m)


def _snet(arch, counted_mflops):
    return PaperFigure(f'SNet{arch}', dict(type='SNet', arch=arch), arch,
                       'ThunderNet Table 1 (name)', counted_mflops=counted_mflops)


PAPER_FIGURES = (
    # v1 parameter counts are those of Megvii's official g=3 release.
    *[_v1(g, 1.0, f, 'v1 Table 1', 1.9 if g == 3 else None)
      for g, f in ((1, 143), (2, 140), (3, 137), (4, 133), (8, 137))],
    _v1(3, 0.5, 38, 'v1 Table 8', 0.7),
    _v1(4, 0.5, 38, 'v1 Table 5'),
    _v1(3, 1.5, 292, 'v1 Table 5', 3.4),
    _v1(3, 2.0, 524, 'v1 Table 6/8', 5.4),
    *[_v1(g, 0.5, 38, 'v1 Table 2 (~38)', approximate=True) for g in (1, 2, 8)],
    *[_v1(g, 0.25, 13, 'v1 Table 2 (~13)', approximate=True)
      for g in (1, 2, 3, 4, 8)],
    *[_v2(w, f, p, variant)
      for variant in ('torchvision', 'megvii')
      for w, f, p in ((0.5, 41, 1.4), (1.0, 146, 2.3), (1.5, 299, 3.5),
                      (2.0, 591, 7.4))],
    _mobilenet(1.0, 569, 4.2),
    _mobilenet(0.75, 325, 2.6),
    _mobilenet(0.5, 149, 1.3),
    _mobilenet(0.25, 41, 0.5),
    # Counted independently, with 5x5 depthwise convs everywhere.
    _snet(49, 51), _snet(146, 161), _snet(535, 535),
)


def build_classifier(backbone_cfg: dict) -> ImageNetClassifier:
    """The ImageNet classifier around a backbone config (last stage output)."""
    backbone = MODELS.build(backbone_cfg)
    backbone.out_indices = (backbone.num_stages - 1, )
    return ImageNetClassifier(backbone).eval()


def count_mult_adds(model: nn.Module, inputs) -> int:
    """Multiply-adds of conv and fully connected layers (the papers'
    convention) in one forward of ``model`` on ``inputs``."""
    analyzer = FlopAnalyzer(model, inputs)
    analyzer.unsupported_ops_warnings(False).uncalled_modules_warnings(False)
    by_operator = analyzer.by_operator()
    return sum(by_operator.get(op, 0) for op in COUNTED_OPERATORS)


def measure_complexity(backbone_cfg: dict, input_size: int = 224):
    """Return (multiply-adds in millions, parameters in millions)."""
    model = build_classifier(backbone_cfg)
    mult_adds = count_mult_adds(model, torch.zeros(1, 3, input_size, input_size))
    return mult_adds / 1e6, parameter_count(model)[''] / 1e6


def params_match(measured_m: float, paper_m: float) -> bool:
    """A paper's parameter count is printed to 0.1 M: the measured count
    matches if it is within 2 % or rounds to the same figure."""
    return (abs(measured_m / paper_m - 1) <= 0.02
            or round(measured_m, 1) == paper_m)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--input-size', type=int, default=224,
                        help='square input side (the papers use 224)')
    args = parser.parse_args()

    print('| model | MFLOPs | paper | diff | counted | params (M) | paper | diff | '
          'source |')
    print('|---|---|---|---|---|---|---|---|---|')
    failures = []
    for figure in PAPER_FIGURES:
        mflops, params_m = measure_complexity(figure.backbone, args.input_size)
        flops_diff = mflops / figure.mflops - 1
        if abs(mflops / figure.expected_mflops - 1) > figure.flops_tolerance:
            failures.append(f'{figure.name} MFLOPs')
        paper_params = params_diff = ''
        if figure.params_m is not None:
            paper_params = f'{figure.params_m:g}'
            params_diff = f'{params_m / figure.params_m - 1:+.1%}'
            if not params_match(params_m, figure.params_m):
                failures.append(f'{figure.name} params')
        approx = '~' if figure.approximate else ''
        counted = f'{figure.counted_mflops:g}' if figure.counted_mflops else ''
        print(f'| {figure.name} | {mflops:.1f} | {approx}{figure.mflops:g} | '
              f'{flops_diff:+.1%} | {counted} | {params_m:.3f} | {paper_params} | '
              f'{params_diff} | {figure.source} |')
    if args.input_size != 224:
        return 0
    if failures:
        print('out of tolerance: ' + ', '.join(failures), file=sys.stderr)
        return 1
    print(f'all {len(PAPER_FIGURES)} models within tolerance of the papers')
    return 0


if __name__ == '__main__':
    sys.exit(main())
