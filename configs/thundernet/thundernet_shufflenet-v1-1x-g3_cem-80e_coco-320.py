# The ThunderNet detector on ShuffleNet v1 1x g=3 (mmpretrain's ImageNet weights
# of the paper's architecture; their input is the v2 config's, RGB with the
# ImageNet mean/std): C4 = Stage3 (480), C5 = Stage4 (960).
_base_ = './thundernet_shufflenet-v2-1x_cem-80e_coco-320.py'
pretrained_source = 'mmpretrain'
model = dict(
    backbone=dict(
        _delete_=True,
        type='ShuffleNetV1',
        groups=3,
        widen_factor=1.0,
        out_indices=(1, 2),
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.openmmlab.com/mmclassification/v0/'
            'shufflenet_v1/shufflenet_v1_batch1024_imagenet_20200804-5d6cec73.pth')),
    neck=dict(in_channels=[480, 960]))
