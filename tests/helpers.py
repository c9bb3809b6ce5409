"""Helpers shared by test modules (pytest puts this folder on sys.path)."""
import contextlib
import io
import json
import logging
import math
import os.path as osp
import runpy
import subprocess
import sys
from unittest import mock

import torch
from mmdet.registry import MODELS
from mmdet.testing import demo_mm_inputs
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.logging import MMLogger
from mmengine.runner import Runner
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from shufflenet_det.converters import Converted
from shufflenet_det.engine import KeepMetricsHook
from shufflenet_det.models.classifier import ImageNetClassifier
from shufflenet_det.paths import resource_root
from shufflenet_det.tools.demo import DEMO_CONFIG, demo_config, write_shapes_config
from shufflenet_det.weights import convert_checkpoint, save_converted

ROOT = resource_root()  # the checkout: configs/, tools/
C4_CONFIG = osp.join(ROOT, 'configs', 'shufflenet_v1',
                     'faster-rcnn_shufflenet-v1-1x-g3_c4-1x_coco-300.py')
THUNDERNET_S8_CONFIG = osp.join(ROOT, 'configs', 'thundernet',
                                'thundernet_snet146_cem-s8-80e_coco-320.py')
FPN_LIGHT_CONFIG = osp.join(ROOT, 'configs', 'shufflenet_v1',
                            'faster-rcnn_shufflenet-v1-1x-g3_fpn-light-80e_coco-320.py')
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


class RecordLosses(Hook):
    """Loss and iteration of every training step."""

    def __init__(self):
        self.losses, self.iters = [], []

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        self.losses.append(outputs['loss'].item())
        self.iters.append(runner.iter)


def runner_config(work_dir, max_iters, checkpoint_interval, batch_size=4,
                  config=DEMO_CONFIG):
    """The demo config (or ``config``, a demo-style one) for ``max_iters`` in
    the main process, seeded, reading ``work_dir/data``."""
    cfg = demo_config(str(work_dir), config, max_iters=max_iters)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[loader].update(num_workers=0, persistent_workers=False)
    cfg.train_dataloader.batch_size = batch_size
    cfg.default_hooks.checkpoint.interval = checkpoint_interval
    cfg.default_hooks.logger.interval = 5
    cfg.randomness = dict(seed=0)
    # Keep every box: after a few iterations scores are low, and CocoMetric
    # returns no metrics at all when no box is predicted.
    cfg.model.test_cfg.rcnn.score_thr = 0.0
    return cfg


def run_training(cfg):
    """Train with ``cfg``; the runner, its losses and its last metrics."""
    runner = Runner.from_cfg(cfg)
    record, metrics = RecordLosses(), KeepMetricsHook()
    runner.register_hook(record)
    runner.register_hook(metrics, priority='LOWEST')
    runner.train()
    return runner, record, metrics.metrics


def log_messages(function, level=logging.WARNING):
    """What ``function()`` logs through mmengine's logger at ``level`` or above."""
    logger = MMLogger.get_current_instance()
    records = []
    handler = logging.Handler(level)
    handler.emit = records.append
    logger.addHandler(handler)
    try:
        function()
    finally:
        logger.removeHandler(handler)
    return [r.getMessage() for r in records]


def write_boxes(path, sides, image_size=(640, 480), per_image=4):
    """A COCO annotation file of square boxes of ``sides`` (px), ``per_image``
    to an image of ``image_size`` (w, h), spread over the image."""
    width, height = image_size
    images, annotations = [], []
    for index, side in enumerate(sides):
        image_id = index // per_image + 1
        if image_id > len(images):
            images.append(dict(id=image_id, file_name=f'{image_id}.png',
                               width=width, height=height))
        x = (index * 37.3) % (width - side)
        y = (index * 23.9) % (height - side)
        annotations.append(dict(id=index + 1, image_id=image_id, category_id=1,
                                bbox=[x, y, side, side], area=side * side,
                                iscrowd=0))
    with open(path, 'w') as f:
        json.dump(dict(images=images, annotations=annotations,
                       categories=[dict(id=1, name='box')]), f)
    return str(path)


def run_command(command, timeout=600, **kwargs):
    """Run ``command`` in the repository root; its output, if it succeeds."""
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True,
                            timeout=timeout, **kwargs)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout + result.stderr


def run_tool(*args, **kwargs):
    """Run a Python script of the repository as a user does."""
    return run_command([sys.executable, *args], **kwargs)


def export_command(config, checkpoint, out, *args):
    """tools/export_onnx.py's arguments, keeping every box (``TOP_K``)."""
    return ['tools/export_onnx.py', config, checkpoint, out, *args, '--cfg-options',
            *[f'{key}={value}' for key, value in TOP_K.items()]]


def tool_exit(script, *args):
    """Run the script ``script`` of the repository in this process, as
    ``python script args`` until it exits: (exit status, its stderr). For
    errors a tool raises before any work, without an interpreter start-up
    per case."""
    stderr = io.StringIO()
    with mock.patch.object(sys, 'argv', [script, *map(str, args)]), \
            contextlib.redirect_stderr(stderr):
        try:
            runpy.run_path(osp.join(ROOT, script), run_name='__main__')
        except SystemExit as exit:
            return exit.code, stderr.getvalue()
    return 0, stderr.getvalue()


def tool_error(script, *args):
    """The one line ``script`` run with ``args`` exits with (status 2, no
    traceback), without the tool's name."""
    status, stderr = tool_exit(script, *args)
    assert status == 2 and 'Traceback' not in stderr, (status, stderr[-3000:])
    line = stderr.strip().splitlines()[-1]
    assert line.startswith(f'{osp.basename(script)}: error: '), line
    return line.split(': error: ', 1)[1]


# Input sizes that no backbone stride divides.
ODD_SIZES = [(225, 301), (33, 33)]


def expected_size(size, stride):
    """Every downsampling layer is 3x3, stride 2, padding 1: ceil(n / 2)."""
    for _ in range(int(math.log2(stride))):
        size = math.ceil(size / 2)
    return size


def check_outputs(outs, channels, strides, height, width):
    """Backbone outputs ``outs`` of an input of ``height`` x ``width``: one per
    stage, of those channels and sizes at those strides."""
    assert len(outs) == len(channels)
    for out, c, stride in zip(outs, channels, strides):
        assert out.shape == (1, c, expected_size(height, stride),
                             expected_size(width, stride))


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


# --- converted ImageNet weights in a C4 detector ----------------------------

# Table 7 C4 configs: (config, source its weights come from)
C4_CONFIGS = [
    ('shufflenet_v1/faster-rcnn_shufflenet-v1-1x-g3_c4-1x_coco-300.py', 'mmpretrain'),
    ('shufflenet_v2/faster-rcnn_shufflenet-v2-1x_c4-1x_coco-300.py', 'torchvision'),
    ('mobilenet_v1/faster-rcnn_mobilenet-v1-1.0_c4-1x_coco-300.py', 'timm'),
]


def full_backbone(cfg):
    """The whole backbone ``cfg`` describes, every stage returned, random
    weights and BN statistics, eval mode."""
    cfg = dict(cfg, num_stages=None, out_indices=None, frozen_stages=-1,
               init_cfg=None)
    cfg = {k: v for k, v in cfg.items() if v is not None}
    model = MODELS.build(cfg)
    model = MODELS.build(dict(cfg, out_indices=tuple(range(model.num_stages))))
    for param in model.parameters():
        param.data.normal_(0, 0.1)
    return randomise_batch_norm(model).eval()


def write_converted(model, source, path, **backbone_cfg):
    """Save ``model``'s weights as tools/convert_weights.py does from ``source``."""
    backbone_cfg = dict(model.architecture, **backbone_cfg)
    save_converted(Converted(backbone_cfg, model.state_dict(), {}), source, str(path))
    return str(path)


def c4_detector(config, checkpoint):
    """(cfg, detector) of ``configs/{config}``, backbone and C4 head loading
    ``checkpoint``."""
    cfg = Config.fromfile(osp.join(ROOT, 'configs', config))
    cfg.model.backbone.init_cfg.checkpoint = checkpoint
    cfg.model.roi_head.shared_head.init_cfg.checkpoint = checkpoint
    return cfg, MODELS.build(cfg.model)


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


def random_rois(count, num_images, map_size, stride, seed=0):
    """Boxes in image pixels: inside, across and outside the borders of a
    ``map_size`` (h, w) feature map, some of zero or sub-pixel size, the
    last one far outside."""
    generator = torch.Generator().manual_seed(seed)
    extent = torch.tensor(map_size[::-1]) * stride
    corner = (torch.rand(count, 2, generator=generator) * 1.4 - 0.2) * extent
    size = torch.rand(count, 2, generator=generator) * extent * 0.8
    size[:3] = 0
    size[3:6] = 0.3
    corner[-1] = -2 * extent
    image = torch.randint(num_images, (count, 1), generator=generator).float()
    return torch.cat((image, corner, corner + size), dim=1)


# --- converters: a peer's model against ours after conversion ---------------

# Non-square inputs for parity checks.
INPUTS = [torch.randn(2, 3, 97, 131), torch.randn(1, 3, 64, 40)]


def randomize(model):
    """Random weights and BN statistics, so that nothing matches by luck."""
    torch.manual_seed(1)
    for module in model.modules():
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            nn.init.normal_(module.weight, std=(2 / module.weight[0].numel())**0.5)
    return randomise_batch_norm(model).eval()


def assert_close(ours, theirs):
    """Same shapes, and outputs within 1e-5 of the reference's largest value."""
    for a, b in zip(ours, theirs):
        assert a.shape == b.shape
        error = (a - b).abs().max() / b.abs().max()
        assert error < 1e-5, f'relative error {error:.2e}'


def ours_after_conversion(source, path, **architecture):
    """Convert, then load strictly into our backbone and classifier."""
    converted = convert_checkpoint(source, str(path), **architecture)
    backbone = MODELS.build(dict(converted.backbone_cfg, init_cfg=None))
    backbone.load_state_dict(converted.state_dict)
    backbone.out_indices = tuple(range(backbone.num_stages))
    model = ImageNetClassifier(backbone, converted.classifier['weight'].shape[0])
    model.fc.load_state_dict(converted.classifier)
    return model.eval(), converted


def forward_ours(model, x):
    """Every stage output of the classifier's backbone, then its logits."""
    with torch.no_grad():
        outs = model.backbone(x)
        return [*outs, model.fc(outs[-1].mean((2, 3)))]


# every box kept, so that an untrained model's ranking is compared
TOP_K = {'model.test_cfg.rcnn.score_thr': 0., 'model.test_cfg.rcnn.max_per_img': 50}


def match_rate(actual, expected, iou_threshold=0.95, score_atol=1e-3):
    """Share of ``actual`` boxes (dict of bboxes, scores, labels) with a box
    of the same label in ``expected`` at IoU >= ``iou_threshold`` and a
    score within ``score_atol``; 1 when both are empty."""
    from torchvision.ops import box_iou
    actual, expected = ({key: torch.as_tensor(value) for key, value in boxes.items()}
                        for boxes in (actual, expected))
    if len(actual['bboxes']) == 0:
        return float(len(expected['bboxes']) == 0)
    if len(expected['bboxes']) == 0:
        return 0.
    iou = box_iou(actual['bboxes'], expected['bboxes'])
    same = ((actual['labels'][:, None] == expected['labels'][None]) &
            ((actual['scores'][:, None] - expected['scores'][None]).abs()
             <= score_atol))
    return float(((iou >= iou_threshold) & same).any(1).float().mean())
