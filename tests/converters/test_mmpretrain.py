"""mmpretrain ShuffleNet v1 / v2 checkpoints convert and compute the same
stage outputs and logits."""
import pytest
import torch

from helpers import INPUTS, assert_close, forward_ours, ours_after_conversion, randomize


@pytest.mark.parametrize('backbone,channels', [
    (dict(type='ShuffleNetV1', groups=3, widen_factor=1.0), 960),
    (dict(type='ShuffleNetV1', groups=8, widen_factor=1.0), 1536),
    (dict(type='ShuffleNetV1', groups=3, widen_factor=0.5), 480),
    (dict(type='ShuffleNetV1', groups=3, widen_factor=1.5), 1440),  # stem 36
    (dict(type='ShuffleNetV2', widen_factor=1.0), 1024),
])
def test_mmpretrain_parity(backbone, channels, tmp_path):
    from mmpretrain.registry import MODELS as PRETRAIN_MODELS
    last = 2 if backbone['type'] == 'ShuffleNetV1' else 3
    theirs = randomize(PRETRAIN_MODELS.build(dict(
        type='ImageClassifier',
        _scope_='mmpretrain',  # mmdet's default scope may be set by now
        backbone=dict(backbone, out_indices=tuple(range(last + 1))),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=1000, in_channels=channels))))
    torch.save({'meta': {}, 'state_dict': theirs.state_dict()}, tmp_path / 'm.pth')
    ours, _ = ours_after_conversion('mmpretrain', tmp_path / 'm.pth')
    for x in INPUTS:
        with torch.no_grad():
            stages = theirs.backbone(x)
            logits = theirs.head.fc(theirs.neck(stages)[-1])
        assert_close(forward_ours(ours, x), [*stages, logits])
