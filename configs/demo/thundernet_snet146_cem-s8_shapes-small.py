# The small-object ThunderNet (CEM, light RPN, SAM and PSRoIAlign on stride
# 8, as configs/thundernet/thundernet_snet146_cem-s8-80e_coco-320.py) on the
# small-object shapes, in the budget of the stride-16 baseline it replaces
# (thundernet_snet146_shapes-small.py). The SAM's R-CNN gradient is kept out of
# the RPN feature (not in the paper): from scratch on these objects the RPN
# learned them much slower with it (configs/demo/README.md). BatchNorm after
# each CEM branch, as the COCO config has it.
_base_ = './thundernet_snet146_shapes-small.py'
model = dict(
    backbone=dict(out_indices=(0, 1, 2)),  # C3, C4, C5: strides 8, 16, 32
    neck=dict(in_channels=[132, 264, 528], norm_cfg=dict(type='BN')),
    rpn_head=dict(
        # 8-24 px square anchors on stride 8: tools/check_anchors.py gives 94 %
        # of the boxes a positive anchor (63 % on stride 16).
        anchor_generator=dict(scales=[1, 2, 3], strides=[8])),
    sam=dict(detach_rpn_feature=True),
    roi_head=dict(bbox_roi_extractor=dict(featmap_strides=[8])))
