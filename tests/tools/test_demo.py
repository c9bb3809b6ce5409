"""The demo config (``shufflenet_det.tools.demo``) trained, evaluated and
resumed through mmengine's Runner on a tiny generated dataset, its metrics
kept by KeepMetricsHook."""
import pytest

from shufflenet_det.datasets import generate_shapes_dataset
from helpers import run_training, runner_config


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    work_dir = tmp_path_factory.mktemp('train')
    generate_shapes_dataset(str(work_dir / 'data'), num_train=16, num_val=8,
                            image_size=96, max_objects=3, min_side=16)
    return (work_dir, *run_training(runner_config(work_dir, 40, 20)))


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
    cfg = runner_config(work_dir, 40, 20)
    cfg.resume, cfg.load_from = True, str(work_dir / 'iter_20.pth')
    runner, record, _ = run_training(cfg)
    assert record.iters == list(range(20, 40))
    assert runner.iter == 40
