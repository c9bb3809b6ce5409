"""StagedBackbone, the interface every backbone shares: building only the
first stages, and arguments checked with the value and what is allowed."""
import pytest
import torch

from shufflenet_det.models import MobileNetV1, ShuffleNetV1, ShuffleNetV2


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
