# The ThunderNet detector on ShuffleNet v1 1x g=3 (Megvii's ImageNet weights,
# BGR 0-255 like SNet146's): C4 = Stage3 (480), C5 = Stage4 (960).
_base_ = './thundernet_snet146_cem-80e_coco-320.py'
pretrained_source = 'megvii'
model = dict(
    backbone=dict(
        _delete_=True,
        type='ShuffleNetV1',
        groups=3,
        widen_factor=1.0,
        out_indices=(1, 2),
        init_cfg=dict(
            type='Pretrained',
            checkpoint='checkpoints/shufflenet-v1-1x-g3_imagenet-megvii.pth')),
    neck=dict(in_channels=[480, 960]))
