"""SNet: ThunderNet Table 1's widths, 5x5 depthwise convs in every unit, C4
and C5 by default, sharing ShuffleNet v2's unit."""
import pytest
import torch
from torch import nn

from shufflenet_det.models import ShuffleNetV2, SNet
from shufflenet_det.models.backbones.shufflenet_v2 import ShuffleNetV2Unit
from helpers import ODD_SIZES, check_outputs

SNET_CHANNELS = {  # ThunderNet Table 1: Stage2, Stage3, Stage4 (, Conv5)
    49: (60, 120, 240, 512),
    146: (132, 264, 528),
    535: (248, 496, 992),
}


@pytest.mark.parametrize('height,width', [(64, 96)] + ODD_SIZES)
@pytest.mark.parametrize('arch', sorted(SNET_CHANNELS))
def test_snet_outputs_every_stage(arch, height, width):
    channels = SNET_CHANNELS[arch]
    model = SNet(arch=arch, out_indices=range(len(channels))).eval()
    with torch.no_grad():
        outs = model(torch.randn(1, 3, height, width))
    check_outputs(outs, channels, (8, 16, 32, 32)[:len(channels)], height, width)


@pytest.mark.parametrize('arch,c5', [(49, 512), (146, 528), (535, 992)])
def test_default_outputs_are_c4_and_c5(arch, c5):
    model = SNet(arch=arch).eval()
    with torch.no_grad():
        c4_out, c5_out = model(torch.randn(1, 3, 320, 320))
    assert c4_out.shape == (1, SNET_CHANNELS[arch][1], 20, 20)
    assert c5_out.shape == (1, c5, 10, 10)


@pytest.mark.parametrize('arch', sorted(SNET_CHANNELS))
def test_every_depthwise_conv_is_5x5_in_shufflenet_v2_units(arch):
    model = SNet(arch=arch)
    units = [m for m in model.modules() if isinstance(m, ShuffleNetV2Unit)]
    assert len(units) == 16
    depthwise = [m for m in model.modules() if isinstance(m, nn.Conv2d)
                 and m.groups == m.in_channels > 1]
    assert len(depthwise) == 16 + 3  # one per unit, one per stride-2 shortcut
    assert all(m.kernel_size == (5, 5) and m.padding == (2, 2) for m in depthwise)
    assert model.conv1.conv.out_channels == (48 if arch == 535 else 24)


def test_shufflenet_v2_keeps_3x3_and_its_weights_layout():
    """SNet146 with 3x3 kernels at ShuffleNet v2 widths is ShuffleNetV2:
    the unit is shared, not copied."""
    v2 = ShuffleNetV2(variant='megvii', num_stages=3, out_indices=(1, 2))
    assert v2.state_dict().keys() == SNet(arch=146).state_dict().keys()
    assert all(m.kernel_size == (3, 3) for m in v2.modules()
               if isinstance(m, nn.Conv2d) and m.groups > 1)


@pytest.mark.parametrize('build,message', [
    (lambda: SNet(arch=100), r'arch=100 .*allowed: \(49, 146, 535\)'),
    (lambda: SNet(arch=146, num_stages=4), r'num_stages=4 .*allowed: \(1, 2, 3\)'),
    (lambda: SNet(arch=146, out_indices=(1, 3)), r'out_indices item=3 '),
    (lambda: SNet(variant='paper'), r"variant='paper' .*allowed"),
    (lambda: ShuffleNetV2Unit(24, 48, 2, kernel_size=7), r'kernel_size=7 .*\(3, 5\)'),
])
def test_invalid_arguments_name_value_and_allowed(build, message):
    with pytest.raises(ValueError, match=message):
        build()
