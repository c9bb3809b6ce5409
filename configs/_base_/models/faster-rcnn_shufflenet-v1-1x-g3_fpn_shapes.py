# The CPU demo's detector: ShuffleNet v1 1x g=3 Faster R-CNN with an FPN of
# 64 channels, from scratch, sized for the generated shapes' objects
# (shufflenet_det.datasets.synthetic_shapes); the demo configs add the data
# and its class count.
_base_ = './faster-rcnn_fpn.py'

model = dict(
    backbone=dict(
        _delete_=True,
        type='ShuffleNetV1',
        groups=3,
        out_indices=(0, 1, 2)),
    neck=dict(in_channels=[240, 480, 960], out_channels=64, num_outs=4),
    rpn_head=dict(
        in_channels=64,
        feat_channels=64,
        # Objects are 12-56 px and square: 12-192 px square anchors on P3-P6.
        # (Two per position: with one, mmdet's RPN fails on a 1x1 level.)
        anchor_generator=dict(
            scales=[1.5, 3], ratios=[1.0], strides=[8, 16, 32, 64])),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=64, featmap_strides=[8, 16, 32]),
        bbox_head=dict(in_channels=64, fc_out_channels=256)),
    train_cfg=dict(
        rpn_proposal=dict(nms_pre=1000, max_per_img=300),
        rcnn=dict(sampler=dict(num=128))),
    test_cfg=dict(rpn=dict(nms_pre=500, max_per_img=100)))
