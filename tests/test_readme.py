"""The documentation cannot drift from the code: every ```python block of the
README, docs/*.md and configs/*/README.md runs, every script and config a
shell block names exists, and docs/development.md's layout names every part
of the package.

A python block of assignments only is a config: it is loaded with mmengine's
Config and, if it has a model, built (a detector's anchor and RoI strides
checked against its features). Any other block is executed in a temporary
folder with ``model``, a detector built from the demo config, in its
namespace. A block that must not run takes another fence (```text)."""
import ast
import glob
import os.path as osp
import re

import pytest
from mmdet.registry import MODELS
from mmdet.utils import register_all_modules
from mmengine.config import Config

from shufflenet_det.tools.demo import DEMO_CONFIG
from doc_blocks import markdown_blocks, markdown_files
from helpers import ROOT, check_feature_strides

BLOCKS = [(path, block) for path in markdown_files()
          for block in markdown_blocks(path, 'python')]
SHELL_BLOCKS = [(path, block) for path in markdown_files()
                for block in markdown_blocks(path, 'bash', 'shell')]
# A script or config of the checkout named in a shell command.
CHECKOUT_FILE = re.compile(r'(?<![\w./-])((?:tools|configs)/[\w./-]+\.(?:py|sh))')


def block_ids(blocks):
    ids, seen = [], {}
    for path, _ in blocks:
        seen[path] = seen.get(path, -1) + 1
        ids.append(f'{path}:{seen[path]}')
    return ids


def is_config(block):
    return all(isinstance(node, ast.Assign) for node in ast.parse(block).body)


def test_readme_starts_with_the_fresh_machine_commands():
    """CI and users run the README's first block as it stands."""
    first = markdown_blocks('README.md', 'bash')[0]
    assert ('bash tools/setup_env.sh && .venv/bin/python tools/demo.py' in first
            and 'bash tools/setup_env.sh && .venv/bin/python -m pytest tests' in first)
    with open(osp.join(ROOT, 'README.md')) as f:
        assert f.read().split('```')[0].count('\n') <= 3  # only the title above


@pytest.mark.parametrize('path,block', BLOCKS, ids=block_ids(BLOCKS))
def test_python_block_runs(path, block, tmp_path, monkeypatch):
    register_all_modules()
    if not is_config(block):
        monkeypatch.chdir(tmp_path)
        model = MODELS.build(Config.fromfile(DEMO_CONFIG).model).eval()
        exec(compile(block, path, 'exec'), {'model': model})
        return
    cfg = Config.fromstring(block, '.py')
    if 'model' in cfg:
        model = MODELS.build(cfg.model)
        if hasattr(model, 'rpn_head') and hasattr(model, 'roi_head'):
            check_feature_strides(model)


@pytest.mark.parametrize('path,block', SHELL_BLOCKS, ids=block_ids(SHELL_BLOCKS))
def test_shell_block_names_existing_files(path, block):
    missing = [name for name in CHECKOUT_FILE.findall(block)
               if not osp.isfile(osp.join(ROOT, name))]
    assert not missing, f'{path} names {missing}, which the checkout does not have'


def test_development_layout_names_every_package_and_module():
    """Every package under shufflenet_det/ (as ``name/``) and every top-level
    module (as ``name.py``) is in docs/development.md's layout."""
    (layout, ) = [b for b in markdown_blocks('docs/development.md', 'text')
                  if b.startswith('shufflenet_det/')]
    package = osp.join(ROOT, 'shufflenet_det')
    names = {osp.basename(osp.dirname(init)) + '/' for init in glob.glob(
        osp.join(package, '*', '**', '__init__.py'), recursive=True)}
    names |= {osp.basename(module) for module in glob.glob(osp.join(package, '*.py'))}
    missing = sorted(name for name in names
                     if not re.search(rf'(?<![\w.]){re.escape(name)}', layout))
    assert not missing, f'docs/development.md: the layout misses {missing}'
