_base_ = [
    '../_base_/models/faster-rcnn_fpn.py',
    '../_base_/datasets/coco_detection-600.py',
    '../_base_/schedules/schedule_1x.py', '../_base_/default_runtime.py'
]
pretrained_source = 'timm'
model = dict(
    # timm's input: RGB, mean and std 0.5 on [0, 1].
    data_preprocessor=dict(
        mean=[127.5, 127.5, 127.5], std=[127.5, 127.5, 127.5], bgr_to_rgb=True),
    backbone=dict(
        _delete_=True,
        type='MobileNetV1',
        act_cfg=dict(type='ReLU6'),
        out_indices=(2, 3, 4),
        frozen_stages=2,  # stride <= 4
        norm_eval=True,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/mobilenet-v1-1.0_imagenet-timm.pth')),
    neck=dict(in_channels=[256, 512, 1024]))
