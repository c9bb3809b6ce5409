"""What every conversion shares (``convert_checkpoint``, ``converters.common``):
errors that name the problem, and saving that never overwrites by
accident."""
import pytest
import torch

from shufflenet_det.converters import Converted, convert_checkpoint, save_converted


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
