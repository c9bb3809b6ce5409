"""tools/dist_train.sh and tools/dist_test.sh run N real processes through
torchrun, on gloo without GPUs (shufflenet_det.engine.distributed); slurm_train.sh
hands srun the allocation."""
import json
import os
import os.path as osp
import pickle
import re
import signal
import socket
import subprocess
import sys
import time

import pytest

from helpers import ROOT, run_command


def launcher_env(**extra):
    with socket.socket() as s:  # a free port for torchrun's rendezvous
        s.bind(('127.0.0.1', 0))
        port = s.getsockname()[1]
    return dict(os.environ, PYTHON=sys.executable, PORT=str(port), **extra)


def dist_train(config, *args, processes=2, **kwargs):
    return run_command(['bash', 'tools/dist_train.sh', config, str(processes), *args],
                       env=launcher_env(), **kwargs)


@pytest.fixture(scope='module')
def dist_trained(tiny_config):
    root, config = tiny_config
    work_dir = root / 'dist'
    log = dist_train(config, '--work-dir', str(work_dir))
    return config, work_dir, log


@pytest.mark.slow
def test_two_processes_train(dist_trained):
    _, work_dir, log = dist_trained
    assert 'Distributed training: True' in log
    assert 'GPU number: 2' in log  # mmengine's name for the world size
    losses = [float(x)
              for x in re.findall(r'Iter\(train\) \[\d/2\].* loss: (\S+)', log)]
    assert len(losses) == 2 and all(0 < loss < 100 for loss in losses), log[-3000:]
    assert (work_dir / 'iter_2.pth').is_file()


@pytest.mark.slow
def test_two_processes_resume_at_the_saved_iteration(dist_trained):
    config, work_dir, _ = dist_trained
    log = dist_train(config, '--work-dir', str(work_dir), '--resume',
                     '--cfg-options', 'train_cfg.max_iters=4')
    assert 'resumed epoch: 0, iter: 2' in log
    assert 'Iter(train) [3/4]' in log and 'Iter(train) [1/4]' not in log
    assert (work_dir / 'iter_4.pth').is_file()


@pytest.mark.slow
def test_two_processes_test_count_every_image_once(dist_trained, tmp_path):
    config, work_dir, _ = dist_trained
    out = tmp_path / 'predictions.pkl'
    log = run_command(['bash', 'tools/dist_test.sh', config,
                       str(work_dir / 'iter_2.pth'), '2', '--work-dir',
                       str(tmp_path), '--out', str(out)], env=launcher_env())
    assert 'coco/bbox_mAP' in log
    with open(out, 'rb') as f:
        predictions = pickle.load(f)
    # 5 images on 2 ranks: the sampler pads to 6, the gather drops the copy.
    with open(osp.join(osp.dirname(config), 'data', 'annotations',
                       'instances_val.json')) as f:
        image_ids = [image['id'] for image in json.load(f)['images']]
    assert len(image_ids) == 5
    assert sorted(p['img_id'] for p in predictions) == sorted(image_ids)


def worker_pids(pid):
    with open(f'/proc/{pid}/task/{pid}/children') as f:
        return [int(child) for child in f.read().split()]


@pytest.mark.slow
def test_killed_rank_fails_the_run_with_a_clear_message(tiny_config, tmp_path):
    _, config = tiny_config
    log_path = tmp_path / 'log.txt'
    with open(log_path, 'w') as log:
        run = subprocess.Popen(
            ['bash', 'tools/dist_train.sh', config, '2', '--work-dir', str(tmp_path),
             '--cfg-options', 'train_cfg.max_iters=10000'],
            cwd=ROOT, env=launcher_env(), stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 300
        while 'Iter(train) [' not in log_path.read_text():
            assert run.poll() is None, log_path.read_text()[-3000:]
            assert time.monotonic() < deadline, 'training did not start'
            time.sleep(1)
        workers = worker_pids(run.pid)
        assert len(workers) == 2
        os.kill(workers[1], signal.SIGKILL)
        assert run.wait(timeout=120) != 0
    finally:
        if run.poll() is None:
            run.kill()
    output = log_path.read_text()
    assert 'ChildFailedError' in output and 'Signal 9 (SIGKILL)' in output, \
        output[-3000:]


def test_scripts_print_usage_on_missing_arguments():
    for script, args in [('dist_train.sh', ['cfg.py']),
                         ('dist_test.sh', ['cfg.py', 'ckpt.pth']),
                         ('slurm_train.sh', ['partition', 'job', 'cfg.py'])]:
        result = subprocess.run(['bash', f'tools/{script}', *args], cwd=ROOT,
                                capture_output=True, text=True, timeout=60)
        assert result.returncode == 2
        assert result.stderr.startswith('usage:') and script in result.stderr


@pytest.mark.parametrize('script,args,forwarded', [
    ('dist_train.sh', ['cfg.py', '4', '--resume'],
     ['tools/train.py', 'cfg.py', '--launcher', 'pytorch', '--resume']),
    ('dist_test.sh', ['cfg.py', 'ckpt.pth', '8', '--out', 'r.pkl'],
     ['tools/test.py', 'cfg.py', 'ckpt.pth', '--launcher', 'pytorch', '--out',
      'r.pkl']),
])
def test_dist_scripts_hand_torchrun_the_node_layout(tmp_path, script, args,
                                                    forwarded):
    stub = tmp_path / 'python'
    stub.write_text('#!/bin/sh\nprintf "%s\\n" "$@"\n')
    stub.chmod(0o755)
    env = dict(os.environ, PYTHON=str(stub), NNODES='2', NODE_RANK='1',
               MASTER_ADDR='head-node', PORT='29999')
    output = run_command(['bash', f'tools/{script}', *args], env=env, timeout=60)
    argv = output.split('\n')[:-1]
    gpus = args[1] if script == 'dist_train.sh' else args[2]
    assert argv[:7] == ['-m', 'torch.distributed.run', '--nnodes=2', '--node_rank=1',
                        '--master_addr=head-node', f'--nproc_per_node={gpus}',
                        '--master_port=29999']
    assert argv[7:] == forwarded


def test_slurm_script_hands_srun_the_allocation(tmp_path):
    stub = tmp_path / 'srun'
    stub.write_text('#!/bin/sh\nprintf "%s\\n" "$@"\n')
    stub.chmod(0o755)
    env = dict(os.environ, PATH=f'{tmp_path}:{os.environ["PATH"]}', GPUS='16',
               GPUS_PER_NODE='8', SRUN_ARGS='--quotatype=auto --time=10')
    output = run_command(['bash', 'tools/slurm_train.sh', 'gpu', 'table7', 'cfg.py',
                          'work', '--resume'], env=env, timeout=60)
    assert output.split('\n')[:-1] == [
        '-p', 'gpu', '--job-name=table7', '--gres=gpu:8', '--ntasks=16',
        '--ntasks-per-node=8', '--cpus-per-task=5', '--kill-on-bad-exit=1',
        '--quotatype=auto', '--time=10', 'python', '-u', 'tools/train.py', 'cfg.py',
        '--work-dir=work', '--launcher', 'slurm', '--resume']
