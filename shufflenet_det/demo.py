"""The CPU demo: generate the shapes dataset, train a ShuffleNet Faster R-CNN
from a config, evaluate COCO bbox mAP, draw predictions on a held-out image,
and export the detector to ONNX and evaluate it in ONNX Runtime too."""
import os.path as osp
import time

import cv2
import torch
from mmdet.structures import DetDataSample
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.hooks import Hook
from mmengine.runner import Runner

from .datasets import generate_shapes_dataset

DEMO_CONFIG = osp.join(osp.dirname(osp.dirname(osp.abspath(__file__))), 'configs',
                       'demo', 'faster-rcnn_shufflenet-v1-1x-g3_fpn_shapes.py')


class KeepMetrics(Hook):
    """Keep the metrics of the last validation, to report them."""

    def __init__(self):
        self.metrics = {}

    def after_val_epoch(self, runner, metrics=None):
        self.metrics = dict(metrics or {})


def demo_config(work_dir, config=DEMO_CONFIG, max_iters=None, cfg_options=None):
    """The demo config, reading the dataset from ``{work_dir}/data``."""
    cfg = Config.fromfile(config)
    data_root = osp.join(work_dir, 'data') + '/'
    cfg.work_dir = work_dir
    for loader in (cfg.train_dataloader, cfg.val_dataloader, cfg.test_dataloader):
        loader.dataset.data_root = data_root
    for evaluator in (cfg.val_evaluator, cfg.test_evaluator):
        evaluator.ann_file = data_root + 'annotations/instances_val.json'
    if max_iters is not None:
        cfg.train_cfg.update(max_iters=max_iters, val_interval=max_iters)
        cfg.default_hooks.checkpoint.interval = max_iters
        for scheduler in cfg.param_scheduler:
            scheduler.end = min(scheduler.end, max_iters)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg


def draw_predictions(runner, out_file, index=0, score_thr=0.5, zoom=3):
    """Predict one validation image; save it, enlarged ``zoom`` times, with
    true boxes (left) and predicted boxes (right)."""
    dataset = runner.val_dataloader.dataset
    data = dataset[index]
    runner.model.eval()
    with torch.no_grad():
        (result, ) = runner.model.test_step(pseudo_collate([data]))
    image = data['inputs'].permute(1, 2, 0).numpy()[..., ::-1]  # BGR -> RGB
    image = cv2.resize(image, None, fx=zoom, fy=zoom,
                       interpolation=cv2.INTER_NEAREST)
    drawn = DetDataSample()
    for field in ('gt_instances', 'pred_instances'):
        instances = result.get(field).clone()
        instances.bboxes = instances.bboxes * zoom
        drawn.set_field(instances, field)
    visualizer = runner.visualizer
    visualizer.dataset_meta = dataset.metainfo
    visualizer.add_datasample('prediction', image, data_sample=drawn,
                              draw_gt=True, pred_score_thr=score_thr,
                              out_file=out_file)
    return result


def evaluate_onnx(runner, checkpoint, onnx_file):
    """Export ``checkpoint`` to ``onnx_file`` and return its COCO metrics in
    ONNX Runtime on the runner's validation set, keys prefixed 'onnx/'."""
    from .deploy import OnnxDetector, evaluate_coco, export_onnx
    export_onnx(runner.cfg, checkpoint, onnx_file)
    metrics = evaluate_coco(OnnxDetector(onnx_file), runner.val_dataloader.dataset,
                            runner.cfg.val_evaluator.ann_file)
    return {key.replace('coco/', 'onnx/'): value for key, value in metrics.items()}


def run_demo(work_dir='work_dirs/demo', config=DEMO_CONFIG, max_iters=None,
             seed=0, cfg_options=None, onnx=True, **dataset_kwargs):
    """Run the whole demo; return (metrics, checkpoint path, PNG path).

    With ``onnx`` and onnxruntime installed, the trained detector is also
    exported to ``{work_dir}/model.onnx`` and evaluated in ONNX Runtime:
    ``metrics['onnx/bbox_mAP']`` beside PyTorch's ``coco/bbox_mAP``."""
    start = time.time()
    generate_shapes_dataset(osp.join(work_dir, 'data'), seed=seed, **dataset_kwargs)
    cfg = demo_config(work_dir, config, max_iters, cfg_options)
    cfg.randomness = dict(seed=seed)
    runner = Runner.from_cfg(cfg)
    keep = KeepMetrics()
    runner.register_hook(keep, priority='LOWEST')
    runner.train()
    checkpoint = osp.join(work_dir, f'iter_{runner.iter}.pth')
    png = osp.join(work_dir, 'prediction.png')
    draw_predictions(runner, png)
    if onnx and _onnxruntime_available():
        keep.metrics.update(evaluate_onnx(runner, checkpoint,
                                          osp.join(work_dir, 'model.onnx')))
    keep.metrics['time_s'] = time.time() - start
    return keep.metrics, checkpoint, png


def _onnxruntime_available():
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        print('onnxruntime is not installed: the ONNX export is not evaluated '
              '(pip install onnx onnxruntime, or the package\'s deploy extra)')
        return False
    return True
