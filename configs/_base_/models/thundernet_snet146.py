# ThunderNet (Qin et al., ICCV 2019, arXiv:1903.11752) on SNet146: SNet C4/C5
# -> CEM (245 = 5 x 7 x 7 channels, stride 16) -> light RPN (5x5 depthwise +
# 1x1 to 256, 25 anchors) -> SAM -> PSRoIAlign (7x7 bins x 5 channels) ->
# R-CNN of one 1024-d FC. Settings: the paper's where it states them, else
# the official code's (qinzheng93/ThunderNet, config/ThunderNet.py), as noted.

# The official SNet146 ImageNet weights (snet-training) take BGR 0-255 without
# mean/std (its ToBGRTensor); the official detector config normalises with the
# ImageNet mean/std instead, which does not match them: here the weights win.
pretrained_source = 'thundernet'

model = dict(
    type='ThunderNet',
    data_preprocessor=dict(
        type='DetDataPreprocessor',
        mean=[0., 0., 0.],
        std=[1., 1., 1.],
        bgr_to_rgb=False,
        pad_size_divisor=32),  # C4 must be exactly 2x C5 for the CEM
    backbone=dict(
        type='SNet',
        arch=146,
        out_indices=(1, 2),  # C4 (Stage3, stride 16), C5 (Stage4, stride 32)
        frozen_stages=-1,  # nothing frozen, BN trains (official code)
        norm_eval=False,
        # The official file as published (weights/ of qinzheng93/ThunderNet),
        # recognised and converted in memory.
        init_cfg=dict(
            type='Pretrained', checkpoint='checkpoints/snet146-300000.pth.tar')),
    neck=dict(type='CEM', in_channels=[264, 528], out_channels=245),
    rpn_head=dict(
        type='LightRPNHead',
        in_channels=245,
        feat_channels=256,
        kernel_size=5,
        # 25 anchors on the stride-16 map: 32-512 px, ratios 1:2 to 2:1.
        anchor_generator=dict(
            type='AnchorGenerator',
            scales=[2, 4, 8, 16, 32],
            ratios=[0.5, 0.75, 1.0, 4 / 3, 2.0],
            strides=[16]),
        bbox_coder=dict(
            type='DeltaXYWHBBoxCoder',
            target_means=[0., 0., 0., 0.],
            target_stds=[1.0, 1.0, 1.0, 1.0]),
        loss_cls=dict(
            type='CrossEntropyLoss', use_sigmoid=True, loss_weight=1.0),
        loss_bbox=dict(type='L1Loss', loss_weight=1.0)),
    sam=dict(type='SAM', in_channels=256, out_channels=245),
    roi_head=dict(
        type='StandardRoIHead',
        bbox_roi_extractor=dict(
            type='PSRoIExtractor',
            roi_layer=dict(type='PSRoIAlign', output_size=7, sampling_ratio=2),
            out_channels=5,
            featmap_strides=[16]),
        bbox_head=dict(
            # The paper's single 1024-d FC; the official config has two
            # (num_shared_fcs=2, i.e. mmdet's Shared2FCBBoxHead).
            type='ConvFCBBoxHead',
            num_shared_fcs=1,
            in_channels=5,
            roi_feat_size=7,
            fc_out_channels=1024,
            num_classes=80,
            bbox_coder=dict(
                type='DeltaXYWHBBoxCoder',
                target_means=[0., 0., 0., 0.],
                target_stds=[0.1, 0.1, 0.2, 0.2]),
            reg_class_agnostic=False,
            loss_cls=dict(
                type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
            loss_bbox=dict(type='L1Loss', loss_weight=1.0))),
    train_cfg=dict(
        rpn=dict(
            assigner=dict(
                type='MaxIoUAssigner',
                pos_iou_thr=0.7,
                neg_iou_thr=0.3,
                min_pos_iou=0.3,
                match_low_quality=True,
                ignore_iof_thr=-1),
            sampler=dict(
                type='RandomSampler',
                num=256,
                pos_fraction=0.5,
                neg_pos_ub=-1,
                add_gt_as_proposals=False),
            allowed_border=-1,
            pos_weight=-1,
            debug=False),
        # The paper: 2000 proposals before and 1000 after NMS in training.
        rpn_proposal=dict(
            nms_pre=2000,
            max_per_img=1000,
            nms=dict(type='nms', iou_threshold=0.7),
            min_bbox_size=0),
        rcnn=dict(
            assigner=dict(
                type='MaxIoUAssigner',
                pos_iou_thr=0.5,
                neg_iou_thr=0.5,
                min_pos_iou=0.5,
                match_low_quality=False,
                ignore_iof_thr=-1),
            # The paper: 512 RoIs per image at 1/4 foreground.
            sampler=dict(
                type='RandomSampler',
                num=512,
                pos_fraction=0.25,
                neg_pos_ub=-1,
                add_gt_as_proposals=True),
            pos_weight=-1,
            debug=False)),
    test_cfg=dict(
        # The paper: 200 proposals at test time.
        rpn=dict(
            nms_pre=2000,
            max_per_img=200,
            nms=dict(type='nms', iou_threshold=0.7),
            min_bbox_size=0),
        # The official config uses soft-NMS here; plain NMS exports to ONNX.
        rcnn=dict(
            score_thr=0.05,
            nms=dict(type='nms', iou_threshold=0.5),
            max_per_img=100)))
