import pytest
import torch
from mmdet.testing import demo_mm_inputs

from shufflenet_det.datasets import generate_shapes_dataset
from shufflenet_det.demo import DEMO_CONFIG
from helpers import TINY_CONFIG


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
