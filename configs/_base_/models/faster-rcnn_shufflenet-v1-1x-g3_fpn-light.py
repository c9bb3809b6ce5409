# A real-time Faster R-CNN FPN head for small objects on ShuffleNet v1 1x g=3
# (mmpretrain's ImageNet weights), the small-shapes demo's light head
# (configs/demo/faster-rcnn_shufflenet-v1-1x-g3_fpn_shapes-small.py): a
# 64-channel FPN on P3-P7 with BatchNorm after each conv, and RPN, two 256-d
# FCs, 300 training and 100 test proposals, 128 sampled RoIs, and anchors from
# 8 px on P3 (8-256 px: scales 1 and 2 of each stride). On the small shapes,
# from scratch, this head beats mmdet's stock FPN head (256 channels, 2 x
# 1024-d FCs, 1000 proposals) at a twentieth of its time, and the BN lifts it
# on each of three seeds at no inference cost (docs/results/small-objects.md;
# not measured on COCO).
_base_ = './faster-rcnn_shufflenet-v1-1x-g3_fpn.py'

model = dict(
    neck=dict(out_channels=64, norm_cfg=dict(type='BN')),
    rpn_head=dict(
        in_channels=64,
        feat_channels=64,
        anchor_generator=dict(scales=[1, 2], strides=[8, 16, 32, 64, 128])),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=64),
        bbox_head=dict(in_channels=64, fc_out_channels=256)),
    train_cfg=dict(
        rpn_proposal=dict(nms_pre=1000, max_per_img=300),
        rcnn=dict(sampler=dict(num=128))),
    test_cfg=dict(rpn=dict(nms_pre=500, max_per_img=100)))
