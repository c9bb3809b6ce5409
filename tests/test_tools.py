"""tools/train.py, tools/test.py and the dist_* launchers, as a user runs them."""
import os
import os.path as osp
import pickle
import subprocess
import sys

import pytest
import torch

from shufflenet_det.datasets import generate_shapes_dataset
from shufflenet_det.demo import DEMO_CONFIG
from shufflenet_det.paths import resource_root
from helpers import TINY_CONFIG

ROOT = resource_root()  # configs/ and tools/


def run_tool(*args):
    result = subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout + result.stderr


@pytest.fixture(scope='module')
def tiny_config(tmp_path_factory):
    root = tmp_path_factory.mktemp('tools')
    generate_shapes_dataset(str(root / 'data'), num_train=6, num_val=3, image_size=64)
    path = root / 'tiny.py'
    path.write_text(TINY_CONFIG.format(base=DEMO_CONFIG, data=root / 'data'))
    return root, str(path)


def test_train_resume_and_test(tiny_config):
    root, config = tiny_config
    work_dir = str(root / 'work')
    run_tool('tools/train.py', config, '--work-dir', work_dir)
    assert osp.isfile(osp.join(work_dir, 'iter_2.pth'))

    log = run_tool('tools/train.py', config, '--work-dir', work_dir, '--resume',
                   '--cfg-options', 'train_cfg.max_iters=4')
    assert 'resumed epoch: 0, iter: 2' in log
    assert 'Iter(train) [3/4]' in log
    assert osp.isfile(osp.join(work_dir, 'iter_4.pth'))

    out = str(root / 'predictions.pkl')
    log = run_tool('tools/test.py', config, osp.join(work_dir, 'iter_4.pth'),
                   '--work-dir', work_dir, '--out', out)
    assert 'coco/bbox_mAP' in log
    with open(out, 'rb') as f:
        predictions = pickle.load(f)
    assert len(predictions) == 3 and 'pred_instances' in predictions[0]

    # --fast: BN folded, channels_last, separable RoIAlign; the same boxes
    fast_out = str(root / 'predictions_fast.pkl')
    log = run_tool('tools/test.py', config, osp.join(work_dir, 'iter_4.pth'),
                   '--work-dir', work_dir, '--out', fast_out, '--fast')
    assert 'optimize_for_inference applied to FasterRCNN' in log
    with open(fast_out, 'rb') as f:
        fast_predictions = pickle.load(f)
    assert sum(len(p['pred_instances']['scores']) for p in predictions) > 0
    for fast, plain in zip(fast_predictions, predictions):
        for key in ('bboxes', 'scores', 'labels'):
            torch.testing.assert_close(fast['pred_instances'][key],
                                       plain['pred_instances'][key],
                                       rtol=1e-3, atol=1e-3)


def test_test_rejects_bad_out_file(tiny_config):
    result = subprocess.run(
        [sys.executable, 'tools/test.py', tiny_config[1], 'x.pth', '--out', 'x.json'],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    assert '--out x.json: the dump file must end in .pkl' in result.stderr


@pytest.mark.parametrize('script,args,forwarded', [
    ('dist_train.sh', ['cfg.py', '4', '--resume'],
     ['tools/train.py', 'cfg.py', '--launcher', 'pytorch', '--resume']),
    ('dist_test.sh', ['cfg.py', 'ckpt.pth', '8', '--out', 'r.pkl'],
     ['tools/test.py', 'cfg.py', 'ckpt.pth', '--launcher', 'pytorch', '--out',
      'r.pkl']),
])
def test_dist_scripts_call_torchrun(tmp_path, script, args, forwarded):
    """The launchers hand torchrun the node layout and pass the rest on."""
    stub = tmp_path / 'python'
    stub.write_text('#!/bin/sh\nprintf "%s\\n" "$@"\n')
    stub.chmod(0o755)
    env = dict(os.environ, PYTHON=str(stub), NNODES='2', NODE_RANK='1',
               MASTER_ADDR='head-node', PORT='29999')
    result = subprocess.run(['bash', f'tools/{script}', *args], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    argv = result.stdout.split('\n')[:-1]
    gpus = args[1] if script == 'dist_train.sh' else args[2]
    assert argv[:7] == ['-m', 'torch.distributed.run', '--nnodes=2', '--node_rank=1',
                        '--master_addr=head-node', f'--nproc_per_node={gpus}',
                        '--master_port=29999']
    assert argv[7:] == forwarded
