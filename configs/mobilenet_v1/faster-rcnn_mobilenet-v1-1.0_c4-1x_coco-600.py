_base_ = [
    '../_base_/models/faster-rcnn_mobilenet-v1-1.0_c4.py',
    '../_base_/datasets/coco_detection-600.py',
    '../_base_/schedules/schedule_1x.py', '../_base_/default_runtime.py'
]
