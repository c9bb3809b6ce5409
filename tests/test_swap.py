"""Our backbones dropped into MMDetection's own configs: the backbone and the
neck's input channels change, and with ShuffleNet in a Faster R-CNN FPN the
anchor and RoI strides (the README's recipe)."""
import pytest
from mmdet.registry import MODELS
from mmdet.utils import register_all_modules
from mmengine.config import Config
from mmengine.hub import get_config

import shufflenet_det  # noqa: F401
from doc_blocks import readme_python_blocks
from helpers import check_feature_strides, run_loss_and_predict


@pytest.mark.parametrize('config,backbone,neck', [
    # MobileNet v1 gives strides 4-32 like ResNet: a pure drop-in.
    ('faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py',
     dict(type='MobileNetV1', widen_factor=0.5),
     dict(in_channels=[64, 128, 256, 512])),
    ('retinanet/retinanet_r50_fpn_1x_coco.py',
     dict(type='MobileNetV1', widen_factor=0.25),
     dict(in_channels=[32, 64, 128, 256])),
    # ShuffleNets give only C3-C5, which RetinaNet's FPN starts from:
    # start_level drops from 1 to 0.
    ('retinanet/retinanet_r50_fpn_1x_coco.py',
     dict(type='ShuffleNetV1', groups=3, widen_factor=0.5),
     dict(in_channels=[120, 240, 480], start_level=0)),
    ('retinanet/retinanet_r50_fpn_1x_coco.py',
     dict(type='ShuffleNetV2', widen_factor=0.5, out_indices=(0, 1, 2)),
     dict(in_channels=[48, 96, 192], start_level=0)),
])
def test_backbone_swapped_into_mmdet_config(config, backbone, neck):
    register_all_modules()
    cfg = get_config(f'mmdet::{config}')
    cfg.model.backbone = backbone
    cfg.model.neck.update(neck)
    model = MODELS.build(cfg.model)
    losses = run_loss_and_predict(model, num_classes=80)
    assert any(k.endswith('loss_cls') for k in losses)


def readme_drop_in():
    """The README's ShuffleNet Faster R-CNN FPN, on mmdet's own config."""
    (block, ) = [b for b in readme_python_blocks()
                 if 'mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py' in b]
    return Config.fromstring(block, '.py')


@pytest.mark.parametrize('backbone,in_channels', [
    (None, None),  # the README's ShuffleNet v1 1x g=3 as it stands
    (dict(type='ShuffleNetV2', widen_factor=1.0, out_indices=(0, 1, 2)),
     [116, 232, 464]),
])
def test_readme_drop_in_strides_match_the_features(backbone, in_channels):
    register_all_modules()
    cfg = readme_drop_in()
    if backbone is not None:
        cfg.model.backbone = backbone
        cfg.model.neck.in_channels = in_channels
    model = MODELS.build(cfg.model)
    assert check_feature_strides(model) == [8, 16, 32]
    losses = run_loss_and_predict(model, num_classes=80)
    assert 'loss_rpn_cls' in losses and 'loss_bbox' in losses


def test_backbone_alone_swapped_into_faster_rcnn_fpn_has_wrong_strides():
    """What the README warns about: mmdet's strides 4-64 on ShuffleNet's P3-P7."""
    register_all_modules()
    cfg = get_config('mmdet::faster_rcnn/faster-rcnn_r50_fpn_1x_coco.py')
    cfg.model.backbone = dict(type='ShuffleNetV1', groups=3, widen_factor=0.5)
    cfg.model.neck.in_channels = [120, 240, 480]
    with pytest.raises(AssertionError, match=r'\[4, 8, 16, 32, 64\]'):
        check_feature_strides(MODELS.build(cfg.model))
