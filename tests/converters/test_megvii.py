"""Checkpoints written in each peer's own format convert, load, and compute
the same stage outputs and logits (eval mode, random weights and BN
statistics, non-square inputs)."""
import os.path as osp
import subprocess
import sys

import pytest
import torch
import torch.nn.functional as F
from mmdet.registry import MODELS
from mmdet.utils import register_all_modules
from mmengine.config import Config
from torch import nn

from shufflenet_det.converters import Converted, convert_checkpoint, save_converted
from shufflenet_det.converters.megvii import (megvii_shuffle_source,
                                              paper_shuffle_source, shuffle_relabelling)
from shufflenet_det.models.classifier import ImageNetClassifier
from helpers import ROOT, randomise_batch_norm

INPUTS = [torch.randn(2, 3, 97, 131), torch.randn(1, 3, 64, 40)]


def randomize(model):
    """Random weights and BN statistics, so that nothing matches by luck."""
    torch.manual_seed(1)
    for module in model.modules():
        if isinstance(module, (nn.Conv2d, nn.Linear)):
            nn.init.normal_(module.weight, std=(2 / module.weight[0].numel())**0.5)
    return randomise_batch_norm(model).eval()


def assert_close(ours, theirs):
    for a, b in zip(ours, theirs):
        assert a.shape == b.shape
        error = (a - b).abs().max() / b.abs().max()
        assert error < 1e-5, f'relative error {error:.2e}'


def ours_after_conversion(source, path, **architecture):
    """Convert, then load strictly into our backbone and classifier."""
    converted = convert_checkpoint(source, str(path), **architecture)
    backbone = MODELS.build(dict(converted.backbone_cfg, init_cfg=None))
    backbone.load_state_dict(converted.state_dict)
    backbone.out_indices = tuple(range(backbone.num_stages))
    model = ImageNetClassifier(backbone, converted.classifier['weight'].shape[0])
    model.fc.load_state_dict(converted.classifier)
    return model.eval(), converted


def forward_ours(model, x):
    with torch.no_grad():
        outs = model.backbone(x)
        return [*outs, model.fc(outs[-1].mean((2, 3)))]


# --- torchvision -----------------------------------------------------------

@pytest.mark.parametrize('arch', ['shufflenet_v2_x0_5', 'shufflenet_v2_x1_0',
                                  'shufflenet_v2_x1_5', 'shufflenet_v2_x2_0'])
def test_torchvision_shufflenet_v2_parity(arch, tmp_path):
    import torchvision
    theirs = randomize(getattr(torchvision.models, arch)())
    torch.save(theirs.state_dict(), tmp_path / 'tv.pth')
    ours, converted = ours_after_conversion('torchvision', tmp_path / 'tv.pth')
    assert converted.backbone_cfg['widen_factor'] == float(arch[-3:].replace('_', '.'))
    for x in INPUTS:
        with torch.no_grad():
            s2 = theirs.stage2(theirs.maxpool(theirs.conv1(x)))
            s3 = theirs.stage3(s2)
            s4 = theirs.stage4(s3)
            c5 = theirs.conv5(s4)
            expected = [s2, s3, s4, c5, theirs(x)]
        assert_close(forward_ours(ours, x), expected)


# --- mmpretrain ------------------------------------------------------------

@pytest.mark.parametrize('backbone,channels', [
    (dict(type='ShuffleNetV1', groups=3, widen_factor=1.0), 960),
    (dict(type='ShuffleNetV1', groups=8, widen_factor=1.0), 1536),
    (dict(type='ShuffleNetV1', groups=3, widen_factor=0.5), 480),
    (dict(type='ShuffleNetV1', groups=3, widen_factor=1.5), 1440),  # stem 36
    (dict(type='ShuffleNetV2', widen_factor=1.0), 1024),
])
def test_mmpretrain_parity(backbone, channels, tmp_path):
    from mmpretrain.registry import MODELS as PRETRAIN_MODELS
    last = 2 if backbone['type'] == 'ShuffleNetV1' else 3
    theirs = randomize(PRETRAIN_MODELS.build(dict(
        type='ImageClassifier',
        _scope_='mmpretrain',  # mmdet's default scope may be set by now
        backbone=dict(backbone, out_indices=tuple(range(last + 1))),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=1000, in_channels=channels))))
    torch.save({'meta': {}, 'state_dict': theirs.state_dict()}, tmp_path / 'm.pth')
    ours, _ = ours_after_conversion('mmpretrain', tmp_path / 'm.pth')
    for x in INPUTS:
        with torch.no_grad():
            stages = theirs.backbone(x)
            logits = theirs.head.fc(theirs.neck(stages)[-1])
        assert_close(forward_ours(ours, x), [*stages, logits])


# --- Megvii ShuffleNet-Series, restated from its network.py / blocks.py -----

class MegviiShuffleV1Block(nn.Module):

    def __init__(self, inp, oup, *, group, first_group, mid_channels, stride):
        super().__init__()
        self.stride, self.group = stride, group
        outputs = oup - inp if stride == 2 else oup
        self.branch_main_1 = nn.Sequential(
            nn.Conv2d(inp, mid_channels, 1, 1, 0, groups=1 if first_group else group,
                      bias=False),
            nn.BatchNorm2d(mid_channels), nn.ReLU(inplace=True),
            nn.Conv2d(mid_channels, mid_channels, 3, stride, 1, groups=mid_channels,
                      bias=False),
            nn.BatchNorm2d(mid_channels))
        self.branch_main_2 = nn.Sequential(
            nn.Conv2d(mid_channels, outputs, 1, 1, 0, groups=group, bias=False),
            nn.BatchNorm2d(outputs))
        if stride == 2:
            self.branch_proj = nn.AvgPool2d(kernel_size=3, stride=2, padding=1)

    def forward(self, old_x):
        x = self.branch_main_1(old_x)
        if self.group > 1:
            b, c, h, w = x.shape
            x = x.reshape(b, c // self.group, self.group, h, w).permute(0, 2, 1, 3, 4)
            x = x.reshape(b, c, h, w)
        x = self.branch_main_2(x)
        if self.stride == 1:
            return F.relu(x + old_x)
        return torch.cat((self.branch_proj(old_x), F.relu(x)), 1)


class MegviiShuffleV2Block(nn.Module):

    def __init__(self, inp, oup, mid_channels, *, stride):
        super().__init__()
        self.stride = stride
        self.branch_main = nn.Sequential(
            nn.Conv2d(inp, mid_channels, 1, 1, 0, bias=False),
            nn.BatchNorm2d(mid_channels), nn.ReLU(inplace=True),
            nn.Conv2d(mid_channels, mid_channels, 3, stride, 1, groups=mid_channels,
                      bias=False),
            nn.BatchNorm2d(mid_channels),
            nn.Conv2d(mid_channels, oup - inp, 1, 1, 0, bias=False),
            nn.BatchNorm2d(oup - inp), nn.ReLU(inplace=True))
        if stride == 2:
            self.branch_proj = nn.Sequential(
                nn.Conv2d(inp, inp, 3, stride, 1, groups=inp, bias=False),
                nn.BatchNorm2d(inp),
                nn.Conv2d(inp, inp, 1, 1, 0, bias=False),
                nn.BatchNorm2d(inp), nn.ReLU(inplace=True))

    def forward(self, old_x):
        if self.stride == 1:
            b, c, h, w = old_x.shape
            x = old_x.reshape(b * c // 2, 2, h * w).permute(1, 0, 2)
            x = x.reshape(2, -1, c // 2, h, w)
            return torch.cat((x[0], self.branch_main(x[1])), 1)
        return torch.cat((self.branch_proj(old_x), self.branch_main(old_x)), 1)


class MegviiShuffleNet(nn.Module):
    """Official ShuffleNetV1 (``group`` set) or ShuffleNetV2 (``group=None``)."""

    def __init__(self, stage_out_channels, group=None):
        super().__init__()
        stem = stage_out_channels[1]
        self.first_conv = nn.Sequential(nn.Conv2d(3, stem, 3, 2, 1, bias=False),
                                        nn.BatchNorm2d(stem), nn.ReLU(inplace=True))
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        features, self.stage_ends, inp = [], [], stem
        for stage, repeats in enumerate((4, 8, 4)):
            oup = stage_out_channels[stage + 2]
            for i in range(repeats):
                if group:
                    features.append(MegviiShuffleV1Block(
                        inp, oup, group=group, first_group=stage == 0 and i == 0,
                        mid_channels=oup // 4, stride=2 if i == 0 else 1))
                else:
                    features.append(MegviiShuffleV2Block(
                        inp if i == 0 else inp // 2, oup, oup // 2,
                        stride=2 if i == 0 else 1))
                inp = oup
            self.stage_ends.append(len(features) - 1)
        self.features = nn.Sequential(*features)
        if not group:
            last = stage_out_channels[-1]
            self.conv_last = nn.Sequential(nn.Conv2d(inp, last, 1, 1, 0, bias=False),
                                           nn.BatchNorm2d(last), nn.ReLU(inplace=True))
            inp = last
        self.classifier = nn.Sequential(nn.Linear(inp, 1000, bias=False))

    def forward(self, x):
        x = self.maxpool(self.first_conv(x))
        outs = []
        for index, block in enumerate(self.features):
            x = block(x)
            if index in self.stage_ends:
                outs.append(x)
        if hasattr(self, 'conv_last'):
            x = self.conv_last(x)
            outs.append(x)
        return [*outs, self.classifier(x.mean((2, 3)))]


@pytest.mark.parametrize('channels,group,expected_cfg', [
    ([-1, 24, 240, 480, 960], 3, dict(groups=3, widen_factor=1.0)),
    ([-1, 12, 120, 240, 480], 3, dict(groups=3, widen_factor=0.5)),
    ([-1, 24, 360, 720, 1440], 3, dict(groups=3, widen_factor=1.5)),
    ([-1, 48, 480, 960, 1920], 3, dict(groups=3, widen_factor=2.0)),
    ([-1, 16, 192, 384, 768], 8, dict(groups=8, widen_factor=0.5, stem_channels=16,
                                      variant='megvii')),
    ([-1, 24, 384, 768, 1536], 8, dict(groups=8, widen_factor=1.0,
                                       variant='megvii')),
    ([-1, 24, 116, 232, 464, 1024], None, dict(widen_factor=1.0, variant='megvii')),
    ([-1, 24, 244, 488, 976, 2048], None, dict(widen_factor=2.0, variant='megvii')),
])
def test_megvii_parity(channels, group, expected_cfg, tmp_path):
    theirs = randomize(MegviiShuffleNet(channels, group))
    state = {f'module.{k}': v for k, v in theirs.state_dict().items()}
    torch.save({'state_dict': state}, tmp_path / 'megvii.pth.tar')
    ours, converted = ours_after_conversion('megvii', tmp_path / 'megvii.pth.tar')
    assert converted.backbone_cfg == dict(type=converted.backbone_cfg['type'],
                                          **expected_cfg)
    for x in INPUTS:
        with torch.no_grad():
            expected = theirs(x * 255)  # Megvii's input is 0-255
        assert_close(forward_ours(ours, x * 255), expected)


@pytest.mark.parametrize('channels,groups', [(30, 3), (60, 3), (90, 3), (120, 3),
                                             (36, 4), (192, 8)])
def test_shuffle_relabelling_routes_like_megvii(channels, groups):
    compress, relabel = shuffle_relabelling(channels, groups)
    n = channels // groups
    ours = paper_shuffle_source(channels, groups)
    theirs = megvii_shuffle_source(channels, groups)
    assert sorted(compress) == sorted(relabel) == list(range(channels))
    assert all(compress[a] // n == a // n for a in range(channels))
    assert all(relabel[b] // n == b // n for b in range(channels))
    assert all(ours[relabel[b]] == compress[theirs[b]] for b in range(channels))


@pytest.mark.parametrize('channels', [48, 96, 144])
def test_no_exact_relabelling_for_megvii_g8(channels):
    with pytest.raises(ValueError, match=f'no exact relabelling for {channels}'):
        shuffle_relabelling(channels, 8)


def test_megvii_shuffle_is_the_inverse_of_the_papers():
    ours, theirs = paper_shuffle_source(12, 3), megvii_shuffle_source(12, 3)
    assert ours != theirs
    assert [ours[theirs[p]] for p in range(12)] == list(range(12))


# --- timm ------------------------------------------------------------------

def test_timm_mobilenetv1_parity(tmp_path):
    import timm
    theirs = randomize(timm.create_model('mobilenetv1_100'))
    torch.save(theirs.state_dict(), tmp_path / 'timm.pth')
    ours, converted = ours_after_conversion('timm', tmp_path / 'timm.pth')
    assert converted.backbone_cfg['act_cfg'] == dict(type='ReLU6')
    for x in INPUTS:
        with torch.no_grad():
            y, stages = theirs.bn1(theirs.conv_stem(x)), []
            for stage in theirs.blocks:
                y = stage(y)
                stages.append(y)
            expected = [*stages, theirs(x)]
        assert_close(forward_ours(ours, x), expected)


# --- errors ----------------------------------------------------------------

def test_not_a_checkpoint(tmp_path):
    path = tmp_path / 'notes.pth'
    path.write_text('hello')
    with pytest.raises(ValueError, match='notes.pth is not a loadable PyTorch'):
        convert_checkpoint('torchvision', str(path))


def test_wrong_source_format(tmp_path):
    import torchvision
    torch.save(torchvision.models.shufflenet_v2_x0_5().state_dict(), tmp_path / 'a.pth')
    with pytest.raises(ValueError, match='not a Megvii ShuffleNet-Series'):
        convert_checkpoint('megvii', str(tmp_path / 'a.pth'))
    with pytest.raises(ValueError, match="source='caffe' is not supported"):
        convert_checkpoint('caffe', str(tmp_path / 'a.pth'))


def test_wrong_width_is_reported(tmp_path):
    import torchvision
    torch.save(torchvision.models.shufflenet_v2_x0_5().state_dict(), tmp_path / 'a.pth')
    with pytest.raises(ValueError, match=r'widen_factor=1.0 requested, checkpoint '
                                         r'has 0.5'):
        convert_checkpoint('torchvision', str(tmp_path / 'a.pth'), widen_factor=1.0)


def test_missing_and_unexpected_keys_are_listed(tmp_path):
    import torchvision
    state = torchvision.models.shufflenet_v2_x1_0().state_dict()
    del state['stage3.2.branch2.3.weight']
    state['stage3.2.extra.weight'] = torch.zeros(1)
    torch.save(state, tmp_path / 'a.pth')
    with pytest.raises(ValueError) as error:
        convert_checkpoint('torchvision', str(tmp_path / 'a.pth'))
    message = str(error.value)
    assert '1 missing: layers.1.2.branch2.1.conv.weight' in message
    assert '1 unexpected: unconverted.stage3.2.extra.weight' in message


def test_save_is_atomic_never_overwrites_and_records_metadata(tmp_path):
    path = tmp_path / 'out.pth'
    cfg = dict(type='MobileNetV1', widen_factor=1.0, act_cfg=dict(type='ReLU6'))
    save_converted(Converted(cfg, {'w': torch.ones(1)}, {}), 'timm', str(path))
    with pytest.raises(FileExistsError, match='out.pth exists'):
        save_converted(Converted(cfg, {'w': torch.zeros(1)}, {}), 'timm', str(path))
    checkpoint = torch.load(path, weights_only=True)
    assert checkpoint['state_dict']['w'].item() == 1
    assert checkpoint['meta']['shufflenet_det'] == dict(
        source='timm', backbone=cfg, data_preprocessor=dict(
            mean=[127.5] * 3, std=[127.5] * 3, bgr_to_rgb=True))
    save_converted(Converted(cfg, {'w': torch.zeros(1)}, {}), 'timm', str(path),
                   overwrite=True)
    assert torch.load(path, weights_only=True)['state_dict']['w'].item() == 0
    assert [p.name for p in tmp_path.iterdir()] == ['out.pth']


# --- the converted file in use ---------------------------------------------


@pytest.fixture
def megvii_v1_checkpoint(tmp_path):
    theirs = randomize(MegviiShuffleNet([-1, 24, 240, 480, 960], group=3))
    path = tmp_path / 'ShuffleNetV1_1.0x_g3.pth.tar'
    state = {f'module.{k}': v for k, v in theirs.state_dict().items()}
    torch.save({'state_dict': state}, path)
    return path


def test_cli_converts_and_never_overwrites(megvii_v1_checkpoint, tmp_path):
    dst = tmp_path / 'converted.pth'
    command = [sys.executable, 'tools/convert_weights.py', 'megvii',
               str(megvii_v1_checkpoint), str(dst), '--groups', '3']
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    assert "'groups': 3, 'widen_factor': 1.0" in result.stdout
    assert "'bgr_to_rgb': False" in result.stdout
    before = dst.read_bytes()
    again = subprocess.run(command, cwd=ROOT, capture_output=True, text=True,
                           timeout=300)
    assert again.returncode == 1 and 'converted.pth exists' in again.stderr
    assert dst.read_bytes() == before
    wrong = subprocess.run(command[:-1] + ['8'], cwd=ROOT, capture_output=True,
                           text=True, timeout=300)
    assert wrong.returncode == 1
    assert 'groups=8 requested, checkpoint has 3' in wrong.stderr


def test_converted_weights_run_in_the_table7_detector(megvii_v1_checkpoint, tmp_path):
    """Backbone and C4 shared head both take their stages from one converted
    file and together compute the converted backbone."""
    converted = convert_checkpoint('megvii', str(megvii_v1_checkpoint))
    path = str(tmp_path / 'shufflenet-v1-1x-g3.pth')
    save_converted(converted, 'megvii', path)
    register_all_modules()
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'shufflenet_v1',
                                   'faster-rcnn_shufflenet-v1-1x-g3_c4-1x_coco-600.py'))
    cfg.model.backbone.init_cfg.checkpoint = path
    cfg.model.roi_head.shared_head.init_cfg.checkpoint = path
    detector = MODELS.build(cfg.model)
    detector.init_weights()
    full = MODELS.build(dict(converted.backbone_cfg, init_cfg=None)).eval()
    full.load_state_dict(converted.state_dict)
    detector.eval()
    x = INPUTS[0]
    with torch.no_grad():
        (features, ) = detector.backbone(x)
        assert_close([detector.roi_head.shared_head(features)], [full(x)[-1]])
