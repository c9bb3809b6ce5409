# SNet49 on ImageNet-1k: snet146_8xb128_in1k.py with SNet49, whose 512-channel
# Conv5 feeds the classifier.
_base_ = './snet146_8xb128_in1k.py'
model = dict(
    backbone=dict(arch=49, out_indices=(3, )),  # Conv5
    head=dict(in_channels=512))
