# Two thirds of the demo's 1200 iterations, for the ThunderNet demos (each
# iteration costs about twice as much at their 256-320 px inputs).
_base_ = './schedule_shapes-1200i.py'

max_iters = 800
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=100),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=0, end=max_iters,
         eta_min=2e-5)
]
default_hooks = dict(checkpoint=dict(interval=max_iters))
