# MobileNet v1 1.0 as in the TF Object Detection API (MobileNets paper Sec. 4.5):
# RPN and RoI features from Conv2d_11 (stride 16, 512 ch), Conv2d_12-13
# (1024 ch, stride 2 -> 7x7) per RoI. Stride <= 4 (stem, Conv2d_1-3) frozen.
# Weights: timm's mobilenetv1_100 (ReLU6), converted by tools/convert_weights.py.
_base_ = './faster-rcnn_c4.py'

pretrained_source = 'timm'
backbone = dict(
    type='MobileNetV1',
    widen_factor=1.0,
    act_cfg=dict(type='ReLU6'),
    norm_cfg=dict(type='BN', requires_grad=False))
pretrained = dict(
    type='Pretrained',
    checkpoint='checkpoints/mobilenet-v1-1.0_imagenet-timm.pth')
model = dict(
    # timm's input: RGB, mean and std 0.5 on [0, 1].
    data_preprocessor=dict(
        mean=[127.5, 127.5, 127.5], std=[127.5, 127.5, 127.5], bgr_to_rgb=True),
    backbone=dict(
        **backbone,
        num_stages=4,
        out_indices=(3, ),
        frozen_stages=2,
        init_cfg=pretrained),
    rpn_head=dict(in_channels=512),
    roi_head=dict(
        shared_head=dict(backbone=backbone, first_stage=4, init_cfg=pretrained),
        bbox_roi_extractor=dict(out_channels=512),
        bbox_head=dict(in_channels=1024)))
