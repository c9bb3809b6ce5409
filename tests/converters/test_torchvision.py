"""torchvision ShuffleNet v2 checkpoints convert and compute the same stage
outputs and logits (random weights and BN statistics, non-square inputs)."""
import pytest
import torch

from helpers import INPUTS, assert_close, forward_ours, ours_after_conversion, randomize


@pytest.mark.parametrize('arch', ['shufflenet_v2_x0_5', 'shufflenet_v2_x1_0',
                                  'shufflenet_v2_x1_5', 'shufflenet_v2_x2_0'])
def test_torchvision_shufflenet_v2_parity(arch, tmp_path):
    import torchvision
    theirs = randomize(getattr(torchvision.models, arch)())
    torch.save(theirs.state_dict(), tmp_path / 'tv.pth')
    ours, converted = ours_after_conversion('torchvision', tmp_path / 'tv.pth')
    assert converted.backbone_cfg['widen_factor'] == float(arch[-3:].replace('_', '.'))
    for x in INPUTS:
        with torch.no_grad():
            s2 = theirs.stage2(theirs.maxpool(theirs.conv1(x)))
            s3 = theirs.stage3(s2)
            s4 = theirs.stage4(s3)
            c5 = theirs.conv5(s4)
            expected = [s2, s3, s4, c5, theirs(x)]
        assert_close(forward_ours(ours, x), expected)
