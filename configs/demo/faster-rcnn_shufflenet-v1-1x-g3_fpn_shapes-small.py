# The FPN demo's detector (ShuffleNet v1 1x g=3, FPN of 64 channels) on the
# small-object shapes (6-24 px at 320x320), in the ThunderNet demos' 800
# iterations: the reference the small-object ThunderNet is measured against.
_base_ = [
    '../_base_/models/faster-rcnn_fpn.py',
    '../_base_/datasets/shapes-small.py',
    '../_base_/schedules/schedule_shapes-800i.py'
]

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
        # 8-16 px square anchors on P3 (tools/check_anchors.py: 94 % of the
        # boxes reach IoU 0.3), up to 64-128 px on P6.
        anchor_generator=dict(
            scales=[1, 2], ratios=[1.0], strides=[8, 16, 32, 64])),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=64, featmap_strides=[8, 16, 32]),
        bbox_head=dict(in_channels=64, fc_out_channels=256, num_classes=4)),
    train_cfg=dict(
        rpn_proposal=dict(nms_pre=1000, max_per_img=300),
        rcnn=dict(sampler=dict(num=128))),
    test_cfg=dict(rpn=dict(nms_pre=500, max_per_img=100)))
