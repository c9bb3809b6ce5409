"""PretrainedInputCheckHook: converted ImageNet weights that expect another
input normalisation than the detector's stop training before it starts."""
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


def test_weights_for_another_input_normalisation_fail_before_training(tmp_path):
    """mmpretrain v1 g=3 weights (RGB, ImageNet mean/std) have the keys of
    Megvii's, whose config feeds BGR 0-255: the hook stops training."""
    config = C4_CONFIGS[0][0]
    cfg = Config.fromfile(osp.join(ROOT, 'configs', config))
    assert dict(type='PretrainedInputCheckHook') in cfg.custom_hooks
    full = full_backbone(cfg.model.backbone)
    hook = PretrainedInputCheckHook()
    for source, fails in [('mmpretrain', True), ('megvii', False)]:
        path = write_converted(full, source, tmp_path / f'{source}.pth')
        _, detector = c4_detector(config, path)
        detector.init_weights()
        runner = SimpleNamespace(model=detector)
        if fails:
            with pytest.raises(ValueError, match=r"backbone loaded weights that expect "
                               r"the input .*'bgr_to_rgb': True.* \(source "
                               r"'mmpretrain'\).*set model.data_preprocessor mean, "
                               r'std, bgr_to_rgb'):
                hook.before_train(runner)
        else:
            hook.before_train(runner)
