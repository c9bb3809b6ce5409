"""The demo config (``shufflenet_det.tools.demo``) trained, evaluated and
resumed through mmengine's Runner on a tiny generated dataset, its metrics
kept by KeepMetricsHook; and the demo itself (``run_demo``) with its ONNX
export evaluated beside PyTorch."""
import glob
import importlib.util
import os
import os.path as osp

import cv2
import numpy as np
import pytest

from shufflenet_det.datasets import generate_shapes_dataset
from shufflenet_det.tools.demo import (DEMO_CONFIG, check_work_dir, default_work_dir,
                                       demo_config)
from helpers import ROOT, TOP_K, match_rate, run_training, runner_config, tool_error


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    work_dir = tmp_path_factory.mktemp('train')
    generate_shapes_dataset(str(work_dir / 'data'), num_train=16, num_val=8,
                            image_size=96, max_objects=3, min_side=16)
    return (work_dir, *run_training(runner_config(work_dir, 40, 20)))


@pytest.mark.slow
def test_training_loss_falls_and_coco_metric_evaluates(trained):
    work_dir, runner, record, metrics = trained
    assert record.iters == list(range(40))
    first, last = record.losses[:5], record.losses[-5:]
    assert sum(last) / 5 < 0.7 * sum(first) / 5, record.losses
    assert 0 <= metrics['coco/bbox_mAP'] <= 1
    assert {'coco/bbox_mAP_50', 'coco/bbox_mAP_s'} <= set(metrics)
    assert (work_dir / 'iter_20.pth').is_file()
    assert (work_dir / 'iter_40.pth').is_file()


@pytest.mark.slow
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


@pytest.mark.slow
def test_demo_reports_onnx_map_beside_pytorch(demo_run):
    _, metrics, _ = demo_run
    assert 'onnx/bbox_mAP' in metrics, metrics
    assert abs(metrics['onnx/bbox_mAP'] - metrics['coco/bbox_mAP']) <= 0.005, metrics
    if importlib.util.find_spec('openvino') is not None:  # bf16 rounds: close only
        assert abs(metrics['bf16/bbox_mAP'] - metrics['onnx/bbox_mAP']) <= 0.05, metrics
    if importlib.util.find_spec('MNN') is not None:
        assert abs(metrics['mnn/bbox_mAP'] - metrics['onnx/bbox_mAP']) <= 0.005, metrics
        # int8 weights, where this barely trained model passes the self-check
        assert abs(metrics.get('mnn-int8-weights/bbox_mAP', metrics['mnn/bbox_mAP'])
                   - metrics['mnn/bbox_mAP']) <= 0.05, metrics


@pytest.mark.slow
def test_demo_export_boxes_match_pytorch(demo_run):
    """Through the runner (image file in, original-image boxes out) against
    mmdet's inference on the same files: every box above the config's score
    threshold (0.05; so briefly trained, the model scores none >= 0.3)."""
    from mmdet.apis import inference_detector, init_detector

    from shufflenet_det.runtime import Detector
    work_dir, _, checkpoint = demo_run
    detector = Detector(osp.join(work_dir, 'model.onnx'))
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


@pytest.mark.slow
def test_demo_reports_int8_map_beside_fp32(demo_run):
    work_dir, metrics, _ = demo_run
    assert {'int8/bbox_mAP', 'int8/bbox_mAP_50'} <= set(metrics), metrics
    assert abs(metrics['int8/bbox_mAP'] - metrics['onnx/bbox_mAP']) <= 0.05, metrics
    assert osp.isfile(osp.join(work_dir, 'model_int8.onnx'))


def int8_agreement(int8_file, fp32_file, images, top=10):
    """Share of the ``top`` best fp32 detections per image that the int8
    file finds too: same label, IoU >= 0.9, score within 0.02."""
    from shufflenet_det.runtime import Detector
    int8, fp32 = Detector(int8_file), Detector(fp32_file)
    rates = []
    for path in images:
        expected = {key: value[:top] for key, value in fp32(path).items()}
        assert len(expected['scores']) == top
        rates.append(match_rate(expected, int8(path), 0.9, score_atol=0.02))
    return sum(rates) / len(rates)


@pytest.mark.slow
def test_demo_int8_detections_agree_with_fp32(demo_run, tmp_path):
    """The demo's model exported keeping every box (so briefly trained, it
    scores none above 0.1), quantized as the demo does (ONNX Runtime QDQ,
    calibrated on the training images): its best boxes on the held-out
    images are the fp32 ones. Calibrated on one black image instead, so that
    activation ranges are wrong, it measured 0.5-0.9 per image here, 0.73 in
    all: the check can fail."""
    from shufflenet_det.deploy import export_onnx
    from shufflenet_det.deploy.quantize import quantize_detector, quantize_model
    work_dir, _, checkpoint = demo_run
    config = osp.join(work_dir, 'config.py')
    fp32_file, int8_file = str(tmp_path / 'fp32.onnx'), str(tmp_path / 'int8.onnx')
    export_onnx(config, checkpoint, fp32_file, cfg_options=TOP_K)
    quantize_detector(config, fp32_file, int8_file, 8, 'train')
    images = sorted(glob.glob(osp.join(work_dir, 'data', 'val', '*.png')))
    assert int8_agreement(int8_file, fp32_file, images) >= 0.9
    broken = str(tmp_path / 'black.onnx')
    quantize_model(fp32_file, broken, [np.zeros((1, 3, 64, 64), np.float32)])
    assert int8_agreement(broken, fp32_file, images) < 0.9


@pytest.mark.parametrize(
    'max_iters,ends', [(1600, [100, 1600]), (400, [100, 400]), (50, [50, 50])])
def test_max_iters_moves_the_decay_to_the_new_end(tmp_path, max_iters, ends):
    config = osp.join(ROOT, 'configs', 'demo',
                      'thundernet_snet146_cem-s8_shapes-small.py')
    cfg = demo_config(str(tmp_path), config, max_iters=max_iters)
    assert [s.end for s in cfg.param_scheduler] == ends
    assert cfg.train_cfg.max_iters == cfg.default_hooks.checkpoint.interval == max_iters


def test_demo_refuses_bad_arguments_before_generating_data(tmp_path):
    work = tmp_path / 'work'
    assert tool_error('tools/demo.py', '--max-iters', '0', '--work-dir', work) == (
        '--max-iters 0: allowed: 1 or more')
    (tmp_path / 'file').write_text('')
    assert tool_error('tools/demo.py', '--work-dir', tmp_path / 'file') == (
        f'--work-dir {tmp_path / "file"} is a file; allowed: a folder (created if '
        'missing)')
    assert not work.exists()
    assert tool_error('tools/demo.py', '--work-dir', work, '--cfg-options',
                      'model.backbone.widen_factr=1.0') == (
        '--cfg-options model.backbone.widen_factr: model.backbone.widen_factr is not '
        'in the config; allowed: keys of the config, or '
        '+model.backbone.widen_factr=... to add it')
    assert not work.exists()
    assert tool_error('tools/demo.py', '--work-dir', tmp_path / 'file' / 'w') == (
        f'--work-dir {tmp_path / "file" / "w"}: {tmp_path / "file"} is a file, not a '
        'folder; allowed: a folder path (made if missing)')


def test_demos_of_two_configs_never_share_a_work_dir(tmp_path):
    """mmdet's default work dir per config; a work dir holding another
    config's demo refused before anything is written."""
    thundernet = osp.join(ROOT, 'configs', 'demo', 'thundernet_snet146_shapes.py')
    assert default_work_dir(DEMO_CONFIG) == osp.join(
        'work_dirs', 'faster-rcnn_shufflenet-v1-1x-g3_fpn_shapes')
    work = tmp_path / 'work'
    demo_config(str(work), DEMO_CONFIG)
    check_work_dir(str(work), DEMO_CONFIG)  # the same config's: replaced
    before = sorted(os.listdir(work))
    message = tool_error('tools/demo.py', '--config', thundernet, '--work-dir', work)
    assert message.startswith(f'--work-dir {work} holds the demo of '
                              f"'{osp.abspath(DEMO_CONFIG)}'"), message
    assert sorted(os.listdir(work)) == before


def test_a_work_dir_with_quotes_gives_a_config_that_reads(tmp_path):
    work = str(tmp_path / 'o\'brien "x"')
    cfg = demo_config(work)
    assert cfg.train_dataloader.dataset.data_root == osp.join(work, 'data', '')
