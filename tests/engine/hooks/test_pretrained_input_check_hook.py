"""PretrainedInputCheckHook: ImageNet weights (converted, or recognised and
converted in memory) that expect another input normalisation than the
detector's stop training before it starts."""
import os.path as osp
from types import SimpleNamespace

import pytest
from mmdet.utils import register_all_modules
from mmengine.config import Config

from shufflenet_det.engine import PretrainedInputCheckHook
from helpers import C4_CONFIGS, ROOT, c4_detector, full_backbone, write_converted


@pytest.fixture(scope='module', autouse=True)
def _registry():
    register_all_modules()


def test_weights_for_another_input_normalisation_fail_before_training(
        tmp_path, megvii_v1_checkpoint):
    """Megvii's v1 g=3 weights (BGR 0-255), loaded as published, have the
    architecture of mmpretrain's, whose config feeds RGB with the ImageNet
    mean/std: the hook stops training. A converted mmpretrain file passes."""
    config = C4_CONFIGS[0][0]
    cfg = Config.fromfile(osp.join(ROOT, 'configs', config))
    assert dict(type='PretrainedInputCheckHook') in cfg.custom_hooks
    assert cfg.pretrained_source == 'mmpretrain'
    converted = write_converted(full_backbone(cfg.model.backbone), 'mmpretrain',
                                tmp_path / 'mmpretrain.pth')
    hook = PretrainedInputCheckHook()
    for path, fails in [(str(megvii_v1_checkpoint), True), (converted, False)]:
        _, detector = c4_detector(config, path)
        detector.init_weights()
        runner = SimpleNamespace(model=detector)
        if fails:
            with pytest.raises(ValueError, match=r"backbone loaded weights that expect "
                               r"the input .*'bgr_to_rgb': False.* \(source "
                               r"'megvii'\).*set model.data_preprocessor mean, "
                               r'std, bgr_to_rgb'):
                hook.before_train(runner)
        else:
            hook.before_train(runner)
