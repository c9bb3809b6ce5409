"""Reproduce the ShuffleNet v1 paper's Table 7: train and test every cell
(C4 Faster R-CNN, ShuffleNet 1x/2x g=3 and MobileNet 1.0 at short sides 300
and 600) and write results/table7.{md,json} beside the paper's mAP.

Needs COCO 2017 under data/coco (tools/check_coco.py) and the converted
ImageNet checkpoints the configs name (tools/convert_weights.py). --smoke
runs the same pipeline on a generated dataset with a 2-iteration schedule.
"""
import argparse
import sys

from shufflenet_det.reproduce import EXTRA, TABLE7, reproduce


def main():
    cells = {cell.name: cell for cell in TABLE7 + EXTRA}
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--cells', nargs='+', choices=sorted(cells),
                        help='run only these (default: the Table 7 cells)')
    parser.add_argument('--extra', action='store_true',
                        help='also run the ShuffleNet v2 and FPN rows')
    parser.add_argument('--gpus', type=int, default=1,
                        help='more than 1: through tools/dist_train.sh / dist_test.sh')
    parser.add_argument('--smoke', action='store_true',
                        help='generated dataset, 2 iterations: a pipeline check')
    parser.add_argument('--work-dir', default='work_dirs/table7')
    parser.add_argument('--out-dir', help='default: results, or results/smoke')
    args = parser.parse_args()
    selected = ([cells[name] for name in args.cells] if args.cells
                else list(TABLE7 + EXTRA if args.extra else TABLE7))
    out_dir = args.out_dir or ('results/smoke' if args.smoke else 'results')
    records = reproduce(selected, out_dir, args.work_dir, args.gpus, args.smoke)
    print(open(f'{out_dir}/table7.md').read())
    failed = [r['name'] for r in records if 'error' in r]
    if failed:
        print(f'failed: {failed}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
