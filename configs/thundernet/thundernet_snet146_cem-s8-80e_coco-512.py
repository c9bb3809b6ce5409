# The small-object ThunderNet SNet146 (thundernet_snet146_cem-s8-80e_coco-320.py)
# at a larger input, 512x512 (not in the paper): each object covers 1.6x the
# cells of the 320 input on the same stride-8 map, at 2.6x the pixels.
# Multi-scale training at the 320 config's 240 / 360 / 480 scales x 1.6; the
# pipelines are repeated whole (an mmengine config cannot edit one step of an
# inherited list).
_base_ = './thundernet_snet146_cem-s8-80e_coco-320.py'

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
        scales=[(384, 384), (576, 576), (768, 768)],
        keep_ratio=False),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args={{_base_.backend_args}}),
    dict(type='Resize', scale=(512, 512), keep_ratio=False),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(
        type='PackDetInputs',
        meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                   'scale_factor'))
]
train_dataloader = dict(dataset=dict(dataset=dict(pipeline=train_pipeline)))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
