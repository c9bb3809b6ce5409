"""MobileNetV1: the channels of MobileNets Table 1 at every width."""
import pytest
import torch

from shufflenet_det.models import MobileNetV1
from helpers import ODD_SIZES, check_outputs

MOBILENET_CHANNELS = (64, 128, 256, 512, 1024)  # MobileNets Table 1
MOBILENET_STRIDES = (2, 4, 8, 16, 32)


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
