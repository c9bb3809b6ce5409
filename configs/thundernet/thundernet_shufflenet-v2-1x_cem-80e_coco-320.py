# The ThunderNet detector on ShuffleNet v2 1x (torchvision's ImageNet weights):
# C4 = Stage3 (232), C5 = Stage4 (464); Conv5 is not built.
_base_ = './thundernet_snet146_cem-80e_coco-320.py'
pretrained_source = 'torchvision'
model = dict(
    # RGB, ImageNet mean/std: the input of torchvision's weights.
    data_preprocessor=dict(
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    backbone=dict(
        _delete_=True,
        type='ShuffleNetV2',
        widen_factor=1.0,
        num_stages=3,
        out_indices=(1, 2),
        init_cfg=dict(
            type='Pretrained',
            checkpoint='torchvision://shufflenet_v2_x1_0.imagenet1k_v1')),
    neck=dict(in_channels=[232, 464]))
