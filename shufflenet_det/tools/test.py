"""Test (and evaluate) a detector (the arguments of MMDetection's
tools/test.py)."""
import argparse
import os

from mmdet.evaluation import DumpDetResults
from mmengine.fileio import dump

from ..atomic import atomic_path, check_output_path
from ..checkpoints import read_trained_checkpoint
from ..config_options import add_config_options
from ..engine import CheckpointError, shutdown_distributed
from .runner import (apply_test_options, build_runner, check_annotation_files,
                     load_config)


class AtomicDumpDetResults(DumpDetResults):
    """mmdet's ``DumpDetResults`` (``--out``), the file written whole or
    not at all."""

    def compute_metrics(self, results):
        with atomic_path(self.out_file_path) as partial:
            dump(results, partial)
        print(f'Results have been saved to {self.out_file_path}.')
        return {}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the dir to save the metrics')
    parser.add_argument('--out', help='dump predictions to this .pkl file')
    parser.add_argument('--show', action='store_true', help='show predictions')
    parser.add_argument('--show-dir', help='save images with predictions here '
                        '(relative to the work dir)')
    parser.add_argument('--wait-time', type=float, default=2,
                        help='seconds each shown image stays')
    add_config_options(parser)
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--tta', action='store_true',
                        help='flip test-time augmentation')
    parser.add_argument('--fast', action='store_true',
                        help='optimize_for_inference: BN folded into convs, '
                        'channels_last, separable RoIAlign (same results, CPU)')
    parser.add_argument('--allow-partial', action='store_true',
                        help='test a checkpoint that does not fit the model '
                        '(what fits; the rest random) instead of refusing it')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if args.out is not None and not args.out.endswith(('.pkl', '.pickle')):
        parser.error(f'--out {args.out}: the dump file must end in .pkl or .pickle')
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return parser, args


def main():
    parser, args = parse_args()
    try:  # before anything is built or written
        cfg = load_config(args.config, args.work_dir, args.cfg_options,
                          args.launcher)
        read_trained_checkpoint(args.checkpoint)
        if args.out is not None:
            check_output_path(args.out, args.checkpoint)
        apply_test_options(cfg, args.checkpoint, args.show, args.show_dir,
                           args.wait_time, args.tta, args.allow_partial)
        check_annotation_files(cfg, ('test', ))
    except (ValueError, FileNotFoundError) as error:
        parser.exit(2, f'{parser.prog}: error: {error}\n')
    if args.fast:
        cfg.custom_hooks = [*cfg.get('custom_hooks', []),
                            dict(type='FastInferenceHook')]
    runner = build_runner(cfg)
    if args.out is not None:
        runner.test_evaluator.metrics.append(AtomicDumpDetResults(
            out_file_path=args.out))
    try:
        runner.test()
    except CheckpointError as error:  # before testing starts
        parser.exit(2, f'{parser.prog}: error: {error}\n')
    del runner  # the distributed model goes before its process group
    shutdown_distributed()


if __name__ == '__main__':
    main()
