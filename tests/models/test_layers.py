import pytest
import torch

from shufflenet_det.models import channel_shuffle
from shufflenet_det.models.layers import interleave_channels, split_even_odd


@pytest.mark.parametrize('groups,channels', [(1, 6), (2, 8), (3, 12), (4, 8), (8, 64)])
def test_channel_shuffle_matches_paper_definition(groups, channels):
    x = torch.randn(2, channels, 5, 7)
    n = channels // groups
    # Paper Sec. 3.1: channels indexed (group, k) are reshaped to (g, n),
    # transposed to (n, g) and flattened, so output position k * g + group
    # holds input channel group * n + k.
    source = [group * n + k for k in range(n) for group in range(groups)]
    torch.testing.assert_close(channel_shuffle(x, groups), x[:, source],
                               rtol=0, atol=0)


def test_channel_shuffle_is_a_permutation_not_identity():
    x = torch.arange(12.).view(1, 12, 1, 1)
    out = channel_shuffle(x, 3).flatten().tolist()
    assert out[:4] == [0., 4., 8., 1.]
    assert sorted(out) == x.flatten().tolist()


def test_channel_shuffle_channels_last_input():
    x = torch.randn(2, 12, 4, 6).to(memory_format=torch.channels_last)
    expected = channel_shuffle(x.contiguous(), 3)
    torch.testing.assert_close(channel_shuffle(x, 3), expected, rtol=0, atol=0)


def test_channel_shuffle_rejects_indivisible_channels():
    with pytest.raises(ValueError, match='channels=10 .*groups=3'):
        channel_shuffle(torch.randn(1, 10, 2, 2), 3)


def _reference_shuffle(x, groups):
    """The textbook view / transpose / reshape (returns NCHW)."""
    batch, channels, height, width = x.shape
    return x.view(batch, groups, channels // groups, height, width).transpose(
        1, 2).reshape(batch, channels, height, width)


@pytest.mark.parametrize('memory_format', [torch.contiguous_format,
                                           torch.channels_last])
def test_channel_shuffle_keeps_memory_format_and_gradient(memory_format):
    x = torch.randn(2, 12, 4, 6).contiguous(memory_format=memory_format)
    x.requires_grad_(True)
    out = channel_shuffle(x, 3)
    assert out.is_contiguous(memory_format=memory_format)
    torch.testing.assert_close(out, _reference_shuffle(x, 3), rtol=0, atol=0)
    weight = torch.randn_like(out)
    (grad, ) = torch.autograd.grad((out * weight).sum(), x)
    (expected, ) = torch.autograd.grad((_reference_shuffle(x, 3) * weight).sum(), x)
    torch.testing.assert_close(grad, expected, rtol=0, atol=0)


@pytest.mark.parametrize('memory_format', [torch.contiguous_format,
                                           torch.channels_last])
def test_interleave_channels_is_concat_then_shuffle(memory_format):
    # halves of one tensor, as a ShuffleNet v2 unit passes them
    a, b = torch.randn(2, 10, 3, 4).contiguous(memory_format=memory_format).chunk(2, 1)
    out = interleave_channels((a, b))
    assert out.is_contiguous(memory_format=memory_format)
    torch.testing.assert_close(out, _reference_shuffle(torch.cat((a, b), 1), 2),
                               rtol=0, atol=0)
    assert out[0, :4, 0, 0].tolist() == [a[0, 0, 0, 0], b[0, 0, 0, 0],
                                         a[0, 1, 0, 0], b[0, 1, 0, 0]]


def test_interleave_channels_rejects_unequal_parts():
    with pytest.raises(ValueError, match=r'\(1, 4, 2, 2\) and \(1, 6, 2, 2\)'):
        interleave_channels((torch.randn(1, 4, 2, 2), torch.randn(1, 6, 2, 2)))


class EvenOdd(torch.nn.Module):

    def forward(self, x):
        return split_even_odd(x)


def test_split_even_odd_exports_without_strided_slices(tmp_path):
    """The same halves in PyTorch and in ONNX Runtime, for another batch
    size too; the graph has no strided Slice (OpenVINO's reference kernel),
    as the strided views themselves would give."""
    ort = pytest.importorskip('onnxruntime')
    onnx = pytest.importorskip('onnx')
    x = torch.randn(2, 12, 5, 7)
    even, odd = split_even_odd(x)
    assert torch.equal(even, x[:, 0::2]) and torch.equal(odd, x[:, 1::2])
    path = str(tmp_path / 'split.onnx')
    torch.onnx.export(EvenOdd(), (x, ), path, dynamo=False, opset_version=17,
                      input_names=['x'], dynamic_axes={'x': {0: 'batch'}})
    nodes = onnx.load(path).graph.node
    # a strided Slice has a fifth input, its steps
    assert all(len(node.input) < 5 for node in nodes if node.op_type == 'Slice')
    session = ort.InferenceSession(path, providers=['CPUExecutionProvider'])
    for batch in (x, torch.randn(3, 12, 5, 7)):
        actual = session.run(None, {'x': batch.numpy()})
        assert all(torch.equal(torch.from_numpy(a), b)
                   for a, b in zip(actual, (batch[:, 0::2], batch[:, 1::2])))
