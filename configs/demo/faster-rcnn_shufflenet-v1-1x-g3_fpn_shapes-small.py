# The FPN demo's detector (ShuffleNet v1 1x g=3, FPN of 64 channels) on the
# small-object shapes (6-24 px at 320x320), in the ThunderNet demos' 800
# iterations: the reference the small-object ThunderNet is measured against.
_base_ = [
    '../_base_/models/faster-rcnn_shufflenet-v1-1x-g3_fpn_shapes.py',
    '../_base_/datasets/shapes-small.py',
    '../_base_/schedules/schedule_shapes-800i.py'
]

# BatchNorm after each FPN conv, as in the light-FPN COCO configs: from
# scratch it lifts this detector by 0.04-0.06 bbox mAP on each of three seeds
# at the same inference cost (folded into the convs;
# docs/results/small-objects.md). 8-16 px square anchors on P3
# (tools/check_anchors.py: 94 % of the boxes reach IoU 0.3), up to 64-128 px
# on P6.
model = dict(
    neck=dict(norm_cfg=dict(type='BN')),
    rpn_head=dict(anchor_generator=dict(scales=[1, 2])),
    roi_head=dict(bbox_head=dict(num_classes=4)))  # the shapes
