# ThunderNet SNet49 at 320x320 (paper: 19.1 AP on COCO test-dev). C5 is SNet49's
# 512-channel Conv5. No SNet49 ImageNet weights are published: train them with
# configs/snet_imagenet/snet49_8xb128_in1k.py (mmpretrain) and put the
# checkpoint where init_cfg reads it, or set init_cfg=None to start from Kaiming
# init (expect less than the paper's AP without pretraining).
_base_ = './thundernet_snet146_cem-80e_coco-320.py'
model = dict(
    backbone=dict(
        arch=49,
        out_indices=(1, 3),
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/snet49_8xb128_in1k.pth',
            prefix='backbone.')),
    neck=dict(in_channels=[120, 512]))
