"""Loading ImageNet weights (shufflenet_det.models.pretrained): strict about
what each module owns, silent about the other side of the C4 split, and
checked against the metadata of converted files."""
import logging
import os.path as osp
from types import SimpleNamespace

import pytest
import torch
from mmdet.registry import MODELS
from mmdet.utils import register_all_modules
from mmengine.config import Config
from mmengine.logging import MMLogger

from shufflenet_det.converters import Converted, save_converted
from shufflenet_det.engine import PretrainedInputCheckHook
from helpers import ROOT, randomise_batch_norm

# Table 7 C4 configs: (config, source its weights come from)
C4_CONFIGS = [
    ('shufflenet_v1/faster-rcnn_shufflenet-v1-1x-g3_c4-1x_coco-300.py', 'megvii'),
    ('shufflenet_v2/faster-rcnn_shufflenet-v2-1x_c4-1x_coco-300.py', 'torchvision'),
    ('mobilenet_v1/faster-rcnn_mobilenet-v1-1.0_c4-1x_coco-300.py', 'timm'),
]


@pytest.fixture(scope='module', autouse=True)
def _registry():
    register_all_modules()


def full_backbone(cfg):
    """The whole backbone ``cfg`` describes, every stage returned, random
    weights and BN statistics, eval mode."""
    cfg = dict(cfg, num_stages=None, out_indices=None, frozen_stages=-1,
               init_cfg=None)
    cfg = {k: v for k, v in cfg.items() if v is not None}
    model = MODELS.build(cfg)
    model = MODELS.build(dict(cfg, out_indices=tuple(range(model.num_stages))))
    for param in model.parameters():
        param.data.normal_(0, 0.1)
    return randomise_batch_norm(model).eval()


def write_converted(model, source, path, **backbone_cfg):
    backbone_cfg = dict(model.architecture, **backbone_cfg)
    save_converted(Converted(backbone_cfg, model.state_dict(), {}), source, str(path))
    return str(path)


def c4_detector(config, checkpoint):
    cfg = Config.fromfile(osp.join(ROOT, 'configs', config))
    cfg.model.backbone.init_cfg.checkpoint = checkpoint
    cfg.model.roi_head.shared_head.init_cfg.checkpoint = checkpoint
    return cfg, MODELS.build(cfg.model)


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
