"""The Table 7 workflow: COCO layout check and the reproduction driver."""
import json
import os.path as osp
import subprocess
import sys

import pytest

from shufflenet_det.coco_check import check_coco
from shufflenet_det.datasets import generate_shapes_dataset
from shufflenet_det.paths import resource_root
from shufflenet_det.reproduce import EXTRA, TABLE7, table_markdown

ROOT = resource_root()  # configs/ and tools/
SPLITS = {'train': 6, 'val': 3}


@pytest.fixture
def layout(tmp_path):
    generate_shapes_dataset(str(tmp_path), num_train=6, num_val=3, image_size=32)
    return tmp_path


def test_complete_layout_has_no_problems(layout):
    assert check_coco(str(layout), SPLITS) == []


def test_layout_problems_are_named(layout):
    (layout / 'train' / '00002.png').unlink()
    (layout / 'val' / '00001.png').write_bytes(b'not a png')
    problems = check_coco(str(layout), {'train': 6, 'val': 4, 'test': 1})
    assert any("1 of 6 images missing" in p and '00002.png' in p for p in problems)
    assert any(p.endswith('00001.png does not decode as an image') for p in problems)
    assert any('lists 3 images, COCO 2017 val has 4' in p for p in problems)
    assert any('missing annotation file' in p and 'instances_test.json' in p
               for p in problems)


def test_check_coco_cli_on_an_empty_folder(tmp_path):
    result = subprocess.run([sys.executable, 'tools/check_coco.py', str(tmp_path)],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert 'instances_train2017.json' in result.stdout
    assert 'instances_val2017.json' in result.stdout


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
        assert 0 <= record['measured_map'] <= 100
        assert osp.isfile(record['checkpoint'])
        assert 'tools/train.py' in record['command']
        assert 'tools/test.py' in record['command']
    for cell in EXTRA:
        assert 'measured_map' not in cells[cell.name]
    markdown = (out_dir / 'table7.md').read_text()
    assert 'SMOKE RUN' in markdown
    assert markdown.count('| not run |') == len(EXTRA)


def test_multi_gpu_cells_use_the_dist_launchers():
    from shufflenet_det.reproduce import _tool_commands
    tools = osp.join(ROOT, 'tools')
    train, test = _tool_commands('cfg.py', 'work', gpus=4)
    assert train[:3] == ['env', f'PYTHON={sys.executable}', 'bash']
    assert train[3:6] == [osp.join(tools, 'dist_train.sh'), 'cfg.py', '4']
    assert test[3:7] == [osp.join(tools, 'dist_test.sh'), 'cfg.py', '{checkpoint}', '4']
    train, _ = _tool_commands('cfg.py', 'work', gpus=1)
    assert train[:2] == [sys.executable, osp.join(tools, 'train.py')]
