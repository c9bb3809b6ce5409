"""ThunderNet's official SNet146 ImageNet checkpoint (snet-training layout)
converts exactly: the converted SNet computes what the official network
(restated in helpers.py) computes, stage by stage and logit by logit."""
import subprocess
import sys

import pytest
import torch
from mmdet.registry import MODELS

from shufflenet_det.weights import convert_checkpoint, save_converted
from helpers import (INPUTS, ROOT, assert_close, forward_ours, ours_after_conversion,
                     randomize)
from reference_networks import ThunderNetSNet


def write_official(path, model):
    """As snet-training/train.py saves: DataParallel keys under state_dict."""
    state = {f'module.{k}': v for k, v in model.state_dict().items()}
    torch.save({'state_dict': state}, path)
    return str(path)


@pytest.fixture(scope='module')
def official_snet146(tmp_path_factory):
    model = randomize(ThunderNetSNet())
    return model, write_official(tmp_path_factory.mktemp('snet') / 'snet146.pth.tar',
                                 model)


def test_snet146_parity(official_snet146):
    theirs, path = official_snet146
    ours, converted = ours_after_conversion('thundernet', path)
    assert converted.backbone_cfg == dict(type='SNet', arch=146, variant='megvii')
    for x in INPUTS:
        with torch.no_grad():
            expected = theirs(x * 255)  # BGR 0-255, as its ToBGRTensor
        assert_close(forward_ours(ours, x * 255), expected)


def test_snet535_widths_are_recognised(tmp_path):
    path = write_official(tmp_path / 'snet535.pth.tar',
                          ThunderNetSNet((248, 496, 992), stem=48))
    converted = convert_checkpoint('thundernet', path)
    assert converted.backbone_cfg['arch'] == 535


def test_converted_file_loads_by_init_cfg(official_snet146, tmp_path):
    theirs, path = official_snet146
    dst = str(tmp_path / 'snet146.pth')
    save_converted(convert_checkpoint('thundernet', path), 'thundernet', dst)
    backbone = MODELS.build(dict(type='SNet', arch=146, out_indices=(0, 1, 2),
                                 init_cfg=dict(type='Pretrained', checkpoint=dst)))
    backbone.init_weights()
    backbone.eval()
    x = INPUTS[0] * 255
    with torch.no_grad():
        assert_close(backbone(x), theirs(x)[:3])
    assert backbone.pretrained_meta['data_preprocessor']['bgr_to_rgb'] is False
    wrong = MODELS.build(dict(type='SNet', arch=49,
                              init_cfg=dict(type='Pretrained', checkpoint=dst)))
    with pytest.raises(ValueError, match='arch: checkpoint 146 != model 49'):
        wrong.init_weights()


@pytest.mark.slow
def test_cli_checks_the_arch(official_snet146, tmp_path):
    _, path = official_snet146
    command = [sys.executable, 'tools/convert_weights.py', 'thundernet', path,
               str(tmp_path / 'out.pth')]
    wrong = subprocess.run(command + ['--arch', '49'], cwd=ROOT, capture_output=True,
                           text=True, timeout=300)
    assert wrong.returncode == 1
    assert 'arch=49 requested, checkpoint has 146' in wrong.stderr
    assert not (tmp_path / 'out.pth').exists()
    result = subprocess.run(command + ['--arch', '146'], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert "'type': 'SNet', 'arch': 146" in result.stdout


def test_other_layouts_are_refused(tmp_path):
    path = tmp_path / 'other.pth'
    torch.save({'state_dict': {'features.0.weight': torch.zeros(1)}}, path)
    with pytest.raises(ValueError, match='not a ThunderNet snet-training checkpoint'):
        convert_checkpoint('thundernet', str(path))


def test_published_file_loads_by_init_cfg_as_it_is(official_snet146, tmp_path):
    """No conversion step: the official file in init_cfg is recognised and
    converted in memory, the same tensors as the converted file's."""
    _, path = official_snet146
    dst = str(tmp_path / 'snet146.pth')
    save_converted(convert_checkpoint('thundernet', path), 'thundernet', dst)
    loaded = []
    for checkpoint in (path, dst):
        backbone = MODELS.build(dict(type='SNet', arch=146, init_cfg=dict(
            type='Pretrained', checkpoint=checkpoint)))
        backbone.init_weights()
        loaded.append(backbone)
    for key, value in loaded[1].state_dict().items():
        assert torch.equal(loaded[0].state_dict()[key], value), key
    assert loaded[0].pretrained_meta == loaded[1].pretrained_meta
    assert loaded[0].pretrained_meta['source'] == 'thundernet'
