"""The generated shapes dataset: images of several sizes, some without
shapes, some below the backbone's total stride, and training on them; its
small-object mode."""
import json

from mmengine.config import Config

from shufflenet_det.datasets import SMALL_OBJECTS, generate_shapes_dataset
from shufflenet_det.engine.anchor_check import check_config
from shufflenet_det.paths import config_path
from helpers import run_training, runner_config


def test_empty_tiny_and_non_square_images_train(tmp_path):
    # (20, 20) is below the total stride of 32; most images hold no shape.
    sizes = [(48, 80), (20, 20), (72, 40), (33, 57)]
    paths = generate_shapes_dataset(str(tmp_path / 'data'), num_train=8,
                                    num_val=4, image_size=sizes, max_objects=1)
    train = json.load(open(paths['train']))
    with_boxes = {a['image_id'] for a in train['annotations']}
    assert len(with_boxes) < len(train['images'])
    assert {(i['height'], i['width']) for i in train['images']} == set(sizes)
    cfg = runner_config(tmp_path, 3, 3, batch_size=8)
    cfg.train_dataloader.dataset.pipeline = [
        p for p in cfg.train_dataloader.dataset.pipeline if p.type != 'Resize'
    ]
    _, record, metrics = run_training(cfg)
    assert len(record.losses) == 3
    assert 'coco/bbox_mAP' in metrics


SMALL_DEMOS = ['demo/thundernet_snet146_shapes-small.py',
               'demo/faster-rcnn_shufflenet-v1-1x-g3_fpn_shapes-small.py']


def test_small_object_mode_fails_the_stride_16_anchors(tmp_path):
    """SMALL_OBJECTS: 6-24 px shapes in 320x320 images, which the demo draws
    for the small-object configs. On a stride-16 grid no anchor reaches a
    third of them (the anchor check warns); the FPN's stride-8 level does."""
    paths = generate_shapes_dataset(str(tmp_path), num_train=40, num_val=0,
                                    **SMALL_OBJECTS)
    train = json.load(open(paths['train']))
    sides = [a['bbox'][2] for a in train['annotations']]
    assert min(sides) >= 6 and max(sides) <= 24 and len(sides) > 150
    assert {(i['width'], i['height']) for i in train['images']} == {(320, 320)}
    no_positive = []
    for config in SMALL_DEMOS:
        cfg = Config.fromfile(config_path(config))
        assert cfg.shapes_dataset == SMALL_OBJECTS
        no_positive.append(check_config(cfg, paths['train']).no_positive)
    assert no_positive[0] > 0.3 and no_positive[1] < 0.1
