_base_ = [
    '../_base_/models/faster-rcnn_shufflenet-v1-1x-g3_fpn.py',
    '../_base_/datasets/coco_detection-600.py',
    '../_base_/schedules/schedule_1x.py', '../_base_/default_runtime.py'
]
