"""The generated shapes dataset: images of several sizes, some without
shapes, some below the backbone's total stride, and training on them."""
import json

from shufflenet_det.datasets import generate_shapes_dataset
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
