"""Fixtures shared by the test modules; plain helpers are in helpers.py."""
import os
import os.path as osp

import pytest
import torch

from shufflenet_det.datasets import generate_shapes_dataset
from shufflenet_det.runtime.self_check import ISA_CAP, ISA_VARIABLE, cpu_flags
from shufflenet_det.tools.demo import DEMO_CONFIG
from helpers import (C4_CONFIG, FPN_LIGHT_CONFIG, ROOT, THUNDERNET_S8_CONFIG, TOP_K,
                     randomise_batch_norm, randomize, write_tiny_config)
from reference_networks import MegviiShuffleNet

# On a CPU with AMX, OpenVINO's AMX int8 kernels get grouped convolutions
# wrong, and the runtime caps a process to AVX-512 VNNI before OpenVINO starts
# in it (runtime.self_check). In this process many files of either kind load,
# so it is capped from the start; the AMX kernels are checked as a user's
# process meets them, in a fresh process per run
# (test_detector.py::test_openvino_agrees_below_this_cpu[native]).
if 'amx_int8' in cpu_flags():
    os.environ.setdefault(ISA_VARIABLE, ISA_CAP)


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


def random_detector_export(root, config, shape=None):
    """A randomly initialised detector of ``config`` (every box kept,
    ``TOP_K``), and its export by the exporter behind tools/export_onnx.py
    (in this process: the tool as a process is tested in test_install), at
    ``shape`` or the config's input: (model, onnx file, input shape). The
    checkpoint is ``root / 'random.pth'``."""
    from mmdet.apis import init_detector
    from mmengine.config import Config

    from shufflenet_det.deploy import export_onnx
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(TOP_K)
    torch.manual_seed(0)
    model = randomise_batch_norm(init_detector(cfg, None, device='cpu'))
    checkpoint = str(root / 'random.pth')
    torch.save(dict(state_dict=model.state_dict()), checkpoint)
    onnx_file = str(root / 'model.onnx')
    input_shape = export_onnx(config, checkpoint, onnx_file, shape, dict(TOP_K))
    return model, onnx_file, tuple(input_shape)


@pytest.fixture(scope='session')
def c4_model(tmp_path_factory):
    """A randomly initialised ShuffleNet v1 C4 detector and its export
    exported at 160x224."""
    model, onnx_file, shape = random_detector_export(
        tmp_path_factory.mktemp('c4'), C4_CONFIG, (160, 224))
    assert shape == (160, 224)
    return model, onnx_file


THUNDERNET_CONFIG = osp.join(ROOT, 'configs', 'demo', 'thundernet_snet146_shapes.py')


@pytest.fixture(scope='session')
def thundernet_model(tmp_path_factory):
    """A randomly initialised ThunderNet SNet146 (the demo config) and its
    export at its 256x256 input."""
    model, onnx_file, shape = random_detector_export(
        tmp_path_factory.mktemp('thundernet'), THUNDERNET_CONFIG)
    assert shape == (256, 256)
    return model, onnx_file


@pytest.fixture(scope='session')
def fpn_export(tiny_config):
    """The tiny demo config's FPN detector, random weights, exported
    (128x128): (config, onnx file)."""
    from mmdet.apis import init_detector

    from shufflenet_det.deploy import export_onnx
    root, config = tiny_config
    model = init_detector(config, None, device='cpu')
    checkpoint = str(root / 'tiny_random.pth')
    torch.save(dict(state_dict=model.state_dict()), checkpoint)
    onnx_file = str(root / 'tiny.onnx')
    export_onnx(config, checkpoint, onnx_file)
    return config, onnx_file


@pytest.fixture(scope='session')
def thundernet_s8_model(tmp_path_factory):
    """A randomly initialised small-object ThunderNet SNet146 (stride 8, the
    COCO config) and its export at 256x256."""
    model, onnx_file, shape = random_detector_export(
        tmp_path_factory.mktemp('thundernet_s8'), THUNDERNET_S8_CONFIG, (256, 256))
    assert shape == (256, 256)
    return model, onnx_file


@pytest.fixture(scope='session')
def fpn_light_model(tmp_path_factory):
    """A randomly initialised light-FPN COCO detector (the small-object
    real-time config) and its export at 320x320."""
    model, onnx_file, shape = random_detector_export(
        tmp_path_factory.mktemp('fpn_light'), FPN_LIGHT_CONFIG)
    assert shape == (320, 320)
    return model, onnx_file
