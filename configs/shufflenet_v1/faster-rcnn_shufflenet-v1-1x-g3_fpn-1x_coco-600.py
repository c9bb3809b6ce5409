_base_ = [
    '../_base_/models/faster-rcnn_fpn.py',
    '../_base_/datasets/coco_detection-600.py',
    '../_base_/schedules/schedule_1x.py', 'mmdet::_base_/default_runtime.py'
]
pretrained_source = 'megvii'
model = dict(
    # Megvii's input: BGR, 0-255, no mean/std.
    data_preprocessor=dict(mean=[0., 0., 0.], std=[1., 1., 1.], bgr_to_rgb=False),
    backbone=dict(
        _delete_=True,
        type='ShuffleNetV1',
        groups=3,
        out_indices=(0, 1, 2),
        frozen_stages=0,
        norm_eval=True,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/shufflenet-v1-1x-g3_imagenet-megvii.pth')),
    neck=dict(in_channels=[240, 480, 960]))
