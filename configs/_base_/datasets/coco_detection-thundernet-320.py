# COCO 2017 train / val2017 at ThunderNet's 320x320 test input (aspect ratio
# not kept). Training: the official code's SSD-style augmentation (photometric
# distortion, zoom-out, IoU-constrained crop) and squares of 240 / 360 / 480,
# flipped; the paper states only the 320x320 input.
_base_ = 'mmdet::_base_/datasets/coco_detection.py'

# ImageNet mean in BGR 0-255: the zoom-out fill, whatever the normalisation.
fill_bgr = [103.53, 116.28, 123.675]
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args={{_base_.backend_args}}),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PhotoMetricDistortion',
        brightness_delta=32,
        contrast_range=(0.5, 1.5),
        saturation_range=(0.5, 1.5),
        hue_delta=18),
    dict(type='Expand', mean=fill_bgr, to_rgb=False, ratio_range=(1, 4)),
    dict(
        type='MinIoURandomCrop',
        min_ious=(0.1, 0.3, 0.5, 0.7, 0.9),
        min_crop_size=0.3),
    dict(
        type='RandomChoiceResize',
        scales=[(240, 240), (360, 360), (480, 480)],
        keep_ratio=False),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args={{_base_.backend_args}}),
    dict(type='Resize', scale=(320, 320), keep_ratio=False),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor'))
]
# CheckedCocoDataset: mmdet's CocoDataset that reports a corrupt annotation
# file or missing images when it is built. The official code repeats the
# dataset 5 times per epoch.
train_dataloader = dict(
    batch_size=16,
    num_workers=4,
    dataset=dict(
        _delete_=True,
        type='RepeatDataset',
        times=5,
        dataset=dict(
            type='CheckedCocoDataset',
            data_root={{_base_.data_root}},
            ann_file='annotations/instances_train2017.json',
            data_prefix=dict(img='train2017/'),
            filter_cfg=dict(filter_empty_gt=True, min_size=32),
            pipeline=train_pipeline,
            backend_args={{_base_.backend_args}})))
val_dataloader = dict(
    dataset=dict(type='CheckedCocoDataset', pipeline=test_pipeline))
test_dataloader = val_dataloader
