"""Loading ImageNet weights (shufflenet_det.weights): strict about what each
module owns, silent about the other side of the C4 split, checked against
the metadata of converted files, which are read and written here too."""
import logging
import os.path as osp
import re

import pytest
import torch
from mmdet.registry import MODELS
from mmdet.utils import register_all_modules
from mmengine.config import Config
from mmengine.model import initialize
from mmengine.registry import WEIGHT_INITIALIZERS

from shufflenet_det.converters import DATA_PREPROCESSORS, Converted
from shufflenet_det.models.stages import PRETRAINED_INIT
from shufflenet_det.weights import (StrictPretrainedInit, convert_checkpoint,
                                    save_converted)
from helpers import (C4_CONFIGS, ROOT, c4_detector, full_backbone, log_messages,
                     write_converted)


@pytest.fixture(scope='module', autouse=True)
def _registry():
    register_all_modules()


@pytest.mark.parametrize('config,source', C4_CONFIGS)
def test_c4_backbone_and_head_compute_the_full_backbone(config, source, tmp_path):
    """Through the real config: one converted file feeds backbone and head,
    without a warning, and head(backbone(x)) is the full backbone's output."""
    cfg = Config.fromfile(osp.join(ROOT, 'configs', config))
    full = full_backbone(cfg.model.backbone)
    path = write_converted(full, source, tmp_path / 'weights.pth')
    _, detector = c4_detector(config, path)
    assert log_messages(detector.init_weights) == []
    detector.eval()
    first_stage = cfg.model.roi_head.shared_head.first_stage
    x = torch.randn(1, 3, 96, 128)
    with torch.no_grad():
        expected = full(x)
        (features, ) = detector.backbone(x)
        torch.testing.assert_close(features, expected[first_stage - 1])
        torch.testing.assert_close(detector.roi_head.shared_head(features),
                                   expected[-1])


def test_prefixed_keys_without_prefix_fail_and_name_the_prefix(tmp_path):
    """An mmdet detector's checkpoint (backbone and neck keys) is no
    published ImageNet layout: without the prefix it fails naming it."""
    model = full_backbone(dict(type='ShuffleNetV1', groups=3, widen_factor=0.5))
    path = str(tmp_path / 'mmdet.pth')
    state = {f'backbone.{k}': v for k, v in model.state_dict().items()}
    torch.save(dict(state_dict=dict(state, **{'neck.conv.weight': torch.zeros(1)})),
               path)
    init_cfg = dict(type='Pretrained', checkpoint=path)
    backbone = MODELS.build(dict(type='ShuffleNetV1', groups=3, widen_factor=0.5,
                                 init_cfg=init_cfg))
    with pytest.raises(ValueError, match=r"mmdet.pth does not fit this ShuffleNetV1 "
                       r"\(\d+ tensors\): \d+ missing: conv1.conv.weight.*"
                       r"set prefix='backbone.' in init_cfg"):
        backbone.init_weights()
    # With the prefix it loads, and keys without it (a head) are ignored.
    backbone = MODELS.build(dict(type='ShuffleNetV1', groups=3, widen_factor=0.5,
                                 init_cfg=dict(init_cfg, prefix='backbone.')))
    backbone.init_weights()
    for key, value in model.state_dict().items():
        torch.testing.assert_close(backbone.state_dict()[key], value, msg=key)


def test_file_of_no_known_layout_fails_and_lists_the_sources(tmp_path):
    path = str(tmp_path / 'resnet.pth')
    torch.save({'layer1.0.conv1.weight': torch.zeros(64, 64, 3, 3)}, path)
    _, detector = c4_detector(C4_CONFIGS[1][0], path)
    with pytest.raises(ValueError, match=r'none of its keys is in this project.s '
                       r'layout or in that of a recognised source \(torchvision, '
                       r'mmpretrain, megvii, timm, thundernet\)'):
        detector.init_weights()


def test_weights_of_another_variant_fail_and_name_the_argument(tmp_path):
    """Megvii v2 weights (converted for variant='megvii') into the default
    torchvision-layout v2 config."""
    cfg = Config.fromfile(osp.join(ROOT, 'configs', C4_CONFIGS[1][0]))
    megvii = full_backbone(dict(cfg.model.backbone, variant='megvii'))
    path = write_converted(megvii, 'megvii', tmp_path / 'megvii.pth')
    _, detector = c4_detector(C4_CONFIGS[1][0], path)
    with pytest.raises(ValueError, match=r"variant: checkpoint 'megvii' != model "
                       r"'torchvision'. Set these arguments"):
        detector.init_weights()
    # Without metadata, the keys alone still catch it: 10 tensors differ.
    torch.save(megvii.state_dict(), path)
    with pytest.raises(ValueError, match=r'10 of another shape: .*Likely cause: it '
                       r'holds another architecture'):
        detector.init_weights()


def test_explicit_partial_loading(tmp_path):
    model = full_backbone(dict(type='MobileNetV1', widen_factor=0.25))
    state = model.state_dict()
    del state['layers.4.1.pointwise_conv.conv.weight']
    path = str(tmp_path / 'partial.pth')
    torch.save(state, path)
    cfg = dict(type='MobileNetV1', widen_factor=0.25,
               init_cfg=dict(type='Pretrained', checkpoint=path))
    with pytest.raises(ValueError, match='1 missing: layers.4.1.pointwise_conv'):
        MODELS.build(cfg).init_weights()
    backbone = MODELS.build(dict(cfg, init_cfg=dict(cfg['init_cfg'], strict=False)))
    assert any('1 missing' in w for w in log_messages(backbone.init_weights))
    torch.testing.assert_close(backbone.layers[0][0].depthwise_conv.conv.weight,
                               model.layers[0][0].depthwise_conv.conv.weight)


def test_pretrained_init_cfg_builds_the_registered_strict_loader(tmp_path):
    """The networks reach the loader through mmengine's registry, not by
    import; it takes mmengine's Pretrained arguments (map_location) and is
    an initializer like mmengine's own."""
    assert WEIGHT_INITIALIZERS.get(PRETRAINED_INIT) is StrictPretrainedInit
    model = full_backbone(dict(type='MobileNetV1', widen_factor=0.25))
    path = write_converted(model, 'timm', tmp_path / 'weights.pth')
    cfg = dict(type='MobileNetV1', widen_factor=0.25)
    backbone = MODELS.build(dict(cfg, init_cfg=dict(
        type='Pretrained', checkpoint=path, map_location='cpu')))
    backbone.init_weights()
    assert backbone.pretrained_meta['source'] == 'timm'
    for key, value in model.state_dict().items():
        assert torch.equal(backbone.state_dict()[key], value), key
    other = MODELS.build(cfg)
    initialize(other, dict(type=PRETRAINED_INIT, checkpoint=path))
    assert other.pretrained_meta == backbone.pretrained_meta


# --- published ImageNet weights, recognised and converted in memory ---------

def published_checkpoint(source, folder):
    """(path, backbone config) of a random checkpoint saved in ``source``'s
    published layout, by the peer's own model where it is installed."""
    if source == 'torchvision':
        import torchvision
        model, cfg = (torchvision.models.shufflenet_v2_x0_5(),
                      dict(type='ShuffleNetV2', widen_factor=0.5))
        state = model.state_dict()  # as torchvision publishes: a bare state dict
    elif source == 'mmpretrain':
        from mmpretrain.registry import MODELS as PRETRAIN_MODELS
        cfg = dict(type='ShuffleNetV1', groups=3, widen_factor=0.5)
        model = PRETRAIN_MODELS.build(dict(
            type='ImageClassifier', _scope_='mmpretrain', backbone=cfg,
            neck=dict(type='GlobalAveragePooling'),
            head=dict(type='LinearClsHead', num_classes=1000, in_channels=480)))
        state = dict(meta=dict(), state_dict=model.state_dict())
    elif source == 'megvii':
        from reference_networks import MegviiShuffleNet
        model = MegviiShuffleNet([-1, 24, 240, 480, 960], group=3)
        cfg = dict(type='ShuffleNetV1', groups=3, widen_factor=1.0)
        state = dict(state_dict={f'module.{k}': v
                                 for k, v in model.state_dict().items()})
    else:
        import timm
        model = timm.create_model('mobilenetv1_100')
        cfg = dict(type='MobileNetV1', widen_factor=1.0, act_cfg=dict(type='ReLU6'))
        state = model.state_dict()
    from helpers import randomize
    randomize(model)
    # Megvii's files are of 2019: torch.save's format before torch 1.6
    path = folder / (f'{source}.pth.tar' if source == 'megvii' else f'{source}.pth')
    torch.save(state, path, _use_new_zipfile_serialization=source != 'megvii')
    return str(path), cfg


@pytest.mark.parametrize('source', ['torchvision', 'mmpretrain', 'megvii', 'timm'])
def test_published_checkpoint_loads_as_its_converted_file(source, tmp_path):
    """init_cfg on the file as published: recognised, converted in memory and
    loaded strictly - the very tensors and metadata of the converted file."""
    path, cfg = published_checkpoint(source, tmp_path)
    direct = MODELS.build(dict(cfg, init_cfg=dict(type='Pretrained',
                                                  checkpoint=path)))
    logs = log_messages(direct.init_weights, logging.INFO)
    converted = str(tmp_path / 'converted.pth')
    save_converted(convert_checkpoint(source, path), source, converted)
    explicit = MODELS.build(dict(cfg, init_cfg=dict(type='Pretrained',
                                                    checkpoint=converted)))
    explicit.init_weights()
    assert direct.state_dict().keys() == explicit.state_dict().keys()
    for key, value in explicit.state_dict().items():
        assert torch.equal(direct.state_dict()[key], value), key
    assert direct.pretrained_meta == explicit.pretrained_meta
    assert direct.pretrained_meta['data_preprocessor'] == DATA_PREPROCESSORS[source]
    counted = len([k for k in direct.state_dict() if 'num_batches' not in k])
    line = [m for m in logs if 'tensors' in m]
    assert len(line) == 1 and re.search(
        f'{re.escape(path)}: recognised {source} .*, converted, loaded '
        f'{counted} of {counted} tensors$', line[0]), logs


def test_published_checkpoint_of_another_architecture_fails_naming_both(tmp_path):
    path, _ = published_checkpoint('torchvision', tmp_path)  # 0.5x
    v2 = MODELS.build(dict(type='ShuffleNetV2', widen_factor=1.0,
                           init_cfg=dict(type='Pretrained', checkpoint=path)))
    with pytest.raises(ValueError, match=r"torchvision.pth holds torchvision weights"
                       r" of .*'widen_factor': 0.5.*, which is not this ShuffleNetV2: "
                       r"widen_factor: checkpoint 0.5 != model 1.0"):
        v2.init_weights()
    v1 = MODELS.build(dict(type='ShuffleNetV1', groups=3,
                           init_cfg=dict(type='Pretrained', checkpoint=path)))
    with pytest.raises(ValueError, match=r"type: checkpoint 'ShuffleNetV2' != model "
                       r"'ShuffleNetV1'"):
        v1.init_weights()


def test_config_by_torchvision_name_loads_from_mmengines_cache(tmp_path, monkeypatch):
    """The shipped v2 C4 config as it is: torchvision://shufflenet_v2_x1_0.
    imagenet1k_v1 resolves (mmengine's table) to torchvision's file name, which
    is read from the cache folder (TORCH_HOME) without a download; backbone
    and C4 head compute the full torchvision-converted backbone."""
    import torchvision

    from helpers import randomize
    config, source = C4_CONFIGS[1]
    cfg = Config.fromfile(osp.join(ROOT, 'configs', config))
    assert cfg.model.backbone.init_cfg.checkpoint == (
        'torchvision://shufflenet_v2_x1_0.imagenet1k_v1')
    cache = tmp_path / 'torch_home' / 'hub' / 'checkpoints'
    cache.mkdir(parents=True)
    theirs = randomize(torchvision.models.shufflenet_v2_x1_0())
    torch.save(theirs.state_dict(), cache / 'shufflenetv2_x1-5666bf0f80.pth')
    monkeypatch.setenv('TORCH_HOME', str(tmp_path / 'torch_home'))
    detector = MODELS.build(cfg.model)
    detector.init_weights()
    assert detector.backbone.pretrained_meta['source'] == source
    converted = convert_checkpoint(source,
                                   str(cache / 'shufflenetv2_x1-5666bf0f80.pth'))
    full = full_backbone(cfg.model.backbone)
    full.load_state_dict(converted.state_dict)
    x = torch.randn(1, 3, 64, 96)
    detector.eval()
    with torch.no_grad():
        expected = full(x)
        (features, ) = detector.backbone(x)
        assert torch.equal(features, expected[1])
        assert torch.equal(detector.roi_head.shared_head(features), expected[-1])


def test_truncated_or_garbage_file_fails_in_init_weights_saying_what_it_is(tmp_path):
    path, cfg = published_checkpoint('torchvision', tmp_path)
    data = open(path, 'rb').read()
    cases = {'truncated.pth': (data[:len(data) // 3], 'a truncated or damaged zip'),
             'notes.pth': (b'# not weights\n', 'neither a torch.save zip archive')}
    for name, (content, what) in cases.items():
        (tmp_path / name).write_bytes(content)
        backbone = MODELS.build(dict(cfg, init_cfg=dict(
            type='Pretrained', checkpoint=str(tmp_path / name))))
        with pytest.raises(ValueError, match=f'{name} is not a loadable PyTorch '
                           f'checkpoint: it is {what}'):
            backbone.init_weights()


# --- converted files, read and written ------------------------------------

def test_not_a_checkpoint(tmp_path):
    path = tmp_path / 'notes.pth'
    path.write_text('hello')
    with pytest.raises(ValueError, match='notes.pth is not a loadable PyTorch'):
        convert_checkpoint('torchvision', str(path))


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
