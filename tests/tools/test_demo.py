"""The demo config (``shufflenet_det.tools.demo``) trained, evaluated and
resumed through mmengine's Runner on a tiny generated dataset, its metrics
kept by KeepMetricsHook; and the demo itself (``run_demo``) with its ONNX
export evaluated beside PyTorch."""
import glob
import os.path as osp

import cv2
import numpy as np
import pytest

from shufflenet_det.datasets import generate_shapes_dataset
from helpers import match_rate, run_training, runner_config


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


@pytest.fixture(scope='module')
def demo_run(tmp_path_factory):
    """The demo, trained for 40 iterations on 8 images at 64x64, then
    exported and evaluated in ONNX Runtime by the demo itself."""
    from shufflenet_det.tools.demo import run_demo
    work_dir = str(tmp_path_factory.mktemp('demo'))
    loader = dict(num_workers=0, persistent_workers=False)
    size = (64, 64)
    metrics, checkpoint, _ = run_demo(
        work_dir, max_iters=40, num_train=8, num_val=4, image_size=64,
        cfg_options={
            'train_dataloader': dict(batch_size=4, **loader),
            'val_dataloader': loader, 'test_dataloader': loader,
            'param_scheduler': [],
            # the Resize of each pipeline (the export reads the test one)
            'train_dataloader.dataset.pipeline.2.scale': size,
            'val_dataloader.dataset.pipeline.1.scale': size,
            'test_dataloader.dataset.pipeline.1.scale': size})
    return work_dir, metrics, checkpoint


def test_demo_reports_onnx_map_beside_pytorch(demo_run):
    _, metrics, _ = demo_run
    assert 'onnx/bbox_mAP' in metrics, metrics
    assert abs(metrics['onnx/bbox_mAP'] - metrics['coco/bbox_mAP']) <= 0.005, metrics


def test_demo_export_boxes_match_pytorch(demo_run):
    """Through the runner (image file in, original-image boxes out) against
    mmdet's inference on the same files: every box above the config's score
    threshold (0.05; so briefly trained, the model scores none >= 0.3)."""
    from mmdet.apis import inference_detector, init_detector

    from shufflenet_det.deploy import OnnxDetector
    work_dir, _, checkpoint = demo_run
    detector = OnnxDetector(osp.join(work_dir, 'model.onnx'))
    config = glob.glob(osp.join(work_dir, '*.py'))[0]  # as the runner saved it
    model = init_detector(config, checkpoint, device='cpu')
    compared = 0
    for path in sorted(glob.glob(osp.join(work_dir, 'data', 'val', '*.png'))):
        actual = detector(path)
        expected = inference_detector(model, path).pred_instances.numpy()
        actual, expected = (
            {key: result[key] for key in ('bboxes', 'scores', 'labels')}
            for result in (actual, expected))
        compared += len(expected['scores'])
        from_array = detector(cv2.imread(path))  # as cv2 reads it: BGR
        for key in ('bboxes', 'scores', 'labels'):
            np.testing.assert_array_equal(from_array[key], actual[key])
        assert match_rate(actual, expected) >= 0.95
        assert match_rate(expected, actual) >= 0.95
    assert compared > 0, 'no box predicted: train the demo model longer'
