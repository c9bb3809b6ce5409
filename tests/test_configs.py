"""Every config under configs/ (found, not listed) builds and runs a forward
in loss and predict mode on a tiny input."""
import copy
import functools
import glob
import os.path as osp
import re

import pytest
import torch
import yaml
from mmdet.registry import MODELS
from mmdet.utils import register_all_modules
from mmengine.config import Config
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from shufflenet_det.converters import DATA_PREPROCESSORS
from shufflenet_det.tools.reproduce import backbone_mflops
from helpers import ROOT, run_loss_and_predict, stage_index

# the detector configs (configs/snet_imagenet holds mmpretrain's ImageNet
# configs of the SNet backbones: tests/test_snet_pretraining.py)
CONFIGS = sorted(
    osp.relpath(path, ROOT)
    for path in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'), recursive=True)
    if '_base_' not in path and 'snet_imagenet' not in path)
SMALLER_INPUT = {'600': '300', '512': '320'}


def smaller_input_sibling(path):
    """The config of the same name at the smaller input (-300 for -600, -320
    for -512), if there is one."""
    smaller = re.sub(r'coco-(600|512)\.py$',
                     lambda size: f'coco-{SMALLER_INPUT[size[1]]}.py', path)
    return smaller if smaller != path and smaller in CONFIGS else None


# each model built once in the quick loop (-m "not slow"): a larger input
# keeps its sibling's model (tested below)
BUILT_CONFIGS = [pytest.param(path, marks=pytest.mark.slow)
                 if smaller_input_sibling(path) else path for path in CONFIGS]


@functools.lru_cache(maxsize=None)
def read_once(path):
    return Config.fromfile(osp.join(ROOT, path))


def read_config(path):
    """The config at ``path`` (relative to the checkout), read once per run:
    mmdet's bases make reading slow."""
    return copy.deepcopy(read_once(path))


def test_configs_are_discovered():
    families = {path.split(osp.sep)[1] for path in CONFIGS}
    assert {'shufflenet_v1', 'shufflenet_v2', 'mobilenet_v1', 'thundernet',
            'demo'} <= families
    assert len(CONFIGS) >= 20


def test_every_config_runs_with_the_package_and_its_checks():
    """One runtime base (configs/_base_/default_runtime.py) registers the
    package and its hooks for every config; no other base repeats them."""
    hooks = ['PretrainedInputCheckHook', 'TrainedCheckpointHook', 'AnchorCheckHook']
    for path in CONFIGS:
        cfg = read_config(path)
        assert cfg.custom_imports.imports == ['shufflenet_det'], path
        assert [hook['type'] for hook in cfg.custom_hooks] == hooks, path
    bases = glob.glob(osp.join(ROOT, 'configs', '_base_', '*', '*.py'))
    for path in bases:
        with open(path) as f:
            text = f.read()
        assert 'custom_imports' not in text and 'custom_hooks' not in text, path


def test_a_larger_input_keeps_the_model_of_the_smaller_one():
    """What lets the quick loop build each model once (BUILT_CONFIGS)."""
    siblings = {path: smaller for path in CONFIGS
                if (smaller := smaller_input_sibling(path))}
    assert len(siblings) >= 7
    for path, smaller in siblings.items():
        assert read_config(path).model == read_config(smaller).model, path


def frozen_parameters(cfg, model):
    """The parameters that ``cfg`` says must not train: stem and stages below
    ``frozen_stages`` of the backbone and the C4 head, and BN layers built
    with ``requires_grad=False``."""
    parts = {'backbone.': cfg.model.backbone}
    shared_head = cfg.model.roi_head.get('shared_head')
    if shared_head is not None:
        parts['roi_head.shared_head.'] = dict(shared_head.backbone,
                                              frozen_stages=shared_head.get(
                                                  'frozen_stages', -1))
    norms = {n for n, m in model.named_modules() if isinstance(m, _BatchNorm)}
    frozen = set()
    for name, _ in model.named_parameters():
        for prefix, part in parts.items():
            if not name.startswith(prefix):
                continue
            local = name[len(prefix):]
            frozen_stages = part.get('frozen_stages', -1)
            in_frozen_stage = 0 <= frozen_stages and stage_index(local) < frozen_stages
            frozen_norm = (name.rsplit('.', 1)[0] in norms
                           and not part.get('norm_cfg', {}).get('requires_grad', True))
            if in_frozen_stage or frozen_norm:
                frozen.add(name)
    return frozen


@pytest.mark.parametrize('path', BUILT_CONFIGS)
def test_config_builds_trains_the_right_parameters_and_runs(path):
    register_all_modules()
    cfg = read_config(path)
    model = MODELS.build(cfg.model).train()
    parameters = dict(model.named_parameters())
    frozen = frozen_parameters(cfg, model)
    assert {n for n, p in parameters.items() if not p.requires_grad} == frozen
    if 'shared_head' in cfg.model.roi_head:  # C4: every per-RoI conv trains
        head_convs = [m for m in model.roi_head.shared_head.modules()
                      if isinstance(m, nn.Conv2d)]
        assert head_convs and all(m.weight.requires_grad for m in head_convs)
    if cfg.model.type == 'ThunderNet':  # every conv and FC after the backbone
        layers = [m for part in (model.neck, model.rpn_head, model.sam,
                                 model.roi_head.bbox_head)
                  for m in part.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
        cem_convs = len(cfg.model.neck.in_channels) + 1  # and the global one
        assert len(layers) == cem_convs + 4 + 1 + 3
        assert all(p.requires_grad for m in layers for p in m.parameters())

    before = {k: v.clone() for k, v in parameters.items()}
    num_classes = cfg.model.roi_head.bbox_head.num_classes
    losses = run_loss_and_predict(model, num_classes)
    assert {'loss_rpn_cls', 'loss_cls', 'loss_bbox'} <= set(losses)
    # Every trainable tensor gets a gradient (through frozen BN it can be
    # 1e-16, too small to move float32 weights), the frozen ones none, and an
    # optimizer step leaves them as they were.
    with_gradient = {n for n, p in parameters.items()
                     if p.grad is not None and p.grad.abs().sum() > 0}
    assert with_gradient == set(parameters) - frozen
    torch.optim.SGD(model.parameters(), lr=0.01).step()
    assert all(torch.equal(parameters[n], before[n]) for n in frozen)


@pytest.mark.parametrize('path', CONFIGS)
def test_input_normalisation_matches_the_weights(path):
    cfg = read_config(path)
    expected = DATA_PREPROCESSORS[cfg.pretrained_source]
    preprocessor = cfg.model.data_preprocessor
    assert {k: preprocessor[k] for k in expected} == expected
    backbone = cfg.model.backbone
    if backbone.type == 'MobileNetV1' and cfg.pretrained_source == 'timm':
        assert backbone.act_cfg == dict(type='ReLU6')


@pytest.mark.parametrize('folder', sorted({osp.dirname(p) for p in CONFIGS}))
def test_folder_readme_and_metafile_list_its_configs(folder):
    assert osp.isfile(osp.join(ROOT, folder, 'README.md'))
    with open(osp.join(ROOT, folder, 'metafile.yml')) as f:
        metafile = yaml.safe_load(f)
    models = metafile['Models']
    assert {m['Config'] for m in models} == {p for p in CONFIGS
                                             if osp.dirname(p) == folder}
    collections = {c['Name'] for c in metafile['Collections']}
    for model in models:
        assert model['In Collection'] in collections
        assert model['Name'] == osp.splitext(osp.basename(model['Config']))[0]


@pytest.mark.slow
@pytest.mark.parametrize('folder', sorted({osp.dirname(p) for p in CONFIGS}))
def test_metafile_flops_are_the_tools_count(folder):
    """Each config's backbone counted (docs/complexity.md's table is checked
    against the same count in the quick loop: tests/tools/test_complexity.py)."""
    with open(osp.join(ROOT, folder, 'metafile.yml')) as f:
        models = yaml.safe_load(f)['Models']
    for model in models:
        flops = model['Metadata']['Backbone FLOPs (M, 224x224)']
        assert flops == backbone_mflops(osp.join(ROOT, model['Config'])), model['Name']
