# SNet535 on ImageNet-1k: snet146_8xb128_in1k.py with SNet535 (no Conv5).
_base_ = './snet146_8xb128_in1k.py'
model = dict(backbone=dict(arch=535), head=dict(in_channels=992))
