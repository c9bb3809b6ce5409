# ThunderNet SNet146 at 320x320 (paper: 23.6 AP on COCO test-dev), from the
# official SNet146 ImageNet weights.
_base_ = [
    '../_base_/models/thundernet_snet146.py',
    '../_base_/datasets/coco_detection-thundernet-320.py',
    '../_base_/schedules/schedule_thundernet-80e.py',
    '../_base_/default_runtime.py'
]
