"""Test (and evaluate) a detector (the arguments of MMDetection's
tools/test.py)."""
import argparse
import os

from mmdet.evaluation import DumpDetResults
from mmengine.config import DictAction

from shufflenet_det.engine import shutdown_distributed
from shufflenet_det.fileio import read_trained_checkpoint
from shufflenet_det.tools.runner import apply_test_options, build_runner, load_config


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
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    parser.add_argument('--tta', action='store_true',
                        help='flip test-time augmentation')
    parser.add_argument('--fast', action='store_true',
                        help='optimize_for_inference: BN folded into convs, '
                        'channels_last, separable RoIAlign (same results, CPU)')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    if args.out is not None and not args.out.endswith(('.pkl', '.pickle')):
        parser.error(f'--out {args.out}: the dump file must end in .pkl or .pickle')
    try:  # as every tool reads a trained checkpoint, before anything is written
        read_trained_checkpoint(args.checkpoint)
    except (ValueError, FileNotFoundError) as error:
        parser.exit(2, f'{parser.prog}: error: {error}\n')
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main():
    args = parse_args()
    cfg = load_config(args.config, args.work_dir, args.cfg_options, args.launcher)
    apply_test_options(cfg, args.checkpoint, args.show, args.show_dir,
                       args.wait_time, args.tta)
    if args.fast:
        cfg.custom_hooks = [*cfg.get('custom_hooks', []),
                            dict(type='FastInferenceHook')]
    runner = build_runner(cfg)
    if args.out is not None:
        runner.test_evaluator.metrics.append(DumpDetResults(out_file_path=args.out))
    runner.test()
    del runner  # the distributed model goes before its process group
    shutdown_distributed()


if __name__ == '__main__':
    main()
