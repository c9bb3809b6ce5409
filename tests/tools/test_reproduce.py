"""The Table 7 reproduction driver (shufflenet_det.tools.reproduce)."""
import json
import os.path as osp
import re
import subprocess
import sys

from shufflenet_det.tools.reproduce import EXTRA, TABLE7, table_markdown
from helpers import ROOT


def test_table_lists_every_cell_and_never_the_papers_number_as_measured():
    records = [dict(backbone=c.backbone, size=c.size, config=c.config, name=c.name,
                    paper_map=c.paper_map, note=c.note, mflops=1)
               for c in TABLE7 + EXTRA]
    text = table_markdown(records, 'coco')
    assert text.count('| not run |') == len(TABLE7 + EXTRA) == 13
    assert {c.paper_map for c in TABLE7} == {18.7, 25.0, 14.5, 19.8, 14.9, 19.3}


def test_smoke_reproduction_end_to_end(tmp_path):
    """tools/reproduce_table7.py --smoke: every Table 7 cell is trained and
    tested by tools/train.py and tools/test.py, mAP read from their logs."""
    out_dir = tmp_path / 'results'
    result = subprocess.run(
        [sys.executable, 'tools/reproduce_table7.py', '--smoke', '--work-dir',
         str(tmp_path / 'work'), '--out-dir', str(out_dir)],
        cwd=ROOT, capture_output=True, text=True, timeout=1200)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    table = json.loads((out_dir / 'table7.json').read_text())
    assert table['mode'] == 'smoke'
    cells = {c['name']: c for c in table['cells']}
    for cell in TABLE7:
        record = cells[cell.name]
        # the mAP that tools/test.py printed for this cell, in percent
        log = (tmp_path / 'work' / cell.name / 'reproduce.log').read_text()
        printed = re.findall(r'coco/bbox_mAP: (\d+\.\d+)', log)
        assert printed and record['measured_map'] == round(100 * float(printed[-1]), 1)
        assert osp.isfile(record['checkpoint'])
        assert 'tools/train.py' in record['command']
        assert 'tools/test.py' in record['command']
    for cell in EXTRA:
        assert 'measured_map' not in cells[cell.name]
    markdown = (out_dir / 'table7.md').read_text()
    assert 'SMOKE RUN' in markdown
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
