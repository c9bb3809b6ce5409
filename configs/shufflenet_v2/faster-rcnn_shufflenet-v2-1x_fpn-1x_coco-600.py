_base_ = [
    '../_base_/models/faster-rcnn_fpn.py',
    '../_base_/datasets/coco_detection-600.py',
    '../_base_/schedules/schedule_1x.py', '../_base_/default_runtime.py'
]
model = dict(
    backbone=dict(
        _delete_=True,
        type='ShuffleNetV2',
        num_stages=3,  # Stage2-4 feed the FPN; Conv5 is not built
        out_indices=(0, 1, 2),
        frozen_stages=0,
        norm_eval=True,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='torchvision://shufflenet_v2_x1_0.imagenet1k_v1')),
    neck=dict(in_channels=[116, 232, 464]))
