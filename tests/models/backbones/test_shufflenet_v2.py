"""ShuffleNetV2: the channels of paper Table 5 at every width."""
import pytest
import torch

from shufflenet_det.models import ShuffleNetV2
from helpers import ODD_SIZES, check_outputs

V2_CHANNELS = {  # v2 Table 5: Stage2, Stage3, Stage4, Conv5
    0.5: (48, 96, 192, 1024),
    1.0: (116, 232, 464, 1024),
    1.5: (176, 352, 704, 1024),
    2.0: (244, 488, 976, 2048),
}
V2_STRIDES = (8, 16, 32, 32)


@pytest.mark.parametrize('height,width', [(64, 96)] + ODD_SIZES)
@pytest.mark.parametrize('width_factor', sorted(V2_CHANNELS))
def test_shufflenet_v2_outputs(width_factor, height, width):
    model = ShuffleNetV2(widen_factor=width_factor).eval()
    with torch.no_grad():
        outs = model(torch.randn(1, 3, height, width))
    check_outputs(outs, V2_CHANNELS[width_factor], V2_STRIDES, height, width)
