# SNet146, ThunderNet's backbone, trained on ImageNet-1k in mmpretrain, for the
# ThunderNet detector configs' init_cfg (they load its backbone.* keys). The
# settings of the official code (snet-training, Megvii's ShuffleNet v2
# training): SGD 0.5 for 1024 images, momentum 0.9, weight decay 4e-5 (none on
# norms and biases), label smoothing 0.1, the rate decayed linearly to 0 over
# 300k iterations; 224x224 random resized crops, colour jitter 0.4, flips;
# input BGR 0-255 without mean / std, as the official weights take it, so the
# detector configs' data preprocessor fits either. Run with mmpretrain's
# tools/train.py (README.md), 8 GPUs x 128 images (auto_scale_lr scales the
# rate to another total batch).
_base_ = 'mmpretrain::_base_/default_runtime.py'
custom_imports = dict(imports=['shufflenet_det'], allow_failed_imports=False)

model = dict(
    type='ImageClassifier',
    data_preprocessor=dict(
        type='ClsDataPreprocessor',
        num_classes=1000,
        mean=[0., 0., 0.],
        std=[1., 1., 1.],
        to_rgb=False),
    backbone=dict(type='mmdet.SNet', arch=146, out_indices=(2, )),  # Stage4
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='LinearClsHead',
        num_classes=1000,
        in_channels=528,
        loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1),
        topk=(1, 5)))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=224),
    dict(type='ColorJitter', brightness=0.4, contrast=0.4, saturation=0.4),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=256, edge='short'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs')
]
train_dataloader = dict(
    batch_size=128,
    num_workers=8,
    dataset=dict(
        type='ImageNet', data_root='data/imagenet', split='train',
        pipeline=train_pipeline),
    sampler=dict(type='InfiniteSampler', shuffle=True))
val_dataloader = dict(
    batch_size=128,
    num_workers=8,
    dataset=dict(
        type='ImageNet', data_root='data/imagenet', split='val',
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False))
val_evaluator = dict(type='Accuracy', topk=(1, 5))
test_dataloader = val_dataloader
test_evaluator = val_evaluator

max_iters = 300000
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.5, momentum=0.9, weight_decay=4e-5),
    paramwise_cfg=dict(norm_decay_mult=0., bias_decay_mult=0.))
param_scheduler = [
    dict(type='PolyLR', power=1., eta_min=0., by_epoch=False, begin=0,
         end=max_iters)
]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=10000)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=1024)
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=10000))
