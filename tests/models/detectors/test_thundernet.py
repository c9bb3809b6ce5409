"""ThunderNet: mmdet's two-stage flow with the RoI head reading the SAM
map; the SAM trains the RPN's feature through the R-CNN loss."""
import copy
import os.path as osp

import pytest
import torch
from mmdet.registry import MODELS
from mmdet.testing import demo_mm_inputs
from mmdet.utils import register_all_modules
from mmengine.config import Config

from shufflenet_det.datasets import generate_shapes_dataset
from helpers import ROOT, run_training, runner_config

CONFIG = osp.join(ROOT, 'configs', 'demo', 'thundernet_snet146_shapes.py')


@pytest.fixture
def model_cfg():
    register_all_modules()
    return copy.deepcopy(Config.fromfile(CONFIG).model)


def batch(model, training):
    packed = demo_mm_inputs(batch_size=2, image_shapes=[(3, 96, 128), (3, 64, 96)],
                            num_items=[3, 2], num_classes=4)
    return model.data_preprocessor(packed, training=training)


def test_roi_head_reads_the_attended_map(model_cfg):
    model = MODELS.build(model_cfg).eval()
    seen = []
    model.roi_head.bbox_roi_extractor.register_forward_pre_hook(
        lambda module, args: seen.append(args[0][0]))
    data = batch(model, training=False)
    with torch.no_grad():
        predictions = model(**data, mode='predict')
        x = model.extract_feat(data['inputs'])
        expected = model.sam(x[0], model.rpn_head.rpn_feature(x[0]))
    assert len(predictions) == 2
    torch.testing.assert_close(seen[0], expected)
    assert not torch.allclose(expected, x[0])


def test_rcnn_loss_trains_the_rpn_feature_through_the_sam(model_cfg):
    model = MODELS.build(model_cfg).train()
    losses = model(**batch(model, training=True), mode='loss')
    assert {'loss_rpn_cls', 'loss_rpn_bbox', 'loss_cls', 'loss_bbox'} <= set(losses)
    rcnn = losses['loss_cls'] + sum(losses['loss_bbox'] if isinstance(
        losses['loss_bbox'], list) else [losses['loss_bbox']])
    rcnn.backward()
    rpn_conv = model.rpn_head.rpn_conv[1].conv.weight
    assert rpn_conv.grad is not None and rpn_conv.grad.abs().sum() > 0
    assert model.rpn_head.rpn_cls.weight.grad is None  # only the RPN loss reaches it
    assert model.sam.conv.weight.grad.abs().sum() > 0


def test_a_detached_sam_leaves_the_rpn_feature_to_the_rpn_loss(model_cfg):
    model_cfg.sam.detach_rpn_feature = True
    model = MODELS.build(model_cfg).train()
    losses = model(**batch(model, training=True), mode='loss')
    losses['loss_cls'].backward()
    assert model.rpn_head.rpn_conv[1].conv.weight.grad is None
    assert model.sam.conv.weight.grad.abs().sum() > 0
    model.zero_grad()
    losses = model(**batch(model, training=True), mode='loss')
    sum(losses['loss_rpn_cls']).backward()
    assert model.rpn_head.rpn_conv[1].conv.weight.grad.abs().sum() > 0


def test_tensor_mode_runs(model_cfg):
    model = MODELS.build(model_cfg).eval()
    with torch.no_grad():
        (cls_score, bbox_pred), = model(**batch(model, training=False), mode='tensor')
    assert cls_score.shape[1] == 5 and bbox_pred.shape[1] == 16


def test_rpn_head_must_be_light(model_cfg):
    model_cfg.rpn_head = dict(type='RPNHead', in_channels=245, feat_channels=256,
                              anchor_generator=model_cfg.rpn_head.anchor_generator,
                              bbox_coder=model_cfg.rpn_head.bbox_coder)
    with pytest.raises(ValueError, match='rpn_head type=RPNHead: ThunderNet needs a '
                       'LightRPNHead'):
        MODELS.build(model_cfg)


def test_backbone_outputs_at_other_strides_are_refused(model_cfg):
    model_cfg.backbone.out_indices = (0, 1)  # strides 8 and 16
    model_cfg.neck.in_channels = [132, 264]
    model = MODELS.build(model_cfg).eval()
    with pytest.raises(ValueError, match="neck's map has stride 8, the RPN anchors "
                       r'assume 16: the backbone must give C4 \(stride 16\)'):
        model.extract_feat(torch.zeros(1, 3, 64, 64))


@pytest.mark.slow
def test_demo_config_learns_its_training_images(tmp_path):
    """100 iterations on 8 images through mmengine's Runner, evaluated on
    those images: the total loss falls to under half its start (the RPN,
    SAM and R-CNN train together) and the bbox mAP rises above 0.1 from the
    level of random boxes (measured: 0.002 untrained, 0.06 after 60
    iterations, 0.26 after these 100)."""
    generate_shapes_dataset(str(tmp_path / 'data'), num_train=8, num_val=1,
                            image_size=96, max_objects=3, min_side=16)
    cfg = runner_config(tmp_path, 100, 100, config=CONFIG)
    for loader in ('val_dataloader', 'test_dataloader'):
        cfg[loader].dataset.update(ann_file='annotations/instances_train.json',
                                   data_prefix=dict(img='train/'))
    cfg.val_evaluator.ann_file = osp.join(tmp_path, 'data', 'annotations',
                                          'instances_train.json')
    cfg.param_scheduler = [dict(type='LinearLR', start_factor=0.1, by_epoch=False,
                                begin=0, end=10)]
    _, record, metrics = run_training(cfg)
    assert record.iters == list(range(100))
    first, last = record.losses[:5], record.losses[-5:]
    assert sum(last) / 5 < 0.5 * sum(first) / 5, record.losses
    assert metrics['coco/bbox_mAP'] > 0.1, metrics
