import math

import pytest
import torch
from torch import nn
from torch.nn.modules.batchnorm import _BatchNorm

from shufflenet_det.models import MobileNetV1, ShuffleNetV1, ShuffleNetV2
from helpers import check_training_step

# Expected output channels and strides, restated from the papers' tables.
V1_STAGE2_1X = {1: 144, 2: 200, 3: 240, 4: 272, 8: 384}  # v1 Table 1
V2_CHANNELS = {  # v2 Table 5: Stage2, Stage3, Stage4, Conv5
    0.5: (48, 96, 192, 1024),
    1.0: (116, 232, 464, 1024),
    1.5: (176, 352, 704, 1024),
    2.0: (244, 488, 976, 2048),
}
MOBILENET_CHANNELS = (64, 128, 256, 512, 1024)  # MobileNets Table 1
V1_STRIDES = (8, 16, 32)
V2_STRIDES = (8, 16, 32, 32)
MOBILENET_STRIDES = (2, 4, 8, 16, 32)

V1_CASES = [(g, w) for w in (0.25, 0.5, 1.0) for g in (1, 2, 3, 4, 8)]
V1_CASES += [(3, 1.5), (3, 2.0), (8, 1.5), (4, 2.0)]
ODD_SIZES = [(225, 301), (33, 33)]


def expected_size(size, stride):
    """Every downsampling layer is 3x3, stride 2, padding 1: ceil(n / 2)."""
    for _ in range(int(math.log2(stride))):
        size = math.ceil(size / 2)
    return size


def check_outputs(outs, channels, strides, height, width):
    assert len(outs) == len(channels)
    for out, c, stride in zip(outs, channels, strides):
        assert out.shape == (1, c, expected_size(height, stride),
                             expected_size(width, stride))


@pytest.mark.parametrize('groups,width', V1_CASES)
def test_shufflenet_v1_every_table2_cell(groups, width):
    model = ShuffleNetV1(groups=groups, widen_factor=width).eval()
    channels = [round(V1_STAGE2_1X[groups] * width) * 2**i for i in range(3)]
    with torch.no_grad():
        outs = model(torch.randn(1, 3, 64, 96))
    check_outputs(outs, channels, V1_STRIDES, 64, 96)
    for stage in model.layers:
        for unit in stage:
            # Bottleneck: the multiple of groups nearest to a quarter of the output.
            bottleneck = unit.depthwise_conv3x3_bn.conv.in_channels
            out_channels = stage[-1].g_conv_1x1_expand.conv.out_channels
            assert bottleneck % groups == 0
            assert abs(bottleneck - out_channels / 4) <= groups / 2
    # Only the first pointwise conv of Stage2 is ungrouped (paper Sec. 3.3).
    compress_groups = [unit.g_conv_1x1_compress.conv.groups
                       for stage in model.layers for unit in stage]
    assert compress_groups == [1] + [groups] * 15


@pytest.mark.parametrize('height,width', ODD_SIZES)
@pytest.mark.parametrize('groups,width_factor', [(3, 1.0), (8, 0.5)])
def test_shufflenet_v1_odd_input_sizes(groups, width_factor, height, width):
    model = ShuffleNetV1(groups=groups, widen_factor=width_factor).eval()
    channels = [round(V1_STAGE2_1X[groups] * width_factor) * 2**i for i in range(3)]
    with torch.no_grad():
        outs = model(torch.randn(1, 3, height, width))
    check_outputs(outs, channels, V1_STRIDES, height, width)


@pytest.mark.parametrize('height,width', [(64, 96)] + ODD_SIZES)
@pytest.mark.parametrize('width_factor', sorted(V2_CHANNELS))
def test_shufflenet_v2_outputs(width_factor, height, width):
    model = ShuffleNetV2(widen_factor=width_factor).eval()
    with torch.no_grad():
        outs = model(torch.randn(1, 3, height, width))
    check_outputs(outs, V2_CHANNELS[width_factor], V2_STRIDES, height, width)


@pytest.mark.parametrize('height,width', [(64, 96)] + ODD_SIZES)
@pytest.mark.parametrize('width_factor', [0.25, 0.5, 0.75, 1.0])
def test_mobilenet_v1_outputs(width_factor, height, width):
    model = MobileNetV1(widen_factor=width_factor, out_indices=range(5)).eval()
    channels = [round(c * width_factor) for c in MOBILENET_CHANNELS]
    with torch.no_grad():
        outs = model(torch.randn(1, 3, height, width))
    check_outputs(outs, channels, MOBILENET_STRIDES, height, width)
    assert sum(len(stage) for stage in model.layers) == 13


def test_mobilenet_v1_rounds_odd_widths_to_multiples_of_8():
    model = MobileNetV1(widen_factor=0.3)
    assert all(c % 8 == 0 for c in model.stage_channels)


@pytest.mark.parametrize('cls,kwargs,num_stages,out_index,channels,stride', [
    (ShuffleNetV1, dict(groups=3), 2, 1, 480, 16),
    (ShuffleNetV2, dict(), 2, 1, 232, 16),
    (ShuffleNetV2, dict(), 3, 2, 464, 32),
    (MobileNetV1, dict(), 4, 3, 512, 16),
])
def test_build_only_first_stages(cls, kwargs, num_stages, out_index, channels, stride):
    model = cls(num_stages=num_stages, out_indices=(out_index, ), **kwargs).eval()
    assert len(model.layers) == num_stages
    with torch.no_grad():
        (out, ) = model(torch.randn(1, 3, 64, 64))
    assert out.shape == (1, channels, 64 // stride, 64 // stride)


ALL_BACKBONES = [
    (ShuffleNetV1, dict(groups=3, widen_factor=0.5)),
    (ShuffleNetV2, dict(widen_factor=0.5)),
    (MobileNetV1, dict(widen_factor=0.25)),
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


@pytest.mark.parametrize('build,message', [
    (lambda: ShuffleNetV1(groups=5), r'groups=5 .*allowed: \(1, 2, 3, 4, 8\)'),
    (lambda: ShuffleNetV1(widen_factor=0.75),
     r'widen_factor=0.75 .*allowed: \(0.25'),
    (lambda: ShuffleNetV2(widen_factor=0.3), r'widen_factor=0.3 .*allowed: \(0.5'),
    (lambda: MobileNetV1(widen_factor=0), r'widen_factor=0 .*0 < widen_factor <= 1'),
    (lambda: MobileNetV1(widen_factor=1.5), r'widen_factor=1.5 '),
    (lambda: ShuffleNetV1(out_indices=(3, )),
     r'out_indices item=3 .*allowed: \(0, 1, 2\)'),
    (lambda: ShuffleNetV2(num_stages=2, out_indices=(0, 2)),
     r'out_indices item=2 .*allowed: \(0, 1\)'),
    (lambda: MobileNetV1(out_indices=(-1, )), r'out_indices item=-1 '),
    (lambda: ShuffleNetV1(frozen_stages=4),
     r'frozen_stages=4 .*allowed: \(-1, 0, 1, 2, 3\)'),
    (lambda: ShuffleNetV2(frozen_stages=-2), r'frozen_stages=-2 '),
    (lambda: ShuffleNetV1(num_stages=0), r'num_stages=0 .*allowed: \(1, 2, 3\)'),
    (lambda: ShuffleNetV2(num_stages=5), r'num_stages=5 .*allowed: \(1, 2, 3, 4\)'),
    (lambda: MobileNetV1(num_stages=6), r'num_stages=6 .*allowed: \(1, 2, 3, 4, 5\)'),
])
def test_invalid_arguments_name_value_and_allowed(build, message):
    with pytest.raises(ValueError, match=message):
        build()
