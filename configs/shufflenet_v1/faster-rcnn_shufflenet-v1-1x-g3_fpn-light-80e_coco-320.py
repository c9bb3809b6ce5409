# A real-time Faster R-CNN for small objects at 320x320: ShuffleNet v1 1x g=3
# with the light FPN head (_base_/models/faster-rcnn_shufflenet-v1-1x-g3_fpn-light.py).
# Input, augmentation and schedule are ThunderNet's (thundernet_*_coco-320.py),
# so that the two compare as recipes.
_base_ = [
    '../_base_/models/faster-rcnn_shufflenet-v1-1x-g3_fpn-light.py',
    '../_base_/datasets/coco_detection-thundernet-320.py',
    '../_base_/schedules/schedule_thundernet-80e.py',
    '../_base_/default_runtime.py'
]
