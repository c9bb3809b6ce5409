"""LightRPNHead: 5x5 depthwise + 1x1 conv to 256, 25 anchors at stride 16."""
import torch
from mmdet.registry import MODELS
from mmdet.utils import register_all_modules
from torch import nn

ANCHORS = dict(type='AnchorGenerator', scales=[2, 4, 8, 16, 32],
               ratios=[0.5, 0.75, 1.0, 4 / 3, 2.0], strides=[16])


def build_head(**kwargs):
    register_all_modules()
    return MODELS.build(dict(type='LightRPNHead', in_channels=245,
                             anchor_generator=ANCHORS, **kwargs))


def test_layers_and_outputs():
    head = build_head().eval()
    convs = [m for m in head.rpn_conv.modules() if isinstance(m, nn.Conv2d)]
    assert [(c.kernel_size, c.groups, c.out_channels) for c in convs] == [
        ((5, 5), 245, 245), ((1, 1), 1, 256)]
    assert head.num_base_priors == 25
    x = torch.randn(1, 245, 20, 20)
    (scores, ), (deltas, ) = head((x, ))
    assert scores.shape == (1, 25, 20, 20) and deltas.shape == (1, 100, 20, 20)
    feature = head.rpn_feature(x)
    assert feature.shape == (1, 256, 20, 20) and (feature >= 0).all()
    torch.testing.assert_close(head.scores_and_deltas(feature)[0], scores)


def test_anchors_span_32_to_512_pixels():
    head = build_head()
    (anchors, ) = head.prior_generator.grid_priors([(1, 1)], device='cpu')
    areas = ((anchors[:, 2] - anchors[:, 0]) * (anchors[:, 3] - anchors[:, 1]))
    assert len(anchors) == 25
    torch.testing.assert_close(areas.sqrt().min(), torch.tensor(32.), rtol=0.02,
                               atol=0)
    torch.testing.assert_close(areas.sqrt().max(), torch.tensor(512.), rtol=0.02,
                               atol=0)
