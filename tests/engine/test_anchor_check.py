"""The anchor check (shufflenet_det.engine.anchor_check): the best IoU at the grid
position nearest to a box is the best over mmdet's whole anchor grid, boxes
are scaled as mmdet's Resize scales them, and the train pipeline's resize is
read through dataset wrappers."""
import math

import numpy as np
import pytest
import torch
from mmdet.registry import TASK_UTILS, TRANSFORMS
from mmdet.structures.bbox import bbox_overlaps
from mmdet.utils import register_all_modules
from mmengine.config import Config

from shufflenet_det.engine.anchor_check import (AnchorCheckError, anchor_levels,
                                                anchor_settings, best_iou, coverage,
                                                input_factors, resize_rules,
                                                train_sources)
from shufflenet_det.paths import config_path


@pytest.fixture(scope='module', autouse=True)
def _registry():
    register_all_modules()


@pytest.mark.parametrize('center_offset', [0., 0.5])
def test_nearest_grid_position_gives_the_best_iou_of_the_whole_grid(center_offset):
    generator = TASK_UTILS.build(dict(
        type='AnchorGenerator', scales=[1.5, 3], ratios=[0.5, 1., 2.],
        strides=[8, 16, 32], center_offset=center_offset))
    width, height = 100, 75
    rng = np.random.RandomState(0)
    xy = rng.uniform(0, 1, (500, 2)) * [width, height]
    wh = rng.uniform(2, 60, (500, 2))
    boxes = np.concatenate([xy, np.minimum(xy + wh, [width, height])], 1)
    sizes = [(math.ceil(height / s), math.ceil(width / s)) for s in (8, 16, 32)]
    grid = torch.cat(generator.grid_priors(sizes, device='cpu')).double()
    expected = bbox_overlaps(torch.from_numpy(boxes), grid).max(1).values.numpy()
    image_wh = np.tile([width, height], (len(boxes), 1)).astype(float)
    ours = best_iou(boxes, image_wh, anchor_levels(generator)).max(1)
    np.testing.assert_allclose(ours, expected, atol=1e-6)


@pytest.mark.parametrize('resize', [
    dict(type='Resize', scale=(320, 320), keep_ratio=False),
    dict(type='Resize', scale=(1000, 600), keep_ratio=True),
    dict(type='Resize', scale=256, keep_ratio=True),
    dict(type='Resize', scale_factor=0.37, keep_ratio=True),
    dict(type='Resize', scale_factor=(0.5, 1.5)),
])
def test_boxes_are_scaled_as_mmdet_resize_scales_them(resize):
    (rule, ) = resize_rules([dict(type='LoadImageFromFile'), resize])
    for width, height in [(640, 480), (333, 517), (97, 1001)]:
        results = TRANSFORMS.build(resize)(dict(
            img=np.zeros((height, width, 3), np.uint8), img_shape=(height, width)))
        fx, fy = input_factors(np.array([[width, height]], float), rule)
        np.testing.assert_allclose([fx[0], fy[0]], results['scale_factor'])


def test_multi_scale_resizes_and_wrapped_datasets():
    """ThunderNet's COCO training: RandomChoiceResize inside RepeatDataset;
    RandomResize gives the ends of its range."""
    inner = dict(type='CocoDataset', data_root='data/coco/', ann_file='a.json',
                 pipeline=[dict(type='RandomChoiceResize', keep_ratio=False,
                                scales=[(240, 240), (480, 480)])])
    ((path, pipeline), ) = train_sources(dict(type='RepeatDataset', times=5,
                                              dataset=inner))
    assert path == 'data/coco/a.json'
    assert [r['scale'] for r in resize_rules(pipeline)] == [(240, 240), (480, 480)]
    ranged = resize_rules([dict(type='RandomResize', scale=(640, 480),
                                ratio_range=(0.5, 2.0), keep_ratio=True)])
    assert [r['scale'] for r in ranged] == [(320, 240), (1280, 960)]
    assert resize_rules([dict(type='RandomFlip')]) == [
        dict(scale=None, scale_factor=(1., 1.), keep_ratio=False)]
    nested = dict(type='RandomChoice', transforms=[[dict(type='Resize', scale=9)]])
    with pytest.raises(AnchorCheckError, match='resizes with RandomChoice'):
        resize_rules([nested])


def test_stride_8_thundernet_anchors_cover_12_to_16_px_objects():
    """At the input, 12-16 px boxes of aspect ratios up to 2: the stride-8
    ThunderNet's anchors give all a positive anchor, the paper's stride-16
    ones few."""
    rng = np.random.RandomState(0)
    sides = rng.uniform(12, 16, (2000, 1)) * np.exp(rng.uniform(-0.35, 0.35, (2000, 2)))
    corners = rng.uniform(0, 280, (2000, 2))
    boxes = np.concatenate([corners, corners + sides], 1)
    no_positive = {}
    for name in ('cem-s8', 'cem'):
        cfg = Config.fromfile(
            config_path(f'thundernet/thundernet_snet146_{name}-80e_coco-320.py'))
        generator, assigner = anchor_settings(cfg.model)
        no_positive[name] = coverage(boxes, np.full((2000, 2), 320.),
                                     TASK_UTILS.build(generator),
                                     assigner).no_positive
    assert no_positive['cem-s8'] < 0.01 and no_positive['cem'] > 0.9
