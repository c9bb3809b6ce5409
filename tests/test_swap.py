"""Our backbones dropped into MMDetection's own configs: only the backbone and
the neck's input channels change."""
import pytest
from mmdet.registry import MODELS
from mmdet.utils import register_all_modules
from mmengine.hub import get_config

import shufflenet_det  # noqa: F401


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
def test_backbone_swapped_into_mmdet_config(config, backbone, neck,
                                            run_loss_and_predict):
    register_all_modules()
    cfg = get_config(f'mmdet::{config}')
    cfg.model.backbone = backbone
    cfg.model.neck.update(neck)
    model = MODELS.build(cfg.model)
    losses = run_loss_and_predict(model, num_classes=80)
    assert any(k.endswith('loss_cls') for k in losses)
