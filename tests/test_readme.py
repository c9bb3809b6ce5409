"""Every ```python block of the README runs, so the README cannot drift from
the code. A block of assignments only is a config: it is loaded with
mmengine's Config and, if it has a model, built (a detector's anchor and RoI
strides checked against its features). Any other block is executed in a
temporary folder with ``model``, a detector built from the demo config, in
its namespace."""
import ast

import pytest
from mmdet.registry import MODELS
from mmdet.utils import register_all_modules
from mmengine.config import Config

from shufflenet_det.tools.demo import DEMO_CONFIG
from helpers import check_feature_strides, readme_python_blocks

BLOCKS = readme_python_blocks()


def is_config(block):
    return all(isinstance(node, ast.Assign) for node in ast.parse(block).body)


@pytest.mark.parametrize('block', BLOCKS, ids=[f'block{i}' for i in range(len(BLOCKS))])
def test_readme_python_block_runs(block, tmp_path, monkeypatch):
    register_all_modules()
    if not is_config(block):
        monkeypatch.chdir(tmp_path)
        model = MODELS.build(Config.fromfile(DEMO_CONFIG).model).eval()
        exec(compile(block, 'README.md', 'exec'), {'model': model})
        return
    cfg = Config.fromstring(block, '.py')
    if 'model' in cfg:
        model = MODELS.build(cfg.model)
        if hasattr(model, 'rpn_head') and hasattr(model, 'roi_head'):
            check_feature_strides(model)
