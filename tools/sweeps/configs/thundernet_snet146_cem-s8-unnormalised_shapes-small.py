# The small-shapes stride-8 ThunderNet demo detector without the BatchNorm in
# its CEM: the base that the ThunderNet rows of tools/sweeps/small_objects.py
# change one factor of (the row 'ThunderNet s8, BN in CEM' is the demo config
# as shipped).
_base_ = '../../../configs/demo/thundernet_snet146_cem-s8_shapes-small.py'

model = dict(neck=dict(
    _delete_=True, type='CEM', in_channels=[132, 264, 528], out_channels=245))
