# ThunderNet SNet535 at 320x320 (paper: about 28 AP on COCO test-dev). No
# SNet535 ImageNet weights are published: train them with
# configs/snet_imagenet/snet535_8xb128_in1k.py (mmpretrain) and put the
# checkpoint where init_cfg reads it, or set init_cfg=None to start from Kaiming
# init (expect less than the paper's AP without pretraining).
_base_ = './thundernet_snet146_cem-80e_coco-320.py'
model = dict(
    backbone=dict(
        arch=535,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/snet535_8xb128_in1k.pth',
            prefix='backbone.')),
    neck=dict(in_channels=[496, 992]))
