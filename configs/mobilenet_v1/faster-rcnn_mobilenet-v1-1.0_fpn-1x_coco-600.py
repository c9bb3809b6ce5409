_base_ = [
    '../_base_/models/faster-rcnn_fpn.py',
    '../_base_/datasets/coco_detection-600.py',
    '../_base_/schedules/schedule_1x.py', 'mmdet::_base_/default_runtime.py'
]
model = dict(
    backbone=dict(
        _delete_=True,
        type='MobileNetV1',
        out_indices=(2, 3, 4),
        frozen_stages=2,  # stride <= 4
        norm_eval=True,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/mobilenet-v1-1.0_imagenet.pth')),
    neck=dict(in_channels=[256, 512, 1024]))
