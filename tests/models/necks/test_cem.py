"""CEM: C4 + upsampled C5 + global context, each by a 1x1 conv."""
import pytest
import torch
import torch.nn.functional as F

from shufflenet_det.models import CEM


def test_cem_sums_three_scales():
    cem = CEM(in_channels=(8, 12), out_channels=245)
    c4, c5 = torch.randn(2, 8, 6, 10), torch.randn(2, 12, 3, 5)
    (out, ) = cem((c4, c5))
    assert out.shape == (2, 245, 6, 10)
    expected = (cem.c4_conv(c4)
                + cem.c5_conv(c5).repeat_interleave(2, 2).repeat_interleave(2, 3)
                + F.conv2d(c5.mean((2, 3), keepdim=True), cem.global_conv.weight,
                           cem.global_conv.bias))
    torch.testing.assert_close(out, expected)


def test_cem_default_init_is_xavier_uniform():
    cem = CEM()
    cem.init_weights()
    weight = cem.c4_conv.weight
    bound = (6 / (weight.shape[0] + weight.shape[1])) ** 0.5
    assert weight.abs().max() <= bound and weight.abs().max() > 0.9 * bound
    assert (cem.c4_conv.bias == 0).all()


@pytest.mark.parametrize('inputs,message', [
    ((torch.zeros(1, 8, 4, 4), ), 'got 1 feature maps; it needs C4 and C5'),
    ((torch.zeros(1, 8, 4, 4), ) * 3, 'got 3 feature maps'),
    ((torch.zeros(1, 8, 21, 21), torch.zeros(1, 12, 11, 11)),
     r'C4 \(21, 21\) and C5 \(11, 11\): the input height and width must be '
     'multiples of 32'),
])
def test_bad_inputs_name_what_is_needed(inputs, message):
    with pytest.raises(ValueError, match=message):
        CEM(in_channels=(8, 12))(inputs)


def test_in_channels_are_two():
    with pytest.raises(ValueError, match=r'in_channels=\(8, 12, 16\): the CEM takes '
                       'two maps'):
        CEM(in_channels=(8, 12, 16))
