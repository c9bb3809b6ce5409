"""The Table 7 reproduction driver (shufflenet_det.tools.reproduce)."""
import json
import os
import os.path as osp
import re
import subprocess
import sys

import pytest
from mmdet.registry import MODELS
from mmdet.utils import register_all_modules
from mmengine.config import Config

from shufflenet_det.datasets import SHAPE_CLASSES
from shufflenet_det.tools import reproduce
from shufflenet_det.tools.reproduce import EXTRA, TABLE7, table_markdown
from helpers import ROOT

# the smallest Table 7 cell, the one the smoke run trains for real
(SMOKE_CELL, ) = [c for c in TABLE7
                  if c.name == 'faster-rcnn_shufflenet-v1-1x-g3_c4-1x_coco-300']


def test_table_lists_every_cell_and_never_the_papers_number_as_measured():
    records = [dict(backbone=c.backbone, size=c.size, config=c.config, name=c.name,
                    paper_map=c.paper_map, note=c.note, mflops=1)
               for c in TABLE7 + EXTRA]
    text = table_markdown(records, 'coco')
    assert text.count('| not run |') == len(TABLE7 + EXTRA) == 13
    assert {c.paper_map for c in TABLE7} == {18.7, 25.0, 14.5, 19.8, 14.9, 19.3}


@pytest.mark.slow
def test_smoke_reproduction_end_to_end(tmp_path):
    """tools/reproduce_table7.py --smoke on one cell: trained and tested by
    tools/train.py and tools/test.py, mAP read from their logs, the other
    cells "not run" (the next test plans every cell's smoke run)."""
    out_dir = tmp_path / 'results'
    result = subprocess.run(
        [sys.executable, 'tools/reproduce_table7.py', '--smoke', '--cells',
         SMOKE_CELL.name, '--work-dir', str(tmp_path / 'work'), '--out-dir',
         str(out_dir)], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    table = json.loads((out_dir / 'table7.json').read_text())
    assert table['mode'] == 'smoke'
    cells = {c['name']: c for c in table['cells']}
    record = cells.pop(SMOKE_CELL.name)
    # the mAP that tools/test.py printed for this cell, in percent
    log = (tmp_path / 'work' / SMOKE_CELL.name / 'reproduce.log').read_text()
    printed = re.findall(r'coco/bbox_mAP: (\d+\.\d+)', log)
    assert printed and record['measured_map'] == round(100 * float(printed[-1]), 1)
    assert osp.isfile(record['checkpoint'])
    assert 'tools/train.py' in record['command']
    assert 'tools/test.py' in record['command']
    assert sorted(cells) == sorted(c.name for c in TABLE7 + EXTRA if c != SMOKE_CELL)
    assert not [r for r in cells.values() if 'measured_map' in r]
    markdown = (out_dir / 'table7.md').read_text()
    assert 'SMOKE RUN' in markdown
    assert markdown.count('| not run |') == len(cells)


@pytest.mark.slow
def test_smoke_run_plans_every_cell(tmp_path, monkeypatch):
    """--smoke with the two tools faked: each Table 7 cell's smoke config
    builds its detector for the shapes dataset, with no pretrained weights
    and a 2-iteration schedule; tools/train.py trains it, tools/test.py
    tests the checkpoint the training named, and the mAP of that test's log
    fills the cell's row. (MFLOPs: tests/test_configs.py.)"""
    work, data_root = tmp_path / 'work', osp.join(tmp_path, 'work', 'data', '')
    maps = {cell.name: index for index, cell in enumerate(TABLE7, start=1)}
    built = []

    def fake_run(command, log_path):
        work_dir = osp.dirname(log_path)
        script, config, *args = command[1:]
        assert config == osp.join(work_dir, 'smoke_config.py')
        checkpoint = osp.join(work_dir, 'iter_2.pth')
        if script == reproduce.tool('train.py'):
            assert args == ['--work-dir', work_dir]
            assert osp.isfile(data_root + 'annotations/instances_train.json')
            cfg = Config.fromfile(config)
            assert cfg.train_cfg.max_iters == 2
            assert cfg.model.backbone.init_cfg is None
            assert cfg.model.roi_head.shared_head.init_cfg is None
            built.append(MODELS.build(cfg.model))
            assert built[-1].roi_head.bbox_head.num_classes == len(SHAPE_CLASSES)
            with open(osp.join(work_dir, 'last_checkpoint'), 'w') as f:
                f.write(checkpoint)
        else:
            assert script == reproduce.tool('test.py')
            assert args == [checkpoint, '--work-dir', osp.join(work_dir, 'test')]
            os.makedirs(osp.join(work_dir, 'test', 'run'))
            with open(osp.join(work_dir, 'test', 'run', 'run.json'), 'w') as f:
                f.write(json.dumps(
                    {'coco/bbox_mAP': maps[osp.basename(work_dir)] / 100}))

    register_all_modules()
    monkeypatch.setattr(reproduce, '_run', fake_run)
    monkeypatch.setattr(reproduce, 'backbone_mflops', lambda path: 1)
    records = reproduce.reproduce(TABLE7, str(tmp_path / 'results'), str(work),
                                  smoke=True)
    assert len(built) == len(TABLE7)
    assert [r['name'] for r in records] == [c.name for c in TABLE7 + EXTRA]
    for record in records[:len(TABLE7)]:
        assert 'error' not in record, record
        assert record['measured_map'] == maps[record['name']]
        assert record['checkpoint'] == str(work / record['name'] / 'iter_2.pth')
    markdown = (tmp_path / 'results' / 'table7.md').read_text()
    assert markdown.count('| not run |') == len(EXTRA)


def test_multi_gpu_cells_use_the_dist_launchers():
    from shufflenet_det.tools.reproduce import _tool_commands
    tools = osp.join(ROOT, 'tools')
    train, test = _tool_commands('cfg.py', 'work', gpus=4)
    assert train[:3] == ['env', f'PYTHON={sys.executable}', 'bash']
    assert train[3:6] == [osp.join(tools, 'dist_train.sh'), 'cfg.py', '4']
    assert test[3:7] == [osp.join(tools, 'dist_test.sh'), 'cfg.py', '{checkpoint}', '4']
    train, _ = _tool_commands('cfg.py', 'work', gpus=1)
    assert train[:2] == [sys.executable, osp.join(tools, 'train.py')]
