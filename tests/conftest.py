"""Fixtures shared by the test modules; plain helpers are in helpers.py."""
import pytest
import torch

from shufflenet_det.datasets import generate_shapes_dataset
from shufflenet_det.tools.demo import DEMO_CONFIG
from helpers import TINY_CONFIG


@pytest.fixture(autouse=True)
def _deterministic():
    torch.manual_seed(0)


@pytest.fixture(scope='session')
def tiny_config(tmp_path_factory):
    """(folder, config path): TINY_CONFIG with its data in ``folder/data``."""
    root = tmp_path_factory.mktemp('tools')
    generate_shapes_dataset(str(root / 'data'), num_train=6, num_val=5, image_size=64)
    path = root / 'tiny.py'
    path.write_text(TINY_CONFIG.format(base=DEMO_CONFIG, data=root / 'data'))
    return root, str(path)
