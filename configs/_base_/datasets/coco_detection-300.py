# COCO 2017 train / val2017 (= the paper's train+val minus minival / minival),
# resized as py-faster-rcnn does at its smaller scale: short side 300, long
# side at most 500 (coco_detection-600.py with the two Resize steps changed).
_base_ = './coco_detection-600.py'

train_pipeline = _base_.train_pipeline
train_pipeline[2].scale = (500, 300)  # the Resize step
test_pipeline = _base_.test_pipeline
test_pipeline[1].scale = (500, 300)
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
