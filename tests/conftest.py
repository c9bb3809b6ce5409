"""Fixtures shared by the test modules; plain helpers are in helpers.py."""
import pytest
import torch

from shufflenet_det.datasets import generate_shapes_dataset
from shufflenet_det.tools.demo import DEMO_CONFIG
from helpers import MegviiShuffleNet, randomize, write_tiny_config


@pytest.fixture(autouse=True)
def _deterministic():
    torch.manual_seed(0)


@pytest.fixture(scope='session')
def tiny_config(tmp_path_factory):
    """(folder, config path): the demo config for 2 iterations on a tiny
    dataset in ``folder/data`` (5 validation images: odd, for 2 processes)."""
    root = tmp_path_factory.mktemp('tools')
    generate_shapes_dataset(str(root / 'data'), num_train=6, num_val=5, image_size=64)
    return root, write_tiny_config(root, DEMO_CONFIG)


@pytest.fixture
def megvii_v1_checkpoint(tmp_path):
    """A Megvii ShuffleNet v1 1x g=3 checkpoint as Megvii saves it."""
    theirs = randomize(MegviiShuffleNet([-1, 24, 240, 480, 960], group=3))
    path = tmp_path / 'ShuffleNetV1_1.0x_g3.pth.tar'
    state = {f'module.{k}': v for k, v in theirs.state_dict().items()}
    torch.save({'state_dict': state}, path)
    return path
