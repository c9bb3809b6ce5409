# ThunderNet SNet49 at 320x320 (paper: 19.1 AP on COCO test-dev). C5 is SNet49's
# 512-channel Conv5. No SNet49 ImageNet weights are published: it starts from
# Kaiming init (the paper pretrains on ImageNet; expect less than its AP
# without pretraining, or put converted weights in init_cfg).
_base_ = './thundernet_snet146_cem-80e_coco-320.py'
model = dict(
    backbone=dict(arch=49, out_indices=(1, 3), init_cfg=None),
    neck=dict(in_channels=[120, 512]))
