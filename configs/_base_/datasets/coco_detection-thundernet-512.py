# coco_detection-thundernet-320.py at 512x512: each object covers 1.6x the
# cells of the 320 input, at 2.6x the pixels. Multi-scale training at the 320
# input's 240 / 360 / 480 squares x 1.6.
_base_ = './coco_detection-thundernet-320.py'

train_pipeline = _base_.train_pipeline
train_pipeline[5].scales = [(384, 384), (576, 576), (768, 768)]  # RandomChoiceResize
test_pipeline = _base_.test_pipeline
test_pipeline[1].scale = (512, 512)  # Resize
train_dataloader = dict(dataset=dict(dataset=dict(pipeline=train_pipeline)))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
