"""Check that a detector config's anchors reach the boxes of its training
data (:mod:`shufflenet_det.engine.anchor_check`): per object size at the network
input (and per COCO small / medium / large), the share of the boxes whose
best anchor IoU reaches the RPN assigner's thresholds, and the anchor scales
/ ratios that would cover the others. Exit status 1 when more than 10 % of
the boxes get no positive anchor, 2 on input it cannot read. Run it as
``shufflenet-det-check-anchors``, ``python -m
shufflenet_det.tools.check_anchors`` or ``python tools/check_anchors.py``."""
import argparse
import sys

from ..config_options import add_config_options, merge_options, read_config
from ..engine.anchor_check import check_config


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('config', help='detector config file')
    parser.add_argument('--ann-file',
                        help="a COCO annotation file to check instead of the "
                        "config's training set")
    add_config_options(parser)
    args = parser.parse_args(argv)
    try:
        cfg = merge_options(read_config(args.config), args.cfg_options)
        report = check_config(cfg, args.ann_file)
    except (ValueError, FileNotFoundError) as e:  # AnchorCheckError included
        print(f'error: {e}', file=sys.stderr)
        return 2
    print(report)
    return 1 if report.warns else 0


if __name__ == '__main__':
    sys.exit(main())
