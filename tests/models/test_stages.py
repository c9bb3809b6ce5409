"""StagedModule semantics on every backbone: ``frozen_stages``,
``norm_eval``, ``with_cp``, the default and the ``Pretrained`` init."""
import pytest
import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from shufflenet_det.models import MobileNetV1, ShuffleNetV1, ShuffleNetV2, SNet
from helpers import check_training_step

ALL_BACKBONES = [
    (ShuffleNetV1, dict(groups=3, widen_factor=0.5)),
    (ShuffleNetV2, dict(widen_factor=0.5)),
    (MobileNetV1, dict(widen_factor=0.25)),
    (SNet, dict(arch=49)),
]


def batch_norms(module):
    return [m for m in module.modules() if isinstance(m, _BatchNorm)]


FROZEN_CASES = [(cls, kwargs, frozen_stages)
                for cls, kwargs in ALL_BACKBONES
                for frozen_stages in range(-1, cls(**kwargs).num_stages + 1)]


@pytest.mark.parametrize('cls,kwargs,frozen_stages', FROZEN_CASES)
def test_frozen_stages_train_exactly_the_other_parameters(cls, kwargs, frozen_stages):
    num_stages = cls(**kwargs).num_stages
    model = cls(frozen_stages=frozen_stages, out_indices=range(num_stages),
                **kwargs).train()
    check_training_step(model, torch.randn(2, 3, 64, 64), frozen_stages)


@pytest.mark.parametrize('cls,kwargs', ALL_BACKBONES)
def test_norm_eval_keeps_bn_statistics(cls, kwargs):
    model = cls(norm_eval=True, **kwargs)
    model.train()
    assert model.training
    assert all(not bn.training for bn in batch_norms(model))
    stats = [bn.running_mean.clone() for bn in batch_norms(model)]
    model(torch.randn(2, 3, 64, 64))
    for before, bn in zip(stats, batch_norms(model)):
        torch.testing.assert_close(bn.running_mean, before)
    # Without norm_eval, training moves the statistics.
    model = cls(**kwargs).train()
    model(torch.randn(2, 3, 64, 64))
    assert any((bn.running_mean != 0).any() for bn in batch_norms(model))


@pytest.mark.parametrize('cls,kwargs', ALL_BACKBONES)
def test_with_cp_same_outputs_and_gradients(cls, kwargs):
    plain = cls(**kwargs).train()
    checkpointed = cls(with_cp=True, **kwargs).train()
    checkpointed.load_state_dict(plain.state_dict())
    x = torch.randn(2, 3, 64, 64)
    outs = plain(x)
    outs_cp = checkpointed(x)
    for out, out_cp in zip(outs, outs_cp):
        torch.testing.assert_close(out_cp, out)
    sum((out * out).sum() for out in outs).backward()
    sum((out * out).sum() for out in outs_cp).backward()
    for (name, p), p_cp in zip(plain.named_parameters(), checkpointed.parameters()):
        assert p.grad is not None and p.grad.abs().sum() > 0, name
        torch.testing.assert_close(p_cp.grad, p.grad, msg=name)


def test_with_cp_recomputes_in_backward():
    model = ShuffleNetV1(groups=3, widen_factor=0.5, with_cp=True).train()
    unit, calls = model.layers[0][1], []
    forward = unit.forward
    unit.forward = lambda x: calls.append(1) or forward(x)
    outs = model(torch.randn(1, 3, 64, 64))
    assert len(calls) == 1
    outs[-1].sum().backward()
    assert len(calls) == 2


@pytest.mark.parametrize('cls,kwargs', ALL_BACKBONES)
def test_pretrained_init_cfg_with_prefix(cls, kwargs, tmp_path):
    source = cls(**kwargs)
    for bn in batch_norms(source):
        bn.running_mean.uniform_(-1, 1)
    state = {f'backbone.{k}': v for k, v in source.state_dict().items()}
    state['head.fc.weight'] = torch.zeros(10, 4)
    path = tmp_path / 'checkpoint.pth'
    torch.save({'state_dict': state, 'meta': {}}, path)

    model = cls(init_cfg=dict(type='Pretrained', checkpoint=str(path),
                              prefix='backbone.'), **kwargs)
    model.init_weights()
    for key, value in source.state_dict().items():
        torch.testing.assert_close(model.state_dict()[key], value, msg=key)


@pytest.mark.parametrize('cls,kwargs', ALL_BACKBONES)
def test_default_init_is_kaiming_and_unit_batch_norm(cls, kwargs):
    """He init (normal, fan_out, ReLU gain: std sqrt(2 / fan_out)) for every
    conv, BN weight 1 and bias 0 - not PyTorch's uniform default."""
    model = cls(**kwargs)
    model.init_weights()
    for name, module in model.named_modules():
        if isinstance(module, nn.Conv2d) and module.weight.numel() >= 2000:
            fan_out = module.out_channels * module.weight[0, 0].numel()
            std = module.weight.std().item()
            assert abs(std / (2 / fan_out)**0.5 - 1) < 0.15, name
            assert (module.weight < 0).any() and module.weight.abs().max() > 2 * std
        elif isinstance(module, _BatchNorm):
            assert torch.equal(module.weight, torch.ones_like(module.weight)), name
            assert torch.equal(module.bias, torch.zeros_like(module.bias)), name
