# mmdet's stock Faster R-CNN FPN head (FPN of 256 channels on P3-P7, RPN and
# 2 x 1024-d FC RoI head, 1000 test proposals, 512 sampled RoIs) on ShuffleNet
# v1 1x g=3, from scratch on the small-object shapes in the demos' 800
# iterations: the accuracy reference of the small-object detectors. Only the
# anchors are the light FPN demo's (8-16 px on P3), so that the comparison is
# of the head's cost, not of its anchors.
_base_ = [
    '../_base_/models/faster-rcnn_fpn.py',
    '../_base_/datasets/shapes-small.py',
    '../_base_/schedules/schedule_shapes-800i.py'
]
model = dict(
    backbone=dict(
        _delete_=True, type='ShuffleNetV1', groups=3, out_indices=(0, 1, 2)),
    neck=dict(in_channels=[240, 480, 960]),
    rpn_head=dict(anchor_generator=dict(scales=[1, 2])),
    roi_head=dict(bbox_head=dict(num_classes=4)))
