# faster-rcnn_shufflenet-v1-1x-g3_fpn-light-80e_coco-320.py at 512x512
# (coco_detection-thundernet-512.py).
_base_ = [
    '../_base_/models/faster-rcnn_shufflenet-v1-1x-g3_fpn-light.py',
    '../_base_/datasets/coco_detection-thundernet-512.py',
    '../_base_/schedules/schedule_thundernet-80e.py',
    '../_base_/default_runtime.py'
]
