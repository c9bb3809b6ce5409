_base_ = [
    '../_base_/models/faster-rcnn_shufflenet-v1-2x-g3_c4.py',
    '../_base_/datasets/coco_detection-600.py',
    '../_base_/schedules/schedule_1x.py', '../_base_/default_runtime.py'
]
