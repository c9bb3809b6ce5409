"""Training, evaluation and resuming through mmengine's Runner, on a tiny
generated dataset and the demo config."""
import json

import pytest
from mmengine.hooks import Hook
from mmengine.runner import Runner

from shufflenet_det.datasets import generate_shapes_dataset
from shufflenet_det.engine import KeepMetricsHook
from shufflenet_det.tools.demo import demo_config


class RecordLosses(Hook):

    def __init__(self):
        self.losses, self.iters = [], []

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        self.losses.append(outputs['loss'].item())
        self.iters.append(runner.iter)


def tiny_config(work_dir, max_iters, checkpoint_interval, batch_size=4):
    cfg = demo_config(str(work_dir), max_iters=max_iters)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].update(num_workers=0, persistent_workers=False)
    cfg.train_dataloader.batch_size = batch_size
    cfg.default_hooks.checkpoint.interval = checkpoint_interval
    cfg.default_hooks.logger.interval = 5
    cfg.randomness = dict(seed=0)
    # Keep every box: after a few iterations scores are low, and CocoMetric
    # returns no metrics at all when no box is predicted.
    cfg.model.test_cfg.rcnn.score_thr = 0.0
    return cfg


def run(cfg):
    runner = Runner.from_cfg(cfg)
    record, metrics = RecordLosses(), KeepMetricsHook()
    runner.register_hook(record)
    runner.register_hook(metrics, priority='LOWEST')
    runner.train()
    return runner, record, metrics.metrics


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    work_dir = tmp_path_factory.mktemp('train')
    generate_shapes_dataset(str(work_dir / 'data'), num_train=16, num_val=8,
                            image_size=96, max_objects=3, min_side=16)
    return (work_dir, *run(tiny_config(work_dir, 40, 20)))


def test_training_loss_falls_and_coco_metric_evaluates(trained):
    work_dir, runner, record, metrics = trained
    assert record.iters == list(range(40))
    first, last = record.losses[:5], record.losses[-5:]
    assert sum(last) / 5 < 0.7 * sum(first) / 5, record.losses
    assert 0 <= metrics['coco/bbox_mAP'] <= 1
    assert {'coco/bbox_mAP_50', 'coco/bbox_mAP_s'} <= set(metrics)
    assert (work_dir / 'iter_20.pth').is_file()
    assert (work_dir / 'iter_40.pth').is_file()


def test_resume_continues_at_the_saved_iteration(trained):
    work_dir = trained[0]
    cfg = tiny_config(work_dir, 40, 20)
    cfg.resume, cfg.load_from = True, str(work_dir / 'iter_20.pth')
    runner, record, _ = run(cfg)
    assert record.iters == list(range(20, 40))
    assert runner.iter == 40


def test_empty_tiny_and_non_square_images_train(tmp_path):
    # (20, 20) is below the total stride of 32; most images hold no shape.
    sizes = [(48, 80), (20, 20), (72, 40), (33, 57)]
    paths = generate_shapes_dataset(str(tmp_path / 'data'), num_train=8,
                                    num_val=4, image_size=sizes, max_objects=1)
    train = json.load(open(paths['train']))
    with_boxes = {a['image_id'] for a in train['annotations']}
    assert len(with_boxes) < len(train['images'])
    assert {(i['height'], i['width']) for i in train['images']} == set(sizes)
    cfg = tiny_config(tmp_path, 3, 3, batch_size=8)
    cfg.train_dataloader.dataset.pipeline = [
        p for p in cfg.train_dataloader.dataset.pipeline if p.type != 'Resize'
    ]
    _, record, metrics = run(cfg)
    assert len(record.losses) == 3
    assert 'coco/bbox_mAP' in metrics
