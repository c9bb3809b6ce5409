# ThunderNet SNet49 for small objects at 320x320: the stride-8 CEM, RPN, SAM
# and PSRoIAlign of thundernet_snet146_cem-s8-80e_coco-320.py on SNet49's C3
# (Stage2, 60 channels), C4 (120) and Conv5 (512). No SNet49 ImageNet
# weights are published: it starts from Kaiming init.
_base_ = './thundernet_snet146_cem-s8-80e_coco-320.py'
model = dict(
    backbone=dict(arch=49, out_indices=(0, 1, 3), init_cfg=None),
    neck=dict(in_channels=[60, 120, 512]))
