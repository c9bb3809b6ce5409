# The generated shapes dataset's small-object mode
# (shufflenet_det.datasets.SMALL_OBJECTS, which tools/demo.py draws for a
# config carrying shapes_dataset): 320x320 images of up to 12 shapes of
# 6-24 px, fed at 320x320 as generated.
_base_ = './shapes.py'
shapes_dataset = dict(image_size=320, max_objects=12, min_side=6, max_side=24)
data_root = 'data/shapes-small/'
image_size = (320, 320)

train_pipeline = _base_.train_pipeline
train_pipeline[2].scale = image_size  # the Resize step
test_pipeline = _base_.test_pipeline
test_pipeline[1].scale = image_size
train_dataloader = dict(
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/instances_val.json')
test_evaluator = val_evaluator
