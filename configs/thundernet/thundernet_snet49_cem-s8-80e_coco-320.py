# ThunderNet SNet49 for small objects at 320x320: the stride-8 CEM, RPN, SAM
# and PSRoIAlign of thundernet_snet146_cem-s8-80e_coco-320.py on SNet49's C3
# (Stage2, 60 channels), C4 (120) and Conv5 (512). Its ImageNet weights: as
# thundernet_snet49_cem-80e_coco-320.py.
_base_ = './thundernet_snet146_cem-s8-80e_coco-320.py'
model = dict(
    backbone=dict(
        arch=49,
        out_indices=(0, 1, 3),
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/snet49_8xb128_in1k.pth',
            prefix='backbone.')),
    neck=dict(in_channels=[60, 120, 512]))
