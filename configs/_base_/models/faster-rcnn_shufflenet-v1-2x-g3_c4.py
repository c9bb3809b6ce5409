# ShuffleNet v1 2x g=3: stride-16 features of 960 ch, Stage4 of 1920 per RoI.
_base_ = './faster-rcnn_shufflenet-v1-1x-g3_c4.py'

pretrained = dict(
    type='Pretrained',
    checkpoint='checkpoints/shufflenet-v1-2x-g3_imagenet-megvii.pth')
model = dict(
    backbone=dict(widen_factor=2.0, init_cfg=pretrained),
    rpn_head=dict(in_channels=960),
    roi_head=dict(
        shared_head=dict(backbone=dict(widen_factor=2.0), init_cfg=pretrained),
        bbox_roi_extractor=dict(out_channels=960),
        bbox_head=dict(in_channels=1920)))
