"""Fixtures shared by the test modules; plain helpers are in helpers.py."""
import os
import os.path as osp

import pytest
import torch

from shufflenet_det.datasets import generate_shapes_dataset
from shufflenet_det.runtime.self_check import ISA_CAP, ISA_VARIABLE, cpu_flags
from shufflenet_det.tools.demo import DEMO_CONFIG
from helpers import (C4_CONFIG, FPN_LIGHT_CONFIG, ROOT, THUNDERNET_S8_CONFIG, TOP_K,
                     export_command, randomise_batch_norm, randomize, run_tool,
                     write_tiny_config)
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


def random_detector_export(root, config, *export_args):
    """A randomly initialised detector of ``config`` (every box kept,
    ``TOP_K``), and its export through tools/export_onnx.py with
    ``export_args``: (model, onnx file, the tool's output). The checkpoint
    is ``root / 'random.pth'``."""
    from mmdet.apis import init_detector
    from mmengine.config import Config
    cfg = Config.fromfile(config)
    cfg.merge_from_dict(TOP_K)
    torch.manual_seed(0)
    model = randomise_batch_norm(init_detector(cfg, None, device='cpu'))
    checkpoint = str(root / 'random.pth')
    torch.save(dict(state_dict=model.state_dict()), checkpoint)
    onnx_file = str(root / 'model.onnx')
    log = run_tool(*export_command(config, checkpoint, onnx_file, *export_args))
    return model, onnx_file, log


@pytest.fixture(scope='session')
def c4_model(tmp_path_factory):
    """A randomly initialised ShuffleNet v1 C4 detector and its export
    through tools/export_onnx.py at 160x224."""
    model, onnx_file, log = random_detector_export(
        tmp_path_factory.mktemp('c4'), C4_CONFIG, '--shape', '160', '224')
    assert 'input [1, 3, 160, 224]' in log
    return model, onnx_file


THUNDERNET_CONFIG = osp.join(ROOT, 'configs', 'demo', 'thundernet_snet146_shapes.py')


@pytest.fixture(scope='session')
def thundernet_model(tmp_path_factory):
    """A randomly initialised ThunderNet SNet146 (the demo config) and its
    export through tools/export_onnx.py at its 256x256 input."""
    model, onnx_file, log = random_detector_export(
        tmp_path_factory.mktemp('thundernet'), THUNDERNET_CONFIG)
    assert 'input [1, 3, 256, 256]' in log
    return model, onnx_file


@pytest.fixture(scope='session')
def fpn_export(tiny_config):
    """The tiny demo config's FPN detector, random weights, exported through
    tools/export_onnx.py (128x128): (config, onnx file)."""
    from mmdet.apis import init_detector
    root, config = tiny_config
    model = init_detector(config, None, device='cpu')
    checkpoint = str(root / 'tiny_random.pth')
    torch.save(dict(state_dict=model.state_dict()), checkpoint)
    onnx_file = str(root / 'tiny.onnx')
    run_tool('tools/export_onnx.py', config, checkpoint, onnx_file)
    return config, onnx_file


@pytest.fixture(scope='session')
def thundernet_s8_model(tmp_path_factory):
    """A randomly initialised small-object ThunderNet SNet146 (stride 8, the
    COCO config) and its export through tools/export_onnx.py at 256x256."""
    model, onnx_file, log = random_detector_export(
        tmp_path_factory.mktemp('thundernet_s8'), THUNDERNET_S8_CONFIG,
        '--shape', '256', '256')
    assert 'input [1, 3, 256, 256]' in log
    return model, onnx_file


@pytest.fixture(scope='session')
def fpn_light_model(tmp_path_factory):
    """A randomly initialised light-FPN COCO detector (the small-object
    real-time config) and its export through tools/export_onnx.py at 320x320."""
    model, onnx_file, log = random_detector_export(
        tmp_path_factory.mktemp('fpn_light'), FPN_LIGHT_CONFIG)
    assert 'input [1, 3, 320, 320]' in log
    return model, onnx_file
