# ShuffleNet v2 2x: stride-16 features of 488 ch, Stage4 + Conv5 (2048) per RoI.
_base_ = './faster-rcnn_shufflenet-v2-1x_c4.py'

pretrained = dict(
    type='Pretrained',
    checkpoint='torchvision://shufflenet_v2_x2_0.imagenet1k_v1')
model = dict(
    backbone=dict(widen_factor=2.0, init_cfg=pretrained),
    rpn_head=dict(in_channels=488),
    roi_head=dict(
        shared_head=dict(backbone=dict(widen_factor=2.0), init_cfg=pretrained),
        bbox_roi_extractor=dict(out_channels=488),
        bbox_head=dict(in_channels=2048)))
