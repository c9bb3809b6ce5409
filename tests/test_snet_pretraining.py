"""configs/snet_imagenet: each SNet's ImageNet config builds mmpretrain's
ImageClassifier on the package's SNet with the official training settings;
SNet49's trains a few iterations on a tiny generated classification set, and
the ThunderNet SNet49 detector config loads the checkpoint it writes through
its init_cfg, every backbone tensor (the loader's report), nothing else."""
import glob
import logging
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config

from helpers import ROOT, log_messages

pytest.importorskip('mmpretrain')
IMAGENET_CONFIGS = sorted(glob.glob(osp.join(ROOT, 'configs', 'snet_imagenet',
                                             '*.py')))
DETECTOR = osp.join(ROOT, 'configs', 'thundernet',
                    'thundernet_snet49_cem-80e_coco-320.py')


@pytest.mark.parametrize('path', IMAGENET_CONFIGS, ids=osp.basename)
def test_imagenet_config_builds_the_classifier_of_the_official_settings(path):
    from mmpretrain.registry import MODELS
    from mmpretrain.utils import register_all_modules
    register_all_modules()
    cfg = Config.fromfile(path)
    model = MODELS.build(cfg.model)
    assert type(model.backbone).__name__ == 'SNet'
    with torch.no_grad():
        features = model.extract_feat(torch.zeros(1, 3, 64, 64))
    assert features[-1].shape == (1, cfg.model.head.in_channels)
    assert cfg.model.data_preprocessor.mean == [0., 0., 0.]  # BGR 0-255
    assert cfg.optim_wrapper.optimizer.lr == 0.5
    assert cfg.auto_scale_lr.base_batch_size == 1024
    assert cfg.model.head.loss.label_smooth_val == 0.1


def write_classification_set(root, classes=2, per_class=4):
    rng = np.random.default_rng(0)
    for c in range(classes):
        for i in range(per_class):
            path = root / 'train' / f'class{c}' / f'{i}.png'
            path.parent.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(path), rng.integers(0, 256, (72, 72, 3), np.uint8))


def test_its_checkpoint_loads_into_the_detector_exactly(tmp_path):
    from mmdet.registry import MODELS
    from mmdet.utils import register_all_modules
    from mmengine.runner import Runner
    write_classification_set(tmp_path / 'data')
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'snet_imagenet',
                                   'snet49_8xb128_in1k.py'))
    pipeline = cfg.train_pipeline
    pipeline[1].scale = 64  # RandomResizedCrop
    cfg.merge_from_dict({
        'work_dir': str(tmp_path / 'work'), 'train_cfg.max_iters': 3,
        'param_scheduler.0.end': 3, 'default_hooks.checkpoint.interval': 3,
        'model.head.num_classes': 2, 'model.data_preprocessor.num_classes': 2,
        'train_dataloader.batch_size': 4, 'train_dataloader.num_workers': 0,
        'train_dataloader.dataset': dict(
            _delete_=True, type='CustomDataset', data_root=str(tmp_path / 'data'),
            data_prefix='train', pipeline=pipeline)})
    cfg.val_dataloader = cfg.val_evaluator = cfg.val_cfg = None
    cfg.test_dataloader = cfg.test_evaluator = cfg.test_cfg = None
    Runner.from_cfg(cfg).train()
    checkpoint = str(tmp_path / 'work' / 'iter_3.pth')
    register_all_modules()
    detector_cfg = Config.fromfile(DETECTOR)
    detector_cfg.model.backbone.init_cfg.checkpoint = checkpoint
    backbone = MODELS.build(detector_cfg.model.backbone)
    messages = log_messages(backbone.init_weights, logging.INFO)
    state = torch.load(checkpoint, weights_only=False)['state_dict']
    expected = {k[len('backbone.'):]: v for k, v in state.items()
                if k.startswith('backbone.')}
    tensors = sum(1 for k in expected if not k.endswith('num_batches_tracked'))
    assert f'loaded {tensors} of {tensors} tensors' in ' '.join(messages), messages
    for name, value in backbone.state_dict().items():
        assert torch.equal(value, expected[name]), name
