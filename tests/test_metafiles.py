"""The complexity figures of configs/*/metafile.yml are docs/complexity.md's,
the table that tests/tools/test_complexity.py checks against the tool
(tools/analyze_complexity.py): a figure is stated once and cannot drift."""
import glob
import inspect
import os.path as osp

import pytest
import yaml
from mmdet.registry import MODELS
from mmdet.utils import register_all_modules
from mmengine.config import Config

from shufflenet_det.tools.complexity import PAPER_FIGURES
from helpers import ROOT, documented_complexity

FLOPS = 'Backbone FLOPs (M, 224x224)'


def metafile_models():
    for path in sorted(glob.glob(osp.join(ROOT, 'configs', '*', 'metafile.yml'))):
        with open(path) as f:
            yield from yaml.safe_load(f)['Models']


def paper_figure(backbone):
    """The complexity table's model that ``backbone`` (a config's) is a part
    of: the same type and the same value of every argument the table sets,
    a missing one taking the class's default."""
    defaults = inspect.signature(MODELS.get(backbone['type'])).parameters

    def value(key):
        return backbone.get(key, defaults[key].default)

    (figure, ) = [f for f in PAPER_FIGURES if f.backbone['type'] == backbone['type']
                  and all(value(k) == v for k, v in f.backbone.items() if k != 'type')]
    return figure


@pytest.mark.parametrize('model', list(metafile_models()), ids=lambda m: m['Name'])
def test_metafile_flops_are_the_documented_ones(model):
    register_all_modules()
    backbone = Config.fromfile(osp.join(ROOT, model['Config'])).model.backbone
    mflops, _ = documented_complexity()[paper_figure(backbone).name]
    assert model['Metadata'][FLOPS] == float(mflops), (
        f"{model['Name']}: {FLOPS} {model['Metadata'][FLOPS]}, docs/complexity.md "
        f'{mflops}')
