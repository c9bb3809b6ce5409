# ThunderNet SNet146 trained from scratch on the generated shapes dataset in
# the demo's CPU budget (tools/demo.py --config <this file>). The 128x128
# images are resized to 256x256, so that the 16-56 px objects cover 2-7 cells
# of the stride-16 map ThunderNet reads (its COCO input is 320x320).
_base_ = [
    '../_base_/models/thundernet_snet146.py', '../_base_/datasets/shapes.py',
    '../_base_/schedules/schedule_shapes-800i.py'
]  # 800 iterations: 5.2 min in all on 2 cores, the FPN demo's 1200 4.7
input_size = (256, 256)

model = dict(
    backbone=dict(init_cfg=None),  # from scratch: no ImageNet weights here
    rpn_head=dict(
        # 32-128 px square anchors at stride 16 (the objects are 32-112 px)
        anchor_generator=dict(scales=[2, 4, 8], ratios=[1.0])),
    roi_head=dict(bbox_head=dict(num_classes=4)),
    train_cfg=dict(
        rpn_proposal=dict(nms_pre=1000, max_per_img=300),
        rcnn=dict(sampler=dict(num=128))),
    test_cfg=dict(rpn=dict(nms_pre=500, max_per_img=100)))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=input_size, keep_ratio=False),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=input_size, keep_ratio=False),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor'))
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
