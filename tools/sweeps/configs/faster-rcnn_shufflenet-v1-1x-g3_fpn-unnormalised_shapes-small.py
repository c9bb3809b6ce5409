# The small-shapes light FPN demo detector without the BatchNorm in its FPN:
# the base that the light rows of tools/sweeps/small_objects.py change one
# factor of (the row 'light, BN in FPN' is the demo config as shipped).
_base_ = '../../../configs/demo/faster-rcnn_shufflenet-v1-1x-g3_fpn_shapes-small.py'

model = dict(neck=dict(
    _delete_=True, type='FPN', in_channels=[240, 480, 960], out_channels=64,
    num_outs=4))
