# ShuffleNet v1 2x g=3: stride-16 features of 960 ch, Stage4 of 1920 per RoI.
# Weights: Megvii's ShuffleNetV1 2.0x (group=3), the only 2x g=3 release, as
# downloaded (its host needs a browser: configs/shufflenet_v1/README.md);
# converted in memory. Its input: BGR, 0-255, no mean/std.
_base_ = './faster-rcnn_shufflenet-v1-1x-g3_c4.py'

pretrained_source = 'megvii'
pretrained = dict(
    type='Pretrained', checkpoint='checkpoints/ShuffleNetV1_2.0x_g3.pth.tar')
model = dict(
    data_preprocessor=dict(mean=[0., 0., 0.], std=[1., 1., 1.], bgr_to_rgb=False),
    backbone=dict(widen_factor=2.0, init_cfg=pretrained),
    rpn_head=dict(in_channels=960),
    roi_head=dict(
        shared_head=dict(backbone=dict(widen_factor=2.0), init_cfg=pretrained),
        bbox_roi_extractor=dict(out_channels=960),
        bbox_head=dict(in_channels=1920)))
