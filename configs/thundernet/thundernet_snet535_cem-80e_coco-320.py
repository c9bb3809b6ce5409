# ThunderNet SNet535 at 320x320 (paper: about 28 AP on COCO test-dev). No
# SNet535 ImageNet weights are published: it starts from Kaiming init (the
# paper pretrains on ImageNet; expect less than its AP without pretraining).
_base_ = './thundernet_snet146_cem-80e_coco-320.py'
model = dict(
    backbone=dict(arch=535, init_cfg=None),
    neck=dict(in_channels=[496, 992]))
