# The official ThunderNet schedule (config/ThunderNet.py; the paper gives
# none): SGD 0.01 for 64 images, momentum 0.9, weight decay 1e-4, 500 linear
# warm-up iterations, 80 epochs of the 5x repeated dataset, x0.1 at 40 and 60.
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=80, val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
param_scheduler = [
    dict(
        type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=500),
    dict(
        type='MultiStepLR',
        begin=0,
        end=80,
        by_epoch=True,
        milestones=[40, 60],
        gamma=0.1)
]
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=0.0001))
# The learning rate scales with the actual total batch size.
auto_scale_lr = dict(enable=True, base_batch_size=64)
