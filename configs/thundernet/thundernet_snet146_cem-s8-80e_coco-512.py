# The small-object ThunderNet SNet146 (thundernet_snet146_cem-s8-80e_coco-320.py)
# at a larger input, 512x512 (not in the paper; coco_detection-thundernet-512.py).
_base_ = [
    '../_base_/models/thundernet_snet146_cem-s8.py',
    '../_base_/datasets/coco_detection-thundernet-512.py',
    '../_base_/schedules/schedule_thundernet-80e.py',
    '../_base_/default_runtime.py'
]
