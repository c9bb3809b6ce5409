# ShuffleNet v2 1x: Stage2-3 (stride 16, 232 ch) feed RPN and RoIAlign;
# Stage4 + Conv5 (1024 ch) run per RoI. Settings as the v1 model beside it.
# Weights: torchvision's shufflenet_v2_x1_0, downloaded and converted in memory
# on first use (input: RGB, ImageNet mean/std, as in the base).
_base_ = './faster-rcnn_c4.py'

pretrained_source = 'torchvision'

backbone = dict(
    type='ShuffleNetV2',
    widen_factor=1.0,
    norm_cfg=dict(type='BN', requires_grad=False))
pretrained = dict(
    type='Pretrained',
    checkpoint='torchvision://shufflenet_v2_x1_0.imagenet1k_v1')
model = dict(
    backbone=dict(
        **backbone,
        num_stages=2,
        out_indices=(1, ),
        frozen_stages=0,
        init_cfg=pretrained),
    rpn_head=dict(in_channels=232),
    roi_head=dict(
        shared_head=dict(backbone=backbone, first_stage=2, init_cfg=pretrained),
        bbox_roi_extractor=dict(out_channels=232),
        bbox_head=dict(in_channels=1024)))
