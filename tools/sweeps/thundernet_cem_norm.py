# Whether BatchNorm after each branch of ThunderNet's CEM (which the official
# CEM has not), which lifts the stride-8 ThunderNet on the small shapes
# (tools/sweeps/small_objects.py), lifts the stride-16 ThunderNet on the
# standard shapes (16-56 px at 128x128, read at 256x256) too; both from
# scratch in the demo's 800 iterations. Run it with
#   python tools/sweep_demo.py tools/sweeps/thundernet_cem_norm.py \
#       --out work_dirs/cem_norm
seeds = [0, 1, 2]
thundernet = '../../configs/demo/thundernet_snet146_shapes.py'

variants = [
    dict(name='ThunderNet', config=thundernet),
    dict(name='ThunderNet, BN in CEM', config=thundernet,
         overrides=dict(model=dict(neck=dict(norm_cfg=dict(type='BN'))))),
]
