# ThunderNet SNet146 for small objects (not in the paper): the CEM sums C3, C4
# upsampled 2x and C5 upsampled 4x (and C5's global context) into one stride-8
# map, and the light RPN, the SAM and the PSRoIAlign read it: an object of
# 16-32 px at a 320 input covers 2-4 cells there, 1-2 on the paper's stride-16
# map. Anchors: 6 scales x 5 ratios, 16-512 px on stride 8 (the paper: 5 x 5,
# 32-512 px on stride 16); tools/check_anchors.py gives 12-16 px boxes at the
# input a positive anchor (tests/engine/test_anchor_check.py). BatchNorm after
# each CEM branch (the official CEM has none): from scratch on the small-object
# shapes it lifted this detector's mAP on every seed (configs/demo/README.md),
# and the export folds it into the convs. The rest is thundernet_snet146.py's,
# with its deviations from the paper (configs/thundernet/README.md).
_base_ = './thundernet_snet146.py'
model = dict(
    backbone=dict(out_indices=(0, 1, 2)),  # C3, C4, C5: strides 8, 16, 32
    neck=dict(in_channels=[132, 264, 528], norm_cfg=dict(type='BN')),
    rpn_head=dict(
        anchor_generator=dict(scales=[2, 4, 8, 16, 32, 64], strides=[8])),
    roi_head=dict(bbox_roi_extractor=dict(featmap_strides=[8])))
