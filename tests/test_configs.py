"""Every config under configs/ (found, not listed) builds and runs a forward
in loss and predict mode on a tiny input."""
import glob
import os.path as osp

import pytest
import yaml
from mmdet.registry import MODELS
from mmdet.utils import register_all_modules
from mmengine.config import Config

from shufflenet_det.converters import DATA_PREPROCESSORS
from shufflenet_det.paths import resource_root
from shufflenet_det.reproduce import backbone_mflops

ROOT = resource_root()  # configs/ and tools/
CONFIGS = sorted(
    osp.relpath(path, ROOT)
    for path in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'), recursive=True)
    if '_base_' not in path)


def test_configs_are_discovered():
    families = {path.split(osp.sep)[1] for path in CONFIGS}
    assert {'shufflenet_v1', 'shufflenet_v2', 'mobilenet_v1', 'demo'} <= families
    assert len(CONFIGS) >= 14


@pytest.mark.parametrize('path', CONFIGS)
def test_config_builds_and_runs(path, run_loss_and_predict):
    register_all_modules()
    cfg = Config.fromfile(osp.join(ROOT, path))
    model = MODELS.build(cfg.model)
    num_classes = cfg.model.roi_head.bbox_head.num_classes
    losses = run_loss_and_predict(model, num_classes)
    assert {'loss_rpn_cls', 'loss_cls', 'loss_bbox'} <= set(losses)


@pytest.mark.parametrize('path', CONFIGS)
def test_input_normalisation_matches_the_weights(path):
    cfg = Config.fromfile(osp.join(ROOT, path))
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
        flops = model['Metadata']['Backbone FLOPs (M, 224x224)']
        assert flops == backbone_mflops(osp.join(ROOT, model['Config']))
