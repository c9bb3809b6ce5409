# mmdet's Faster R-CNN FPN on a lightweight backbone's stride 8/16/32 outputs:
# FPN levels P3-P7 (strides 8-128, the two top ones by max pooling),
# anchors of 32-512 px. The leaf config sets backbone and neck in_channels.
_base_ = 'mmdet::_base_/models/faster-rcnn_r50_fpn.py'

# Who made the ImageNet weights: their input normalisation is the data
# preprocessor's (shufflenet_det.converters.DATA_PREPROCESSORS).
pretrained_source = 'torchvision'

model = dict(
    # RGB, ImageNet mean/std: the input of torchvision and mmpretrain weights.
    data_preprocessor=dict(
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    rpn_head=dict(
        anchor_generator=dict(scales=[4], strides=[8, 16, 32, 64, 128])),
    roi_head=dict(bbox_roi_extractor=dict(featmap_strides=[8, 16, 32, 64])))
