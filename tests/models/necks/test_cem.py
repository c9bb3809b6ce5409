"""CEM: C4 + upsampled C5 + global context, each by a 1x1 conv; with C3 too,
the same at stride 8."""
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


def test_cem_on_c3_sums_four_scales_at_stride_8():
    cem = CEM(in_channels=(6, 8, 12), out_channels=245)
    c3, c4, c5 = (torch.randn(2, c, 12 // s, 20 // s)
                  for c, s in ((6, 1), (8, 2), (12, 4)))
    (out, ) = cem((c3, c4, c5))
    assert out.shape == (2, 245, 12, 20)
    expected = (cem.c3_conv(c3)
                + cem.c4_conv(c4).repeat_interleave(2, 2).repeat_interleave(2, 3)
                + cem.c5_conv(c5).repeat_interleave(4, 2).repeat_interleave(4, 3)
                + F.conv2d(c5.mean((2, 3), keepdim=True), cem.global_conv.weight,
                           cem.global_conv.bias))
    torch.testing.assert_close(out, expected)
    with pytest.raises(ValueError, match='got 2 feature maps; it needs C3, C4 and C5'):
        cem((c4, c5))


def test_cem_with_norm_normalises_each_branch_before_the_sum():
    cem = CEM(in_channels=(8, 12), out_channels=20,
              norm_cfg=dict(type='GN', num_groups=4)).eval()
    assert all(getattr(cem, f'{n}_conv').bias is None for n in ('c4', 'c5', 'global'))
    assert sorted(k for k in cem.state_dict() if 'norm' in k) == [
        f'{n}_norm.{p}' for n in ('c4', 'c5', 'global') for p in ('bias', 'weight')]
    c4, c5 = torch.randn(2, 8, 6, 10), torch.randn(2, 12, 3, 5)
    (out, ) = cem((c4, c5))
    expected = (cem.c4_norm(cem.c4_conv(c4))
                + cem.c5_norm(cem.c5_conv(c5)).repeat_interleave(2, 2)
                .repeat_interleave(2, 3)
                + cem.global_norm(cem.global_conv(c5.mean((2, 3), keepdim=True))))
    torch.testing.assert_close(out, expected)
    assert not hasattr(CEM(in_channels=(8, 12), out_channels=20), 'c4_norm')


@pytest.mark.parametrize('norm_cfg', [dict(type='BN'), dict(type='GN', num_groups=5)])
@pytest.mark.parametrize('dynamo', [False, True], ids=['torchscript', 'dynamo'])
def test_normalised_cem_trains_its_norms_and_exports_exactly(norm_cfg, dynamo,
                                                             tmp_path):
    """Its norms' parameters train; eval-mode outputs are the same in ONNX
    Runtime through either torch.onnx exporter."""
    ort = pytest.importorskip('onnxruntime')
    cem = CEM(in_channels=(6, 8, 12), out_channels=20, norm_cfg=norm_cfg)
    norms = {n for n, p in cem.named_parameters() if '_norm.' in n and p.requires_grad}
    assert norms == {f'{b}_norm.{p}' for b in ('c3', 'c4', 'c5', 'global')
                     for p in ('weight', 'bias')}
    inputs = [torch.randn(2, c, 16 // s, 16 // s) for c, s in ((6, 1), (8, 2), (12, 4))]
    cem(inputs)  # one training step's BN statistics
    cem.eval()
    path = str(tmp_path / 'cem.onnx')
    torch.onnx.export(cem, (inputs, ), path, dynamo=dynamo,
                      opset_version=18 if dynamo else 17)
    session = ort.InferenceSession(path, providers=['CPUExecutionProvider'])
    feed = {i.name: x.numpy() for i, x in zip(session.get_inputs(), inputs)}
    (ours, ) = session.run(None, feed)
    torch.testing.assert_close(torch.from_numpy(ours), cem(inputs)[0], atol=1e-4,
                               rtol=1e-4)


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
     r'got C4 \(21, 21\) and C5 \(11, 11\): the input height and width must be '
     'multiples of 32'),
])
def test_bad_inputs_name_what_is_needed(inputs, message):
    with pytest.raises(ValueError, match=message):
        CEM(in_channels=(8, 12))(inputs)


def test_in_channels_are_two_or_three():
    with pytest.raises(ValueError, match=r'in_channels=\(8, 12, 16, 20\): the CEM '
                       r'takes two maps \(C4, C5\) or three'):
        CEM(in_channels=(8, 12, 16, 20))
