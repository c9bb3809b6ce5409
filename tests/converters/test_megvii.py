"""Megvii ShuffleNet-Series checkpoints convert and compute what Megvii's own
network computes (restated in helpers.py), and the g=3 ones feed the Table 7
detector's backbone and C4 head."""
import os.path as osp

import pytest
import torch
from mmdet.registry import MODELS
from mmdet.utils import register_all_modules
from mmengine.config import Config

from shufflenet_det.converters.megvii import (megvii_shuffle_source,
                                              paper_shuffle_source, shuffle_relabelling)
from shufflenet_det.weights import convert_checkpoint, save_converted
from helpers import (INPUTS, ROOT, assert_close, forward_ours, ours_after_conversion,
                     randomize)
from reference_networks import MegviiShuffleNet


@pytest.mark.parametrize('channels,group,expected_cfg', [
    ([-1, 24, 240, 480, 960], 3, dict(groups=3, widen_factor=1.0)),
    ([-1, 12, 120, 240, 480], 3, dict(groups=3, widen_factor=0.5)),
    ([-1, 24, 360, 720, 1440], 3, dict(groups=3, widen_factor=1.5)),
    ([-1, 48, 480, 960, 1920], 3, dict(groups=3, widen_factor=2.0)),
    ([-1, 16, 192, 384, 768], 8, dict(groups=8, widen_factor=0.5, stem_channels=16,
                                      variant='megvii')),
    ([-1, 24, 384, 768, 1536], 8, dict(groups=8, widen_factor=1.0,
                                       variant='megvii')),
    ([-1, 24, 116, 232, 464, 1024], None, dict(widen_factor=1.0, variant='megvii')),
    ([-1, 24, 244, 488, 976, 2048], None, dict(widen_factor=2.0, variant='megvii')),
])
def test_megvii_parity(channels, group, expected_cfg, tmp_path):
    theirs = randomize(MegviiShuffleNet(channels, group))
    state = {f'module.{k}': v for k, v in theirs.state_dict().items()}
    torch.save({'state_dict': state}, tmp_path / 'megvii.pth.tar')
    ours, converted = ours_after_conversion('megvii', tmp_path / 'megvii.pth.tar')
    assert converted.backbone_cfg == dict(type=converted.backbone_cfg['type'],
                                          **expected_cfg)
    for x in INPUTS:
        with torch.no_grad():
            expected = theirs(x * 255)  # Megvii's input is 0-255
        assert_close(forward_ours(ours, x * 255), expected)


@pytest.mark.parametrize('channels,groups', [(30, 3), (60, 3), (90, 3), (120, 3),
                                             (36, 4), (192, 8)])
def test_shuffle_relabelling_routes_like_megvii(channels, groups):
    compress, relabel = shuffle_relabelling(channels, groups)
    n = channels // groups
    ours = paper_shuffle_source(channels, groups)
    theirs = megvii_shuffle_source(channels, groups)
    assert sorted(compress) == sorted(relabel) == list(range(channels))
    assert all(compress[a] // n == a // n for a in range(channels))
    assert all(relabel[b] // n == b // n for b in range(channels))
    assert all(ours[relabel[b]] == compress[theirs[b]] for b in range(channels))


@pytest.mark.parametrize('channels', [48, 96, 144])
def test_no_exact_relabelling_for_megvii_g8(channels):
    with pytest.raises(ValueError, match=f'no exact relabelling for {channels}'):
        shuffle_relabelling(channels, 8)


def test_megvii_shuffle_is_the_inverse_of_the_papers():
    ours, theirs = paper_shuffle_source(12, 3), megvii_shuffle_source(12, 3)
    assert ours != theirs
    assert [ours[theirs[p]] for p in range(12)] == list(range(12))


def test_converted_weights_run_in_the_table7_detector(megvii_v1_checkpoint, tmp_path):
    """Backbone and C4 shared head both take their stages from one converted
    file and together compute the converted backbone."""
    converted = convert_checkpoint('megvii', str(megvii_v1_checkpoint))
    path = str(tmp_path / 'shufflenet-v1-1x-g3.pth')
    save_converted(converted, 'megvii', path)
    register_all_modules()
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'shufflenet_v1',
                                   'faster-rcnn_shufflenet-v1-1x-g3_c4-1x_coco-600.py'))
    cfg.model.backbone.init_cfg.checkpoint = path
    cfg.model.roi_head.shared_head.init_cfg.checkpoint = path
    detector = MODELS.build(cfg.model)
    detector.init_weights()
    full = MODELS.build(dict(converted.backbone_cfg, init_cfg=None)).eval()
    full.load_state_dict(converted.state_dict)
    detector.eval()
    x = INPUTS[0]
    with torch.no_grad():
        (features, ) = detector.backbone(x)
        assert_close([detector.roi_head.shared_head(features)], [full(x)[-1]])
