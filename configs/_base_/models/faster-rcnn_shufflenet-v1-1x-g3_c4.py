# Backbone through Stage3 (stride 16, 480 ch) feeds RPN and RoIAlign (14x14);
# Stage4 (960 ch, stride 2 -> 7x7) runs per RoI. Stride <= 4 (the stem) frozen.
# Weights: mmpretrain's ImageNet release of this architecture (the paper's
# ShuffleNet, as Megvii's g=3 one), downloaded and converted in memory on first
# use; its input is the base's RGB ImageNet mean/std.
_base_ = './faster-rcnn_c4.py'

pretrained_source = 'mmpretrain'

backbone = dict(
    type='ShuffleNetV1',
    groups=3,
    widen_factor=1.0,
    norm_cfg=dict(type='BN', requires_grad=False))
pretrained = dict(
    type='Pretrained',
    checkpoint='https://download.openmmlab.com/mmclassification/v0/shufflenet_v1/'
    'shufflenet_v1_batch1024_imagenet_20200804-5d6cec73.pth')
model = dict(
    backbone=dict(
        **backbone,
        num_stages=2,
        out_indices=(1, ),
        frozen_stages=0,
        init_cfg=pretrained),
    rpn_head=dict(in_channels=480),
    roi_head=dict(
        shared_head=dict(backbone=backbone, first_stage=2, init_cfg=pretrained),
        bbox_roi_extractor=dict(out_channels=480),
        bbox_head=dict(in_channels=960)))
