"""Check that a detector config's anchors reach the boxes of its training
data (:mod:`shufflenet_det.anchor_check`): per object size at the network
input (and per COCO small / medium / large), the share of the boxes whose
best anchor IoU reaches the RPN assigner's thresholds, and the anchor scales
/ ratios that would cover the others. Exit status 1 when more than 10 % of
the boxes get no positive anchor, 2 on input it cannot read. Run it as
``shufflenet-det-check-anchors``, ``python -m
shufflenet_det.tools.check_anchors`` or ``python tools/check_anchors.py``."""
import argparse
import sys

from mmengine.config import Config, DictAction

from ..anchor_check import AnchorCheckError, check_config


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('config', help='detector config file')
    parser.add_argument('--ann-file',
                        help="a COCO annotation file to check instead of the "
                        "config's training set")
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value')
    args = parser.parse_args(argv)
    try:
        cfg = Config.fromfile(args.config)
        cfg.merge_from_dict(args.cfg_options or {})
        report = check_config(cfg, args.ann_file)
    except (AnchorCheckError, FileNotFoundError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    print(report)
    return 1 if report.warns else 0


if __name__ == '__main__':
    sys.exit(main())
