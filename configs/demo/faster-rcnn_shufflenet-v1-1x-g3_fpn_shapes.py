# The CPU demo: ShuffleNet v1 1x g=3 Faster R-CNN FPN trained from scratch on
# the generated shapes dataset (shufflenet_det.datasets.synthetic_shapes),
# small enough to train and evaluate in minutes on 2 CPU cores.
_base_ = [
    '../_base_/models/faster-rcnn_shufflenet-v1-1x-g3_fpn_shapes.py',
    '../_base_/datasets/shapes.py', '../_base_/schedules/schedule_shapes-1200i.py'
]
model = dict(roi_head=dict(bbox_head=dict(num_classes=4)))  # the shapes
