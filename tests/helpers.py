"""Helpers shared by test modules (pytest puts this folder on sys.path)."""
import os.path as osp
import re

import torch
from torch.nn.modules.batchnorm import _BatchNorm

from shufflenet_det.paths import resource_root

# A config training 2 iterations of 2 images from {data}, on top of {base}.
TINY_CONFIG = """
_base_ = '{base}'
data_root = '{data}/'
loader = dict(num_workers=0, persistent_workers=False)
train_dataloader = dict(batch_size=2, **loader, dataset=dict(data_root=data_root))
val_dataloader = dict(**loader, dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/instances_val.json')
test_evaluator = val_evaluator
train_cfg = dict(max_iters=2, val_interval=2)
default_hooks = dict(checkpoint=dict(interval=2), logger=dict(interval=1))
"""


def randomise_batch_norm(model):
    """Non-trivial BN statistics and affine terms, so that folding or
    converting them matters."""
    for module in model.modules():
        if isinstance(module, _BatchNorm):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
            module.weight.data.uniform_(0.5, 1.5)
            module.bias.data.uniform_(-0.5, 0.5)
    return model


def readme_python_blocks():
    """The ```python code blocks of the README, in order."""
    with open(osp.join(resource_root(), 'README.md')) as f:
        return re.findall(r'^```python\n(.*?)^```', f.read(), re.M | re.S)


def check_feature_strides(detector, image_size=(256, 384)):
    """Assert that the RPN's anchor strides and the RoI extractor's
    ``featmap_strides`` are the strides the features really have (input size
    / feature size, from a forward pass); return the backbone's."""
    inputs = torch.zeros(1, 3, *image_size)

    def strides(features):
        measured = [(image_size[0] / f.shape[-2], image_size[1] / f.shape[-1])
                    for f in features]
        assert all(h == w for h, w in measured), measured
        return [int(h) for h, _ in measured]

    detector.eval()
    with torch.no_grad():
        backbone = strides(detector.backbone(inputs))
        levels = strides(detector.extract_feat(inputs))
    anchors = [s for s, _ in detector.rpn_head.prior_generator.strides]
    assert anchors == levels, (anchors, levels)
    roi_strides = list(detector.roi_head.bbox_roi_extractor.featmap_strides)
    assert roi_strides == levels[:len(roi_strides)], (roi_strides, levels)
    return backbone
