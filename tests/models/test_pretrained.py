"""Loading ImageNet weights (shufflenet_det.models.pretrained): strict about
what each module owns, silent about the other side of the C4 split, and
checked against the metadata of converted files."""
import logging
import os.path as osp

import pytest
import torch
from mmdet.registry import MODELS
from mmdet.utils import register_all_modules
from mmengine.config import Config
from mmengine.logging import MMLogger

from helpers import C4_CONFIGS, ROOT, c4_detector, full_backbone, write_converted


@pytest.fixture(scope='module', autouse=True)
def _registry():
    register_all_modules()


def warnings_of(function):
    logger = MMLogger.get_current_instance()
    records = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = records.append
    logger.addHandler(handler)
    try:
        function()
    finally:
        logger.removeHandler(handler)
    return [r.getMessage() for r in records]


@pytest.mark.parametrize('config,source', C4_CONFIGS)
def test_c4_backbone_and_head_compute_the_full_backbone(config, source, tmp_path):
    """Through the real config: one converted file feeds backbone and head,
    without a warning, and head(backbone(x)) is the full backbone's output."""
    cfg = Config.fromfile(osp.join(ROOT, 'configs', config))
    full = full_backbone(cfg.model.backbone)
    path = write_converted(full, source, tmp_path / 'weights.pth')
    _, detector = c4_detector(config, path)
    assert warnings_of(detector.init_weights) == []
    detector.eval()
    first_stage = cfg.model.roi_head.shared_head.first_stage
    x = torch.randn(1, 3, 96, 128)
    with torch.no_grad():
        expected = full(x)
        (features, ) = detector.backbone(x)
        torch.testing.assert_close(features, expected[first_stage - 1])
        torch.testing.assert_close(detector.roi_head.shared_head(features),
                                   expected[-1])


def test_prefixed_keys_without_prefix_fail_and_name_the_prefix(tmp_path):
    model = full_backbone(dict(type='ShuffleNetV1', groups=3, widen_factor=0.5))
    path = str(tmp_path / 'mmdet.pth')
    torch.save(dict(state_dict={f'backbone.{k}': v
                                for k, v in model.state_dict().items()}), path)
    init_cfg = dict(type='Pretrained', checkpoint=path)
    backbone = MODELS.build(dict(type='ShuffleNetV1', groups=3, widen_factor=0.5,
                                 init_cfg=init_cfg))
    with pytest.raises(ValueError, match=r"mmdet.pth does not fit this ShuffleNetV1 "
                       r"\(\d+ tensors\): \d+ missing: conv1.conv.weight.*"
                       r"set prefix='backbone.' in init_cfg"):
        backbone.init_weights()
    # With the prefix it loads, and keys without it (a head) are ignored.
    backbone = MODELS.build(dict(type='ShuffleNetV1', groups=3, widen_factor=0.5,
                                 init_cfg=dict(init_cfg, prefix='backbone.')))
    backbone.init_weights()
    for key, value in model.state_dict().items():
        torch.testing.assert_close(backbone.state_dict()[key], value, msg=key)


def test_unconverted_torchvision_file_fails_and_says_convert(tmp_path):
    import torchvision
    path = str(tmp_path / 'shufflenet_v2_x1_0.pth')
    torch.save(torchvision.models.shufflenet_v2_x1_0().state_dict(), path)
    _, detector = c4_detector(C4_CONFIGS[1][0], path)
    with pytest.raises(ValueError, match=r'none of its keys is in this project.s '
                       r'layout: convert it with tools/convert_weights.py'):
        detector.init_weights()


def test_weights_of_another_variant_fail_and_name_the_argument(tmp_path):
    """Megvii v2 weights (converted for variant='megvii') into the default
    torchvision-layout v2 config."""
    cfg = Config.fromfile(osp.join(ROOT, 'configs', C4_CONFIGS[1][0]))
    megvii = full_backbone(dict(cfg.model.backbone, variant='megvii'))
    path = write_converted(megvii, 'megvii', tmp_path / 'megvii.pth')
    _, detector = c4_detector(C4_CONFIGS[1][0], path)
    with pytest.raises(ValueError, match=r"variant: checkpoint 'megvii' != model "
                       r"'torchvision'. Set these arguments"):
        detector.init_weights()
    # Without metadata, the keys alone still catch it: 10 tensors differ.
    torch.save(megvii.state_dict(), path)
    with pytest.raises(ValueError, match=r'10 of another shape: .*Likely cause: it '
                       r'holds another architecture'):
        detector.init_weights()


def test_explicit_partial_loading(tmp_path):
    model = full_backbone(dict(type='MobileNetV1', widen_factor=0.25))
    state = model.state_dict()
    del state['layers.4.1.pointwise_conv.conv.weight']
    path = str(tmp_path / 'partial.pth')
    torch.save(state, path)
    cfg = dict(type='MobileNetV1', widen_factor=0.25,
               init_cfg=dict(type='Pretrained', checkpoint=path))
    with pytest.raises(ValueError, match='1 missing: layers.4.1.pointwise_conv'):
        MODELS.build(cfg).init_weights()
    backbone = MODELS.build(dict(cfg, init_cfg=dict(cfg['init_cfg'], strict=False)))
    assert any('1 missing' in w for w in warnings_of(backbone.init_weights))
    torch.testing.assert_close(backbone.layers[0][0].depthwise_conv.conv.weight,
                               model.layers[0][0].depthwise_conv.conv.weight)
