"""timm MobileNet v1 checkpoints convert and compute the same stage outputs
and logits."""
import torch

from helpers import INPUTS, assert_close, forward_ours, ours_after_conversion, randomize


def test_timm_mobilenetv1_parity(tmp_path):
    import timm
    theirs = randomize(timm.create_model('mobilenetv1_100'))
    torch.save(theirs.state_dict(), tmp_path / 'timm.pth')
    ours, converted = ours_after_conversion('timm', tmp_path / 'timm.pth')
    assert converted.backbone_cfg['act_cfg'] == dict(type='ReLU6')
    for x in INPUTS:
        with torch.no_grad():
            y, stages = theirs.bn1(theirs.conv_stem(x)), []
            for stage in theirs.blocks:
                y = stage(y)
                stages.append(y)
            expected = [*stages, theirs(x)]
        assert_close(forward_ours(ours, x), expected)
