# ThunderNet SNet146 for small objects at 320x320: the stride-8 CEM, RPN, SAM
# and PSRoIAlign (_base_/models/thundernet_snet146_cem-s8.py) in
# thundernet_snet146_cem-80e_coco-320.py's data and schedule.
_base_ = [
    '../_base_/models/thundernet_snet146_cem-s8.py',
    '../_base_/datasets/coco_detection-thundernet-320.py',
    '../_base_/schedules/schedule_thundernet-80e.py',
    '../_base_/default_runtime.py'
]
