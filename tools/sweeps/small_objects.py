# Which part of the stock Faster R-CNN FPN's cost buys its accuracy on small
# objects (the generated shapes' small-object mode: 6-24 px at 320x320), one
# factor at a time, from the stock head down and from the light detectors up;
# all from scratch in the demos' schedule (AdamW, 800 iterations of 8 images)
# unless a variant says otherwise. Run it with
#   python tools/sweep_demo.py tools/sweeps/small_objects.py --out work_dirs/ablation
# (tools/sweep_demo.py; --only NAME ... trains some of them).
seeds = [0, 1, 2]
demo = '../../configs/demo/'
stock = demo + 'faster-rcnn_shufflenet-v1-1x-g3_fpn-stock_shapes-small.py'
# The light rows change the light FPN without the BN in its FPN that the
# demo config has (the row 'light, BN in FPN').
light = 'configs/faster-rcnn_shufflenet-v1-1x-g3_fpn-unnormalised_shapes-small.py'
shipped_light = demo + 'faster-rcnn_shufflenet-v1-1x-g3_fpn_shapes-small.py'
# The ThunderNet rows likewise change it without the BN in its CEM.
thundernet = 'configs/thundernet_snet146_cem-s8-unnormalised_shapes-small.py'
shipped_thundernet = demo + 'thundernet_snet146_cem-s8_shapes-small.py'


def fpn_width(channels):
    """The FPN's, the RPN's and the RoI extractor's channels."""
    return dict(model=dict(
        neck=dict(out_channels=channels),
        rpn_head=dict(in_channels=channels, feat_channels=channels),
        roi_head=dict(bbox_roi_extractor=dict(out_channels=channels),
                      bbox_head=dict(in_channels=channels))))


def fc_width(channels):
    return dict(model=dict(roi_head=dict(bbox_head=dict(fc_out_channels=channels))))


def test_proposals(count):
    return dict(model=dict(test_cfg=dict(rpn=dict(nms_pre=max(count, 1000),
                                                  max_per_img=count))))


variants = [
    # the references: the stock head (accuracy) and the two light detectors
    dict(name='stock', config=stock),
    dict(name='light FPN', config=light),
    dict(name='ThunderNet s8', config=thundernet),
    # from the light FPN up (64-ch FPN, 2 x 256-d FCs, 300 / 100 proposals,
    # 128 sampled RoIs)
    dict(name='light, FPN 256', config=light, overrides=fpn_width(256)),
    dict(name='light, FPN 256, lr / 4', config=light,
         overrides=dict(fpn_width(256),
                        optim_wrapper=dict(optimizer=dict(lr=0.0005)))),
    dict(name='light, FPN 128', config=light, overrides=fpn_width(128)),
    dict(name='light, FCs 1024', config=light, overrides=fc_width(1024)),
    dict(name='light, FCs 512', config=light, overrides=fc_width(512)),
    dict(name='light, 512 RoIs and proposals as stock', config=light,
         overrides=dict(model=dict(train_cfg=dict(
             rpn_proposal=dict(nms_pre=2000, max_per_img=1000),
             rcnn=dict(sampler=dict(num=512)))))),
    # the light FPN's runs tested with more proposals (nothing trains)
    dict(name='light, 1000 test proposals', config=light,
         overrides=test_proposals(1000), test_of='light FPN'),
    dict(name='light, 300 test proposals', config=light,
         overrides=test_proposals(300), test_of='light FPN'),
    dict(name='light, 2x iterations', config=light, max_iters=1600),
    dict(name='light, 3x iterations', config=light, max_iters=2400),
    # normalised neck and head (He et al., "Rethinking ImageNet Pre-training":
    # GN in the FPN and a 4conv1fc head trains from scratch)
    dict(name='light, GN in FPN and 4conv1fc head', config=light,
         overrides=dict(model=dict(
             neck=dict(norm_cfg=dict(type='GN', num_groups=16)),
             roi_head=dict(bbox_head=dict(
                 type='Shared4Conv1FCBBoxHead', conv_out_channels=64,
                 norm_cfg=dict(type='GN', num_groups=16)))))),
    dict(name='light, BN in FPN', config=shipped_light),
    dict(name='light, BN in FPN and RPN', config=shipped_light,
         overrides=dict(model=dict(rpn_head=dict(type='NormRPNHead')))),
    dict(name='light, BN in FPN, norms without weight decay', config=shipped_light,
         overrides=dict(optim_wrapper=dict(paramwise_cfg=dict(norm_decay_mult=0)))),
    # the stride-8 ThunderNet up: its CEM normalised, its position-sensitive
    # map twice as wide (490 = 10 x 7 x 7 channels)
    dict(name='ThunderNet s8, BN in CEM', config=shipped_thundernet),
    dict(name='ThunderNet s8, PS map 490', config=thundernet,
         overrides=dict(model=dict(
             neck=dict(out_channels=490), rpn_head=dict(in_channels=490),
             sam=dict(out_channels=490),
             roi_head=dict(bbox_roi_extractor=dict(out_channels=10),
                           bbox_head=dict(in_channels=10))))),
    # from the stock head down; its 256-channel FPN may want the lower lr the
    # light FPN widened to 256 channels needs
    dict(name='stock, lr / 4', config=stock,
         overrides=dict(optim_wrapper=dict(optimizer=dict(lr=0.0005)))),
    dict(name='stock, FPN 64', config=stock, overrides=fpn_width(64)),
    dict(name='stock, FCs 256', config=stock, overrides=fc_width(256)),
    dict(name='stock, 100 test proposals', config=stock,
         overrides=test_proposals(100), test_of='stock'),
]
