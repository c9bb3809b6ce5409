"""What every conversion shares (``convert_state_dict``, ``converters.common``):
errors that name the problem."""
import pytest
import torch

from shufflenet_det.converters import convert_state_dict


def test_wrong_source_format():
    import torchvision
    state = torchvision.models.shufflenet_v2_x0_5().state_dict()
    with pytest.raises(ValueError, match='not a Megvii ShuffleNet-Series'):
        convert_state_dict('megvii', state)
    with pytest.raises(ValueError, match="source='caffe' is not supported"):
        convert_state_dict('caffe', state)


def test_wrong_width_is_reported():
    import torchvision
    state = torchvision.models.shufflenet_v2_x0_5().state_dict()
    with pytest.raises(ValueError, match=r'widen_factor=1.0 requested, checkpoint '
                                         r'has 0.5'):
        convert_state_dict('torchvision', state, widen_factor=1.0)


def test_missing_and_unexpected_keys_are_listed():
    import torchvision
    state = torchvision.models.shufflenet_v2_x1_0().state_dict()
    del state['stage3.2.branch2.3.weight']
    state['stage3.2.extra.weight'] = torch.zeros(1)
    with pytest.raises(ValueError) as error:
        convert_state_dict('torchvision', state)
    message = str(error.value)
    assert '1 missing: layers.1.2.branch2.1.conv.weight' in message
    assert '1 unexpected: unconverted.stage3.2.extra.weight' in message
