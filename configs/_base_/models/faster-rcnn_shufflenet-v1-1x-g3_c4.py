# Backbone through Stage3 (stride 16, 480 ch) feeds RPN and RoIAlign (14x14);
# Stage4 (960 ch, stride 2 -> 7x7) runs per RoI. Stride <= 4 (the stem) frozen.
# Weights: Megvii's official release, converted by tools/convert_weights.py.
_base_ = './faster-rcnn_c4.py'

pretrained_source = 'megvii'

backbone = dict(
    type='ShuffleNetV1',
    groups=3,
    widen_factor=1.0,
    norm_cfg=dict(type='BN', requires_grad=False))
pretrained = dict(
    type='Pretrained',
    checkpoint='checkpoints/shufflenet-v1-1x-g3_imagenet-megvii.pth')
model = dict(
    # Megvii's input: BGR, 0-255, no mean/std.
    data_preprocessor=dict(mean=[0., 0., 0.], std=[1., 1., 1.], bgr_to_rgb=False),
    backbone=dict(
        **backbone,
        num_stages=2,
        out_indices=(1, ),
        frozen_stages=0,
        init_cfg=pretrained),
    rpn_head=dict(in_channels=480),
    roi_head=dict(
        shared_head=dict(backbone=backbone, first_stage=2, init_cfg=pretrained),
        bbox_roi_extractor=dict(out_channels=480),
        bbox_head=dict(in_channels=960)))
