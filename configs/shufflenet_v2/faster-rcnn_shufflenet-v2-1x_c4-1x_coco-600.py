_base_ = [
    '../_base_/models/faster-rcnn_shufflenet-v2-1x_c4.py',
    '../_base_/datasets/coco_detection-600.py',
    '../_base_/schedules/schedule_1x.py', '../_base_/default_runtime.py'
]
