"""NormRPNHead: mmdet's RPN head, a norm per level after its shared conv."""
import pytest
import torch
from mmdet.registry import MODELS
from mmdet.utils import register_all_modules
from torch import nn

ANCHORS = dict(type='AnchorGenerator', scales=[1, 2], ratios=[0.5, 1.0, 2.0],
               strides=[8, 16, 32])


def build_head(**kwargs):
    register_all_modules()
    return MODELS.build(dict(type='NormRPNHead', in_channels=64, feat_channels=64,
                             anchor_generator=ANCHORS, **kwargs))


def test_one_shared_conv_and_a_norm_per_level():
    head = build_head()
    convs = [m for m in head.modules() if isinstance(m, nn.Conv2d)]
    assert len(convs) == 3  # the shared 3x3, scores, deltas
    assert [type(norm) for norm in head.rpn_norms] == [nn.BatchNorm2d] * 3
    gn = build_head(norm_cfg=dict(type='GN', num_groups=16))
    assert [norm.num_groups for norm in gn.rpn_norms] == [16] * 3


def test_each_level_is_normalised_by_its_own_statistics():
    head = build_head().train()
    levels = tuple(torch.randn(2, 64, size, size) * scale + shift
                   for size, scale, shift in ((40, 1, 0), (20, 5, 3), (10, 0.2, -1)))
    scores, deltas = head(levels)
    assert [s.shape[1:] for s in scores] == [(6, s, s) for s in (40, 20, 10)]
    assert [d.shape[1] for d in deltas] == [24] * 3
    for norm, x in zip(head.rpn_norms, levels):  # BN saw its level only
        mean = head.rpn_conv(x).mean((0, 2, 3)).detach()
        torch.testing.assert_close(norm.running_mean, 0.1 * mean)
    scores[1].sum().backward()  # a level's loss trains its norm and the conv
    assert [norm.weight.grad is not None for norm in head.rpn_norms] == [
        False, True, False]
    assert head.rpn_conv.weight.grad.abs().sum() > 0
    head.eval()  # and at test each level uses its own running statistics
    x = levels[1]
    feature = (head.rpn_norms[1](head.rpn_conv(x))).relu()
    torch.testing.assert_close(head(levels)[0][1], head.rpn_cls(feature))


def test_refuses_what_it_does_not_have():
    head = build_head()
    with pytest.raises(ValueError, match='2 feature levels.*for 3'):
        head((torch.randn(1, 64, 8, 8), ) * 2)
    with pytest.raises(ValueError, match='num_convs=2'):
        build_head(num_convs=2)
