import pytest
import torch
from mmdet.testing import demo_mm_inputs

from shufflenet_det.datasets import generate_shapes_dataset
from shufflenet_det.demo import DEMO_CONFIG

# The demo config on a tiny generated dataset, for the command-line tools:
# 2 training iterations, an odd number of validation images.
TINY_CONFIG = """
_base_ = '{base}'
data_root = '{data}/'
loader = dict(num_workers=0, persistent_workers=False)
train_dataloader = dict(batch_size=2, **loader, dataset=dict(data_root=data_root))
val_dataloader = dict(**loader, dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/instances_val.json')
test_evaluator = val_evaluator
train_cfg = dict(max_iters=2, val_interval=2)
default_hooks = dict(checkpoint=dict(interval=2), logger=dict(interval=1))
"""


@pytest.fixture(autouse=True)
def _deterministic():
    torch.manual_seed(0)


def _run_loss_and_predict(model, num_classes,
                          image_shapes=((3, 96, 128), (3, 128, 80))):
    """Train step (losses finite, backward runs), then predict."""
    packed = demo_mm_inputs(batch_size=len(image_shapes),
                            image_shapes=list(image_shapes),
                            num_items=[3] * len(image_shapes),
                            num_classes=num_classes)
    model.train()
    data = model.data_preprocessor(packed, training=True)
    losses = model(**data, mode='loss')
    total, _ = model.parse_losses(losses)
    assert torch.isfinite(total)
    total.backward()
    model.eval()
    with torch.no_grad():
        data = model.data_preprocessor(packed, training=False)
        predictions = model(**data, mode='predict')
    assert len(predictions) == len(image_shapes)
    for prediction in predictions:
        boxes = prediction.pred_instances.bboxes
        assert boxes.ndim == 2 and boxes.shape[1] == 4
    return losses


@pytest.fixture
def run_loss_and_predict():
    return _run_loss_and_predict


@pytest.fixture(scope='session')
def tiny_config(tmp_path_factory):
    """(folder, config path): TINY_CONFIG with its data in ``folder/data``."""
    root = tmp_path_factory.mktemp('tools')
    generate_shapes_dataset(str(root / 'data'), num_train=6, num_val=5, image_size=64)
    path = root / 'tiny.py'
    path.write_text(TINY_CONFIG.format(base=DEMO_CONFIG, data=root / 'data'))
    return root, str(path)
