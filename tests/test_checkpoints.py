"""Reading checkpoints by name (shufflenet_det.checkpoints, .model_zoo): URLs
downloaded once into mmengine's cache with their hash checked, model-zoo
names resolved by mmengine, and one clear line for a file that is no
checkpoint, a checkpoint that does not fit, or a config that is none - in
the library and in every tool; files written whole or not at all, outputs
that cannot be right refused."""
import argparse
import hashlib
import http.server
import os
import os.path as osp
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import torch
from mmdet.registry import MODELS
from mmdet.utils import register_all_modules
from torch import nn

from shufflenet_det import model_zoo
from shufflenet_det.atomic import atomic_path, check_output_path
from shufflenet_det.checkpoints import check_trained_fit, load_torch_file
from shufflenet_det.config_options import read_config
from shufflenet_det.model_zoo import checkpoint_url
from shufflenet_det.weights import convert_checkpoint
from helpers import ROOT, randomize, tool_error

TORCHVISION_V2_1X = 'https://download.pytorch.org/models/shufflenetv2_x1-5666bf0f80.pth'


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """mmengine's (torch.hub's) checkpoint cache, in a fresh folder."""
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch_home'))
    return tmp_path / 'torch_home' / 'hub' / 'checkpoints'


@pytest.fixture
def server(tmp_path):
    """(base URL, list of requested paths) of an http server on 127.0.0.1
    serving ``tmp_path / 'served'``."""
    folder = tmp_path / 'served'
    folder.mkdir()
    requests = []

    class Handler(http.server.SimpleHTTPRequestHandler):

        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(folder), **kwargs)

        def do_GET(self):
            requests.append(self.path)
            if self.path == '/slow.pth':  # a server that never answers in time
                time.sleep(3)
            super().do_GET()

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f'http://127.0.0.1:{httpd.server_port}', folder, requests
    httpd.shutdown()
    httpd.server_close()


def torchvision_v2_file(path):
    import torchvision
    torch.save(randomize(torchvision.models.shufflenet_v2_x0_5()).state_dict(), path)
    return str(path)


def sha256(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def test_url_is_downloaded_once_hash_checked_and_loads_as_converted(server, cache,
                                                                    tmp_path):
    """A backbone's init_cfg on a loopback URL: the file lands in the cache,
    a second model reads it from there, and the weights are those of the
    explicitly converted file."""
    register_all_modules()
    base, folder, requests = server
    source = torchvision_v2_file(tmp_path / 'v2.pth')
    name = f'shufflenetv2_x0.5-{sha256(source)[:10]}.pth'  # torchvision's naming
    (folder / name).write_bytes(open(source, 'rb').read())
    cfg = dict(type='ShuffleNetV2', widen_factor=0.5,
               init_cfg=dict(type='Pretrained', checkpoint=f'{base}/{name}'))
    first, second = MODELS.build(cfg), MODELS.build(cfg)
    first.init_weights()
    second.init_weights()
    assert requests == [f'/{name}']
    assert (cache / name).is_file()
    expected = convert_checkpoint('torchvision', source).state_dict
    for key, value in expected.items():
        assert torch.equal(first.state_dict()[key], value), key
        assert torch.equal(second.state_dict()[key], value), key


def test_url_whose_hash_differs_fails_and_caches_nothing(server, cache, tmp_path):
    base, folder, _ = server
    source = torchvision_v2_file(tmp_path / 'v2.pth')
    name = 'shufflenetv2_x0.5-0123456789.pth'
    (folder / name).write_bytes(open(source, 'rb').read())
    with pytest.raises(ValueError, match=rf'could not download {base}/{name}: '
                       r'invalid hash value \(expected "0123456789", got '
                       f'"{sha256(source)}"'):
        load_torch_file(f'{base}/{name}')
    assert not cache.exists() or not list(cache.iterdir())
    with pytest.raises(ValueError, match=rf'could not download {base}/absent.pth: '
                       'HTTP Error 404'):
        load_torch_file(f'{base}/absent.pth')


def test_server_that_does_not_answer_fails_in_time(server, cache, monkeypatch):
    base, _, requests = server
    monkeypatch.setattr(model_zoo, 'DOWNLOAD_TIMEOUT_S', 0.5)
    with pytest.raises(ValueError, match=rf'could not download {base}/slow.pth: .*'
                       'timed out'):
        load_torch_file(f'{base}/slow.pth')
    assert requests == ['/slow.pth']


def test_model_zoo_names_resolve_by_mmengines_tables():
    assert checkpoint_url('torchvision://shufflenet_v2_x1_0.imagenet1k_v1') == (
        TORCHVISION_V2_1X)
    assert checkpoint_url('mmcls://shufflenet_v1').endswith(
        'shufflenet_v1_batch1024_imagenet_20200804-5d6cec73.pth')
    with pytest.raises(ValueError, match=r'torchvision://shufflenet_v2_x3_0: '
                       r'mmengine knows no such torchvision:// name; similar: .*'
                       r'shufflenet_v2_x1_0.imagenet1k_v1'):
        checkpoint_url('torchvision://shufflenet_v2_x3_0')
    with pytest.raises(ValueError, match=r"ftp://x/w.pth: not a file, and not a URL "
                       r"this project reads \(allowed: http\(s\)://, torchvision://"):
        load_torch_file('ftp://x/w.pth')


def bad_files(folder):
    """(path, what the error must say) of files that are no checkpoint."""
    good = folder / 'good.pth'
    torch.save({'conv.weight': torch.zeros(8, 3, 3, 3)}, good)
    data = good.read_bytes()
    cases = {
        'truncated.pth': (data[:len(data) // 2],
                          'a truncated or damaged zip archive'),
        'garbage.pth': (b'hello, not weights\n', 'neither a torch.save zip archive '
                        "nor a pickle \\(it starts with b'hello, n'\\)"),
        'empty.pth': (b'', 'an empty file'),
    }
    for name, (content, _) in cases.items():
        (folder / name).write_bytes(content)
    import pickle
    with open(folder / 'object.pkl', 'wb') as f:
        pickle.dump(threading.Lock, f)  # a pickle of a class, not tensors
    cases['object.pkl'] = (None, r'a pickle, but no weights-only PyTorch checkpoint \(')
    return [(str(folder / name), message) for name, (_, message) in cases.items()]


def test_files_that_are_no_checkpoint_fail_in_one_line(tmp_path):
    for path, message in bad_files(tmp_path):
        for weights_only in (True, None):
            with pytest.raises(ValueError, match=f'{path} is not a loadable PyTorch '
                               f'checkpoint: it is {message}') as error:
                load_torch_file(path, weights_only)
            assert '\n' not in str(error.value)
    namespace = str(tmp_path / 'namespace.pth')
    torch.save({'state_dict': {'w': torch.zeros(1)}, 'args': argparse.Namespace()},
               namespace)
    with pytest.raises(ValueError, match=f'{namespace} is not a loadable PyTorch '
                       'checkpoint: it is a torch.save file of more than weights '
                       r'\(Unsupported global: GLOBAL argparse.Namespace'):
        load_torch_file(namespace, weights_only=True)
    with pytest.raises(FileNotFoundError, match='no checkpoint file at nowhere.pth'):
        load_torch_file('nowhere.pth')


CONFIG = osp.join('configs', 'shufflenet_v1',
                  'faster-rcnn_shufflenet-v1-1x-g3_c4-1x_coco-300.py')


@pytest.mark.slow
@pytest.mark.parametrize('tool', ['export_onnx.py', 'test.py'])
def test_tools_refuse_a_file_that_is_no_checkpoint(tool, tmp_path):
    """As a new user tries it: one line naming the file and what it is, exit
    status 2, no traceback, nothing written."""
    garbage = tmp_path / 'garbage.pth'
    garbage.write_text('not a checkpoint\n')
    out = tmp_path / 'out.onnx'
    extra = ([str(out)] if tool == 'export_onnx.py'
             else ['--work-dir', str(tmp_path / 'work')])
    result = subprocess.run([sys.executable, osp.join('tools', tool), CONFIG,
                             str(garbage), *extra], cwd=ROOT, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 2, result.stderr[-2000:]
    assert result.stderr.strip().splitlines()[-1] == (
        f'{tool}: error: {garbage} is not a loadable PyTorch checkpoint: it is '
        "neither a torch.save zip archive nor a pickle (it starts with b'not a ch')")
    assert 'Traceback' not in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ['garbage.pth']


# --- files written whole or not at all; outputs refused; configs read -------

def test_atomic_path_is_unique_beside_the_file_and_leaves_nothing_on_error(
        tmp_path):
    path = tmp_path / 'new' / 'drawn.png'
    with atomic_path(str(path)) as first, atomic_path(str(path)) as second:
        assert first != second  # two writers never share a partial file
        for partial in (first, second):
            assert osp.dirname(partial) == str(path.parent)
            assert partial.endswith('.png') and not osp.exists(path)
        Path(first).write_text('first')
        Path(second).write_text('second')
    assert path.read_text() == 'first'  # the last one moved into place
    umask = os.umask(0)
    os.umask(umask)
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~umask
    with pytest.raises(RuntimeError), atomic_path(str(path)) as partial:
        Path(partial).write_text('half')
        raise RuntimeError
    assert path.read_text() == 'first'
    assert os.listdir(path.parent) == ['drawn.png']


def test_an_output_path_that_cannot_be_right_is_refused(tmp_path):
    model = tmp_path / 'model.onnx'
    model.write_text('x')
    (tmp_path / 'link.onnx').symlink_to(model)
    with pytest.raises(ValueError, match=f'output {tmp_path} is a folder; allowed: '
                       'the path of a file'):
        check_output_path(str(tmp_path), str(model))
    for same in (str(model), str(tmp_path / 'link.onnx'),
                 osp.relpath(model)):
        with pytest.raises(ValueError, match='is the input file .*model.onnx; '
                           'allowed: another path'):
            check_output_path(same, str(model))
    check_output_path(str(tmp_path / 'int8.onnx'), str(model))


def bad_configs(folder):
    """(path, what the one-line error says) of files that are no config."""
    cases = {'empty.py': (b'', 'defines no model'),
             'typo.py': (b"model = dict(type='FasterRCNN'\n",
                         'is not valid Python: .* \\(line 1\\)'),
             'binary.py': (bytes(range(256)), 'is not (valid Python|a text file)'),
             'no_model.py': (b'train_cfg = dict(max_iters=2)\n', 'defines no model'),
             'bad_base.py': (b"_base_ = './nowhere.py'\n", 'cannot be read: ')}
    for name, (content, _) in cases.items():
        (folder / name).write_bytes(content)
    return [(str(folder / 'missing.py'), 'no such file'),
            (str(folder), 'a folder, not a file')] + [
        (str(folder / name), message) for name, (_, message) in cases.items()]


def test_configs_that_are_none_fail_in_one_line(tmp_path):
    for path, message in bad_configs(tmp_path):
        with pytest.raises(ValueError, match=f'config {path}:? {message}') as error:
            read_config(path)
        assert '\n' not in str(error.value)


@pytest.mark.parametrize('tool', ['train.py', 'test.py', 'export_onnx.py',
                                  'quantize_onnx.py', 'demo.py'])
def test_tools_refuse_a_bad_config_before_any_work(tool, tmp_path):
    work = tmp_path / 'work'
    for path, message in bad_configs(tmp_path):
        args = {'train.py': [path, '--work-dir', work],
                'test.py': [path, 'x.pth', '--work-dir', work],
                'export_onnx.py': [path, 'x.pth', work / 'x.onnx'],
                'quantize_onnx.py': [path, 'x.onnx', work / 'y.onnx'],
                'demo.py': ['--config', path, '--work-dir', work]}[tool]
        assert re.fullmatch(f'config {path}:? {message}.*',
                            tool_error(osp.join('tools', tool), *args))
    assert not work.exists()


def test_checkpoint_fit_names_counts_keys_and_the_likely_cause(caplog):
    model = nn.Sequential(nn.Conv2d(3, 4, 1), nn.BatchNorm2d(4))
    state = model.state_dict()
    check_trained_fit(model, dict(state_dict=state), 'same.pth')
    check_trained_fit(model, {f'module.{k}': v for k, v in state.items()}, 'ddp.pth')
    cases = [
        ({f'detector.{k}': v for k, v in state.items()},
         r"6 missing: 0.weight, 0.bias, 1.weight and 3 more\. Likely cause: its "
         r"keys start with 'detector.'"),
        (nn.Sequential(nn.Conv2d(3, 5, 1)).state_dict(),
         r'4 missing: 1.weight.*; 2 of another shape: 0.weight: checkpoint '
         r'\(5, 3, 1, 1\) != model \(4, 3, 1, 1\).*another config'),
        ({k[2:]: v for k, v in state.items() if k.startswith('1.')},
         r"6 missing: 0.weight, 0.bias, .*lack the prefix '1.'")]
    for state_dict, message in cases:
        with pytest.raises(ValueError, match=r'other.pth does not fit this '
                           rf'Sequential of the config \(7 tensors\): {message}.*'
                           r'--allow-partial') as error:
            check_trained_fit(model, state_dict, 'other.pth')
        assert '\n' not in str(error.value)
    check_trained_fit(model, cases[1][0], 'other.pth', allow_partial=True)
