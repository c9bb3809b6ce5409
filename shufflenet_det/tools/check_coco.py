"""Check that a COCO 2017 detection layout is complete before a long run
(DATA_ROOT/annotations/instances_{train,val}2017.json, DATA_ROOT/{train,val}2017/)
and say exactly what is missing (:func:`shufflenet_det.datasets.check_coco`).
Run it as ``shufflenet-det-check-coco``, ``python -m
shufflenet_det.tools.check_coco`` or ``python tools/check_coco.py``."""
import argparse
import sys

from ..datasets import COCO2017_SPLITS, check_coco


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('data_root', help='e.g. data/coco')
    parser.add_argument('--sample', type=int, default=20,
                        help='images per split to decode')
    args = parser.parse_args()
    problems = check_coco(args.data_root, COCO2017_SPLITS, args.sample)
    for problem in problems:
        print(f'problem: {problem}')
    if problems:
        return 1
    counts = ', '.join(f'{s} {n} images' for s, n in COCO2017_SPLITS.items())
    print(f'{args.data_root}: complete COCO 2017 layout ({counts})')
    return 0


if __name__ == '__main__':
    sys.exit(main())
