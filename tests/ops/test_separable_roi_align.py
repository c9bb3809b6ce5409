"""SeparableRoIAlign computes mmcv's RoIAlign."""
import pytest
import torch
from mmcv.ops import RoIAlign

from shufflenet_det.ops import SeparableRoIAlign
from helpers import random_rois


@pytest.mark.parametrize('aligned', [True, False])
@pytest.mark.parametrize('sampling_ratio', [0, 2])
@pytest.mark.parametrize('channels_last', [False, True])
def test_same_as_mmcv(aligned, sampling_ratio, channels_last):
    features = torch.randn(2, 5, 19, 25)
    rois = random_rois(60, 2, (19, 25), stride=16)
    args = ((7, 6), 1 / 16, sampling_ratio, 'avg', aligned)
    expected = RoIAlign(*args)(features, rois)
    if channels_last:
        features = features.contiguous(memory_format=torch.channels_last)
    output = SeparableRoIAlign(*args)(features, rois)
    assert output.is_contiguous(memory_format=torch.channels_last)
    assert expected.abs().sum() > 0 and (expected[-1] == 0).all()
    torch.testing.assert_close(output, expected, rtol=1e-5, atol=1e-5)


def test_no_rois():
    output = SeparableRoIAlign(7, 1 / 16)(torch.randn(1, 4, 10, 10),
                                          torch.zeros(0, 5))
    assert output.shape == (0, 4, 7, 7)


@pytest.mark.parametrize('pool_mode,requires_grad', [('max', False),
                                                     ('avg', True)])
def test_falls_back_to_mmcv(pool_mode, requires_grad):
    """'max' mode and training use mmcv's kernel, given NCHW input."""
    features = torch.randn(1, 4, 12, 16).contiguous(
        memory_format=torch.channels_last).requires_grad_(requires_grad)
    rois = random_rois(10, 1, (12, 16), stride=8)
    args = (5, 1 / 8, 2, pool_mode)
    output = SeparableRoIAlign(*args)(features, rois)
    torch.testing.assert_close(output, RoIAlign(*args)(features.contiguous(), rois))
    if requires_grad:
        output.sum().backward()
        assert features.grad.abs().sum() > 0
