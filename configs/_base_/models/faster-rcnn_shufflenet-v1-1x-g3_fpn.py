# Faster R-CNN FPN (faster-rcnn_fpn.py: P3-P7 on C3-C5) on ShuffleNet v1 1x g=3
# from mmpretrain's ImageNet release of the paper's architecture, downloaded
# and converted in memory on first use; its input is the base's RGB ImageNet
# mean/std. Stride <= 4 (the stem) frozen, BN statistics kept.
_base_ = './faster-rcnn_fpn.py'

pretrained_source = 'mmpretrain'
model = dict(
    backbone=dict(
        _delete_=True,
        type='ShuffleNetV1',
        groups=3,
        out_indices=(0, 1, 2),
        frozen_stages=0,
        norm_eval=True,
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.openmmlab.com/mmclassification/v0/'
            'shufflenet_v1/shufflenet_v1_batch1024_imagenet_20200804-5d6cec73.pth')),
    neck=dict(in_channels=[240, 480, 960]))
