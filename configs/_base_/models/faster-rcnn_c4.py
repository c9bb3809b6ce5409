# C4 Faster R-CNN with the defaults of py-faster-rcnn, the code the ShuffleNet
# paper's detection experiments build on. faster-rcnn_<backbone>_c4.py
# beside this file adds the backbone (built through stride 16), the StageHead's
# backbone and first stage, and the channel counts.
_base_ = 'mmdet::_base_/models/faster-rcnn_r50-caffe-c4.py'

# Who made the ImageNet weights: their input normalisation is the data
# preprocessor's (shufflenet_det.converters.DATA_PREPROCESSORS).
pretrained_source = 'torchvision'

model = dict(
    # RGB, ImageNet mean/std: the input of torchvision and mmpretrain weights.
    data_preprocessor=dict(
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    # Frozen BN (statistics and affine), as in the era's fine-tuned detectors.
    backbone=dict(_delete_=True, norm_eval=True),
    rpn_head=dict(
        feat_channels=512,  # py-faster-rcnn's RPN conv
        # 12 anchors: 64-512 px (scales 4-32 x stride 16), ratios 0.5/1/2.
        anchor_generator=dict(scales=[4, 8, 16, 32])),
    roi_head=dict(shared_head=dict(_delete_=True, type='StageHead')),
    train_cfg=dict(
        # mmdet's RPN assigner keeps anchors that cross the image border
        # (py-faster-rcnn drops them); RPN sampling is the same, 256 at 1:1.
        rpn_proposal=dict(nms_pre=12000, max_per_img=2000),
        rcnn=dict(
            # 128 RoIs per image, 1/4 foreground (IoU >= 0.5), background
            # IoU in [0.1, 0.5), ground truth added to the proposals.
            assigner=dict(pos_iou_thr=0.5, neg_iou_thr=(0.1, 0.5)),
            sampler=dict(num=128, pos_fraction=0.25))),
    test_cfg=dict(
        rpn=dict(nms_pre=6000, max_per_img=300),  # 300 test proposals
        rcnn=dict(nms=dict(iou_threshold=0.3))))
