"""ShuffleNetV1: every cell of paper Table 2, odd input sizes."""
import pytest
import torch

from shufflenet_det.models import ShuffleNetV1
from helpers import ODD_SIZES, check_outputs

# Expected output channels and strides, restated from the paper's tables.
V1_STAGE2_1X = {1: 144, 2: 200, 3: 240, 4: 272, 8: 384}  # v1 Table 1
V1_STRIDES = (8, 16, 32)

V1_CASES = [(g, w) for w in (0.25, 0.5, 1.0) for g in (1, 2, 3, 4, 8)]
V1_CASES += [(3, 1.5), (3, 2.0), (8, 1.5), (4, 2.0)]


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
