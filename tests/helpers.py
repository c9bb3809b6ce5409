"""Helpers shared by test modules (pytest puts this folder on sys.path)."""
import os.path as osp
import re
import subprocess
import sys

import torch
from mmdet.testing import demo_mm_inputs
from torch.nn.modules.batchnorm import _BatchNorm

from shufflenet_det.paths import resource_root
from shufflenet_det.tools.demo import write_shapes_config

ROOT = resource_root()  # the checkout: configs/, tools/
# On top of a shapes config (shufflenet_det.tools.demo.write_shapes_config):
# 2 training iterations of 2 images, in the main process, logging every one.
TINY_SETTINGS = """_base_ = './shapes.py'
loader = dict(num_workers=0, persistent_workers=False)
train_dataloader = dict(batch_size=2, **loader)
val_dataloader = dict(**loader)
test_dataloader = val_dataloader
train_cfg = dict(max_iters=2, val_interval=2)
default_hooks = dict(checkpoint=dict(interval=2), logger=dict(interval=1))
"""


def write_tiny_config(folder, base):
    """``folder/tiny.py``: TINY_SETTINGS on ``base`` reading ``folder/data``."""
    write_shapes_config(str(folder / 'shapes.py'), str(folder / 'data'), base)
    (folder / 'tiny.py').write_text(TINY_SETTINGS)
    return str(folder / 'tiny.py')


def run_command(command, timeout=600, **kwargs):
    """Run ``command`` in the repository root; its output, if it succeeds."""
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True,
                            timeout=timeout, **kwargs)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout + result.stderr


def run_tool(*args, **kwargs):
    """Run a Python script of the repository as a user does."""
    return run_command([sys.executable, *args], **kwargs)


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


def stage_index(name):
    """Stage of a backbone or StageHead parameter / module name: -1 for the
    stem (``conv1``), ``i`` for ``layers.{i}``."""
    parts = name.split('.')
    return int(parts[1]) if parts[0] == 'layers' else -1


def check_training_step(model, x, frozen_stages, norm_eval=False):
    """``model`` (in train mode) freezes exactly the stem and the stages
    below ``frozen_stages``: their parameters have ``requires_grad=False``,
    their BN layers are in eval mode, and one SGD step on every parameter
    changes all the others and none of them; BN statistics move only in
    train-mode BN layers (none with ``norm_eval``)."""
    def frozen(name):
        return 0 <= frozen_stages and stage_index(name) < frozen_stages

    parameters = dict(model.named_parameters())
    assert {n for n, p in parameters.items() if not p.requires_grad} == {
        n for n in parameters if frozen(n)}
    norms = {n: m for n, m in model.named_modules() if isinstance(m, _BatchNorm)}
    assert norms
    assert {n for n, m in norms.items() if m.training} == {
        n for n in norms if not (norm_eval or frozen(n))}

    before = {k: v.clone() for k, v in model.state_dict().items()}
    outs = model(x)
    outs = outs if isinstance(outs, tuple) else (outs, )
    loss = sum((out * out).sum() for out in outs)
    if loss.requires_grad:  # else everything is frozen
        loss.backward()
    torch.optim.SGD(model.parameters(), lr=0.1).step()
    after = model.state_dict()
    changed = {k for k, v in after.items() if not torch.equal(v, before[k])}
    assert {n for n in changed if n in parameters} == {
        n for n in parameters if not frozen(n)}
    assert {n for n in changed if n.endswith('running_mean')} == {
        f'{n}.running_mean' for n, m in norms.items() if m.training}


def readme_python_blocks():
    """The ```python code blocks of the README, in order."""
    with open(osp.join(ROOT, 'README.md')) as f:
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


def run_loss_and_predict(model, num_classes,
                         image_shapes=((3, 96, 128), (3, 128, 80))):
    """Train step (losses finite, backward runs), then predict."""
    packed = demo_mm_inputs(batch_size=len(image_shapes),
                            image_shapes=list(image_shapes),
                            num_items=[3] * len(image_shapes),
                            num_classes=num_classes)
    model.train()
    data = model.data_preprocessor(packed, training=True)
    losses = model(**data, mode='loss')
    total, _ = model.parse_losses(losses)
    assert torch.isfinite(total)
    total.backward()
    model.eval()
    with torch.no_grad():
        data = model.data_preprocessor(packed, training=False)
        predictions = model(**data, mode='predict')
    assert len(predictions) == len(image_shapes)
    for prediction in predictions:
        boxes = prediction.pred_instances.bboxes
        assert boxes.ndim == 2 and boxes.shape[1] == 4
    return losses
