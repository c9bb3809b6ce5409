"""CPU demo: train a ShuffleNet Faster R-CNN on a generated shapes dataset,
evaluate COCO bbox mAP on its held-out split and draw predicted boxes; then
export it to ONNX and evaluate that in ONNX Runtime on the same split."""
import argparse
import os.path as osp

from mmengine.config import DictAction

from shufflenet_det.demo import DEMO_CONFIG, run_demo


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--work-dir', default='work_dirs/demo',
                        help='dataset, logs, checkpoint and PNG go here')
    parser.add_argument('--config', default=DEMO_CONFIG, help='detector config')
    parser.add_argument('--max-iters', type=int, help='shorter or longer training')
    parser.add_argument('--seed', type=int, default=0,
                        help='seed of the dataset and the training')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings, key=value')
    parser.add_argument('--no-onnx', action='store_true',
                        help='skip the ONNX export and its evaluation')
    args = parser.parse_args()
    metrics, checkpoint, png = run_demo(args.work_dir, args.config,
                                        args.max_iters, args.seed,
                                        args.cfg_options, onnx=not args.no_onnx)
    print(f'checkpoint: {checkpoint}\npredictions drawn: {png}')
    minutes = metrics['time_s'] / 60
    if 'coco/bbox_mAP' not in metrics:  # CocoMetric reports nothing then
        print(f'held-out bbox mAP: 0 (no box predicted), {minutes:.1f} min in all')
        return
    print(f"held-out bbox mAP (COCO AP@[.5:.95]): {metrics['coco/bbox_mAP']:.3f} "
          f"(AP50 {metrics['coco/bbox_mAP_50']:.3f}), {minutes:.1f} min in all")
    if 'onnx/bbox_mAP' in metrics:
        print(f"ONNX Runtime ({osp.join(args.work_dir, 'model.onnx')}): bbox mAP "
              f"{metrics['onnx/bbox_mAP']:.3f} (AP50 {metrics['onnx/bbox_mAP_50']:.3f})"
              f", PyTorch {metrics['coco/bbox_mAP']:.3f}")


if __name__ == '__main__':
    main()
