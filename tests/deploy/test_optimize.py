"""optimize_for_inference changes speed, not results."""
import copy
import os.path as osp

import pytest
import torch
from mmdet.registry import MODELS
from mmdet.utils import register_all_modules
from mmengine.config import Config
from torch.nn.modules.batchnorm import _BatchNorm

from shufflenet_det import optimize_for_inference
from helpers import ROOT, randomise_batch_norm

BACKBONES = [
    dict(type='ShuffleNetV1', groups=3),
    dict(type='ShuffleNetV1', groups=8, widen_factor=0.5, variant='megvii'),
    dict(type='ShuffleNetV2', out_indices=(0, 1, 2, 3)),
    dict(type='ShuffleNetV2', variant='megvii', out_indices=(0, 1, 2, 3)),
    dict(type='MobileNetV1', widen_factor=0.5, out_indices=(1, 2, 3, 4)),
]


@pytest.fixture(scope='module', autouse=True)
def _registry():
    register_all_modules()


@pytest.mark.parametrize('cfg', BACKBONES, ids=lambda cfg: str(sorted(cfg.items())))
@pytest.mark.parametrize('fuse_bn,channels_last', [(True, True), (True, False),
                                                   (False, True)])
def test_backbone_outputs_unchanged(cfg, fuse_bn, channels_last):
    model = randomise_batch_norm(MODELS.build(cfg)).eval()
    fast = optimize_for_inference(copy.deepcopy(model), fuse_bn, channels_last)
    has_batch_norm = any(isinstance(m, _BatchNorm) for m in fast.modules())
    assert has_batch_norm != fuse_bn
    x = torch.randn(1, 3, 97, 131)
    with torch.no_grad():
        expected, outputs = model(x), fast(x)
    assert len(outputs) == len(expected)
    for out, ref in zip(outputs, expected):
        assert out.is_contiguous(memory_format=torch.channels_last) == channels_last
        torch.testing.assert_close(out, ref, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize('separable_roi_align', [True, False])
@pytest.mark.parametrize('config', [
    'shufflenet_v1/faster-rcnn_shufflenet-v1-1x-g3_c4-1x_coco-600.py',
    'shufflenet_v2/faster-rcnn_shufflenet-v2-1x_fpn-1x_coco-600.py',
])
def test_detector_features_and_roi_head_unchanged(config, separable_roi_align):
    """Backbone/neck features and the RoI head's scores on fixed boxes: the
    RoI extractor reads NHWC features here, which mmcv's RoIAlign gets wrong
    unless it is handed NCHW."""
    model = randomise_batch_norm(MODELS.build(
        Config.fromfile(osp.join(ROOT, 'configs', config)).model)).eval()
    fast = optimize_for_inference(copy.deepcopy(model),
                                  separable_roi_align=separable_roi_align)
    x = torch.randn(1, 3, 160, 224)
    rois = torch.tensor([[0, 8., 8., 120., 100.], [0, 60., 30., 220., 150.],
                         [0, 0., 0., 40., 40.]])
    with torch.no_grad():
        expected, features = model.extract_feat(x), fast.extract_feat(x)
        for out, ref in zip(features, expected):
            assert out.is_contiguous(memory_format=torch.channels_last)
            torch.testing.assert_close(out, ref, rtol=1e-4, atol=1e-4)
        ref_head = model.roi_head._bbox_forward(expected, rois)
        fast_head = fast.roi_head._bbox_forward(features, rois)
    for key in ('cls_score', 'bbox_pred'):
        torch.testing.assert_close(fast_head[key], ref_head[key], rtol=1e-4,
                                   atol=1e-4)


def test_folded_model_refuses_to_train():
    model = optimize_for_inference(MODELS.build(dict(type='ShuffleNetV1')))
    model.train()
    with pytest.raises(RuntimeError, match='ShuffleNetV1 had its BatchNorm'):
        model(torch.randn(1, 3, 64, 64))


def test_refuses_to_fold_batch_norm_that_does_more():
    """timm's BatchNormAct2d applies its activation too: folding would drop it."""
    import timm
    model = timm.create_model('mobilenetv1_100')
    with pytest.raises(ValueError, match=r"cannot fold 'bn1': "
                       r'timm\.layers\.norm_act\.BatchNormAct2d overrides'):
        optimize_for_inference(model)
    optimize_for_inference(model, fuse_bn=False)  # layout only: allowed


@pytest.mark.parametrize('cfg', [
    dict(type='ShuffleNetV1', groups=3, widen_factor=0.5),
    dict(type='ShuffleNetV1', groups=8, widen_factor=0.5, variant='megvii'),
    dict(type='ShuffleNetV1', groups=3, widen_factor=0.5, num_stages=2,
         out_indices=(1, ))], ids=['g3', 'g8-megvii', 'c4-split'])
@pytest.mark.parametrize('fold_shuffle', [True, False])
def test_densified_grouped_convs_compute_the_same(cfg, fold_shuffle):
    """Dense block-diagonal 1x1 convs (and the shuffle folded into them):
    no grouped 1x1 conv left, the same outputs."""
    from shufflenet_det.deploy import densify_grouped_convs
    model = randomise_batch_norm(MODELS.build(cfg)).eval()
    dense = densify_grouped_convs(copy.deepcopy(model), fold_shuffle)
    assert not [m for m in dense.modules() if isinstance(m, torch.nn.Conv2d)
                and 1 < m.groups < m.in_channels]
    assert all(unit.groups == (1 if fold_shuffle else cfg['groups'])
               for unit in dense.modules() if hasattr(unit, 'inverse_shuffle'))
    x = torch.randn(1, 3, 64, 96)
    with torch.no_grad():
        for out, ref in zip(dense(x), model(x), strict=True):
            torch.testing.assert_close(out, ref, rtol=1e-4, atol=1e-4)
