"""tools/results_page.py: the results pages of the docs are what it writes
from their JSON files (no figure typed by hand), and it writes where, when
and how each measurement was made beside its table."""
import glob
import json
import os.path as osp
import runpy

import pytest

from shufflenet_det.tools.benchmark import Measurement, Run, Spread, write_results
from helpers import ROOT

page_tool = runpy.run_path(osp.join(ROOT, 'tools', 'results_page.py'))
PAGES = sorted(glob.glob(osp.join(ROOT, 'docs', 'results', '*.md')))


def test_there_are_results_pages():
    assert PAGES


@pytest.mark.parametrize('page', PAGES, ids=osp.basename)
def test_each_results_page_is_what_its_json_files_give(page):
    title, intro, files = page_tool['page_sources'](page)
    with open(page) as f:
        written = f.read()
    assert written == page_tool['render'](title, files, intro), (
        f'{page} differs from its JSON files; write it with tools/results_page.py')


def test_a_page_states_machine_date_command_and_ratios(tmp_path, monkeypatch):
    monkeypatch.setattr('sys.argv', ['tools/benchmark_runtime.py', '--repeats', '3'])
    records = [Measurement('torchvision:fast', Run('onnxruntime'), Spread(9, 10, 12)),
               Measurement('snet146', Run('mnn', precision='int8 weights'),
                           Spread(2.5, 3, 4), dict(inference=2.0),
                           dict(images_per_s=120.5, input=[320, 320]))]
    path = tmp_path / 'run.json'
    write_results(str(path), records, tool='benchmark_runtime', threads=2,
                  cold_start={'runtime': [0.3, 0.2, 0.4]})
    measured = json.loads(path.read_text())
    assert measured['command'] == 'python tools/benchmark_runtime.py --repeats 3'
    assert 'cores' in measured['machine'] and measured['date'].endswith('UTC')
    page = page_tool['render']('Speed', [str(path)], 'Measured here.')
    lines = page.splitlines()
    assert lines[0] == ('<!-- written by tools/results_page.py from run.json: do '
                        'not edit -->')
    assert f'### {measured["machine"]}, {measured["date"]}' in lines
    assert '`python tools/benchmark_runtime.py --repeats 3`' in lines
    assert '- runtime: 0.20 / 0.30 / 0.40' in lines and 'threads: 2.' in lines
    assert ('| snet146 | mnn int8 weights | 2.5 / 3.0 / 4.0 | 0.30 | 2.00 | 120 | '
            '320x320 |') in lines
    page_file = tmp_path / 'speed.md'
    page_file.write_text(page)
    assert page_tool['page_sources'](str(page_file)) == ('Speed', 'Measured here.',
                                                         [str(path)])


def test_json_without_provenance_is_refused(tmp_path):
    path = tmp_path / 'old.json'
    path.write_text(json.dumps(dict(tool='benchmark_runtime', results=[])))
    with pytest.raises(SystemExit, match='has no date, command, machine'):
        page_tool['render']('Speed', [str(path)])


def test_backbones_are_compared_with_mobilenet_v1_of_their_precision(tmp_path):
    records = [Measurement('MobileNet v1 1.0', Run('openvino'), Spread(9, 10, 11)),
               Measurement('MobileNet v1 1.0', Run.onnx('openvino', 'nncf'),
                           Spread(2, 4, 5)),
               Measurement('ShuffleNet v1 1x g3', Run.onnx('openvino', 'nncf'),
                           Spread(2, 3, 4))]
    path = tmp_path / 'b.json'
    write_results(str(path), records, tool='benchmark_backbone')
    lines = page_tool['render']('Backbones', [str(path)]).splitlines()
    assert ('| ShuffleNet v1 1x g3 | openvino int8/nncf | 2.0 / 3.0 / 4.0 | 0.75 |'
            in lines)
    assert any(line.startswith('| model | runs as | ms min / median / max | / Mobile')
               for line in lines)
