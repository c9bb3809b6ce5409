"""Train a detector (the arguments of MMDetection's tools/train.py)."""
import argparse
import os

from ..config_options import add_config_options
from ..engine import CheckpointError, shutdown_distributed
from .runner import (apply_train_options, build_runner, check_annotation_files,
                     load_config)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument('--amp', action='store_true',
                        help='enable automatic-mixed-precision training')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='scale the LR to the actual total batch size')
    parser.add_argument(
        '--resume', nargs='?', type=str, const='auto',
        help='resume from this checkpoint; without a path, from the latest '
        'checkpoint in the work directory')
    parser.add_argument('--allow-partial', action='store_true',
                        help='load_from a checkpoint that does not fit the model '
                        '(what fits) instead of refusing it')
    add_config_options(parser)
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return parser, args


def main():
    parser, args = parse_args()
    try:  # before anything is built
        cfg = load_config(args.config, args.work_dir, args.cfg_options,
                          args.launcher)
        apply_train_options(cfg, args.amp, args.auto_scale_lr, args.resume,
                            args.allow_partial)
        check_annotation_files(cfg, ('train', 'val'))
    except ValueError as error:
        parser.exit(2, f'{parser.prog}: error: {error}\n')
    try:
        build_runner(cfg).train()
    except CheckpointError as error:  # before training starts
        parser.exit(2, f'{parser.prog}: error: {error}\n')
    shutdown_distributed()


if __name__ == '__main__':
    main()
