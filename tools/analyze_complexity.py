"""Print multiply-adds and parameters of every model in the papers' tables,
counted by mmengine.analysis, next to the papers' figures.

Convention of the papers: conv + FC multiply-adds at 224x224, with the
1000-class classifier. Exit status 1 if a figure is out of tolerance
(2 %; 8 % for ShuffleNet v1 Table 2's one-figure rows).
"""
import argparse
import sys

from shufflenet_det.complexity import PAPER_FIGURES, measure_complexity, params_match


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--input-size', type=int, default=224,
                        help='square input side (the papers use 224)')
    args = parser.parse_args()

    print('| model | MFLOPs | paper | diff | params (M) | paper | diff | source |')
    print('|---|---|---|---|---|---|---|---|')
    failures = []
    for figure in PAPER_FIGURES:
        mflops, params_m = measure_complexity(figure.backbone, args.input_size)
        flops_diff = mflops / figure.mflops - 1
        if abs(flops_diff) > figure.flops_tolerance:
            failures.append(f'{figure.name} MFLOPs')
        paper_params = params_diff = ''
        if figure.params_m is not None:
            paper_params = f'{figure.params_m:g}'
            params_diff = f'{params_m / figure.params_m - 1:+.1%}'
            if not params_match(params_m, figure.params_m):
                failures.append(f'{figure.name} params')
        approx = '~' if figure.approximate else ''
        print(f'| {figure.name} | {mflops:.1f} | {approx}{figure.mflops:g} | '
              f'{flops_diff:+.1%} | {params_m:.3f} | {paper_params} | '
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
