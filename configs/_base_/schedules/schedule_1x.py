# mmdet's 1x schedule (12 epochs, SGD 0.02 per 16 images, steps at 8 and 11),
# with the learning rate scaled to the actual total batch size.
_base_ = 'mmdet::_base_/schedules/schedule_1x.py'
auto_scale_lr = dict(enable=True, base_batch_size=16)
