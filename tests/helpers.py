"""Helpers shared by test modules (pytest puts this folder on sys.path)."""
import os.path as osp
import subprocess
import sys

import torch
from torch.nn.modules.batchnorm import _BatchNorm

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def run_command(command, timeout=600, **kwargs):
    """Run ``command`` in the repository root; its output, if it succeeds."""
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True,
                            timeout=timeout, **kwargs)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout + result.stderr


def run_tool(*args, **kwargs):
    """Run a Python script of the repository as a user does."""
    return run_command([sys.executable, *args], **kwargs)


def randomise_batch_norm(model):
    """Non-trivial BN statistics and affine terms, so that folding or
    converting them matters."""
    for module in model.modules():
        if isinstance(module, _BatchNorm):
            module.running_mean.uniform_(-0.5, 0.5)
            module.running_var.uniform_(0.5, 2.0)
            module.weight.data.uniform_(0.5, 1.5)
            module.bias.data.uniform_(-0.5, 0.5)
    return model


def stage_index(name):
    """Stage of a backbone or StageHead parameter / module name: -1 for the
    stem (``conv1``), ``i`` for ``layers.{i}``."""
    parts = name.split('.')
    return int(parts[1]) if parts[0] == 'layers' else -1


def check_training_step(model, x, frozen_stages, norm_eval=False):
    """``model`` (in train mode) freezes exactly the stem and the stages
    below ``frozen_stages``: their parameters have ``requires_grad=False``,
    their BN layers are in eval mode, and one SGD step on every parameter
    changes all the others and none of them; BN statistics move only in
    train-mode BN layers (none with ``norm_eval``)."""
    def frozen(name):
        return 0 <= frozen_stages and stage_index(name) < frozen_stages

    parameters = dict(model.named_parameters())
    assert {n for n, p in parameters.items() if not p.requires_grad} == {
        n for n in parameters if frozen(n)}
    norms = {n: m for n, m in model.named_modules() if isinstance(m, _BatchNorm)}
    assert norms
    assert {n for n, m in norms.items() if m.training} == {
        n for n in norms if not (norm_eval or frozen(n))}

    before = {k: v.clone() for k, v in model.state_dict().items()}
    outs = model(x)
    outs = outs if isinstance(outs, tuple) else (outs, )
    loss = sum((out * out).sum() for out in outs)
    if loss.requires_grad:  # else everything is frozen
        loss.backward()
    torch.optim.SGD(model.parameters(), lr=0.1).step()
    after = model.state_dict()
    changed = {k for k, v in after.items() if not torch.equal(v, before[k])}
    assert {n for n in changed if n in parameters} == {
        n for n in parameters if not frozen(n)}
    assert {n for n in changed if n.endswith('running_mean')} == {
        f'{n}.running_mean' for n, m in norms.items() if m.training}
