_base_ = [
    '../_base_/models/faster-rcnn_fpn.py',
    '../_base_/datasets/coco_detection-600.py',
    '../_base_/schedules/schedule_1x.py', '../_base_/default_runtime.py'
]
pretrained_source = 'mmpretrain'  # input: the base's RGB ImageNet mean/std
model = dict(
    backbone=dict(
        _delete_=True,
        type='ShuffleNetV1',
        groups=3,
        out_indices=(0, 1, 2),
        frozen_stages=0,
        norm_eval=True,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.openmmlab.com/mmclassification/v0/'
            'shufflenet_v1/shufflenet_v1_batch1024_imagenet_20200804-5d6cec73.pth')),
    neck=dict(in_channels=[240, 480, 960]))
