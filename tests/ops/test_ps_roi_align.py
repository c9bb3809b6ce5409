"""PSRoIAlign: torchvision's ps_roi_align in PyTorch, separable bilinear
weights and a MatMul in ONNX, the same output; and a clear error for a map of
the wrong width."""
import warnings

import numpy as np
import pytest
import torch

from shufflenet_det.ops import PSRoIAlign
from helpers import random_rois


def reference(features, rois, k, scale, sampling_ratio):
    """Bin (i, j) of channel c: the mean of bilinear samples of channel
    (c * k + i) * k + j over that bin, RoIAlign(aligned=True) style, written
    out one RoI and bin at a time."""
    count, channels = len(rois), features.shape[1] // (k * k)
    out = torch.zeros(count, channels, k, k)
    height, width = features.shape[-2:]
    for r, (index, *box) in enumerate(rois.tolist()):
        x1, y1, x2, y2 = (v * scale - 0.5 for v in box)
        bin_h, bin_w = (y2 - y1) / k, (x2 - x1) / k
        grid_h = grid_w = sampling_ratio
        for i in range(k):
            for j in range(k):
                ys = y1 + i * bin_h + (torch.arange(grid_h) + 0.5) * bin_h / grid_h
                xs = x1 + j * bin_w + (torch.arange(grid_w) + 0.5) * bin_w / grid_w
                maps = features[int(index), [(c * k + i) * k + j
                                             for c in range(channels)]]
                total = torch.zeros(channels)
                for y in ys.tolist():
                    for x in xs.tolist():
                        total += bilinear(maps, y, x, height, width)
                out[r, :, i, j] = total / (grid_h * grid_w)
    return out


def bilinear(maps, y, x, height, width):
    if y < -1 or y > height or x < -1 or x > width:
        return torch.zeros(len(maps))
    y, x = min(max(y, 0), height - 1), min(max(x, 0), width - 1)
    y0, x0 = int(y), int(x)
    y1, x1 = min(y0 + 1, height - 1), min(x0 + 1, width - 1)
    dy, dx = y - y0, x - x0
    return ((1 - dy) * (1 - dx) * maps[:, y0, x0] + (1 - dy) * dx * maps[:, y0, x1]
            + dy * (1 - dx) * maps[:, y1, x0] + dy * dx * maps[:, y1, x1])


@pytest.mark.parametrize('k,channels,sampling_ratio', [(7, 5, 2), (3, 4, 1)])
def test_pytorch_and_onnx_forms_compute_position_sensitive_roi_align(
        k, channels, sampling_ratio):
    features = torch.randn(2, k * k * channels, 13, 17)
    rois = random_rois(12, 2, (13, 17), stride=16)
    layer = PSRoIAlign(k, 1 / 16, sampling_ratio, channels)
    expected = reference(features, rois, k, 1 / 16, sampling_ratio)
    assert expected.abs().sum() > 0
    torch.testing.assert_close(layer(features, rois), expected, rtol=1e-4, atol=1e-5)
    torch.testing.assert_close(layer.forward_onnx(features, rois), expected,
                               rtol=1e-4, atol=1e-5)


def test_onnx_export_runs_in_onnxruntime_with_the_same_output(tmp_path):
    ort = pytest.importorskip('onnxruntime')
    pytest.importorskip('onnx')
    import onnx
    features = torch.randn(1, 245, 20, 20)
    rois = random_rois(30, 1, (20, 20), stride=16)
    layer = PSRoIAlign(7, 1 / 16, 2, 5).eval()
    path = str(tmp_path / 'psroialign.onnx')
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        torch.onnx.export(layer, (features, rois), path, dynamo=False,
                          opset_version=17, input_names=['features', 'rois'],
                          dynamic_axes={'rois': {0: 'num_rois'}})
    nodes = onnx.load(path).graph.node
    operators = {node.op_type for node in nodes}
    assert 'MatMul' in operators and 'RoiAlign' not in operators
    assert all(not node.domain for node in nodes)
    session = ort.InferenceSession(path, providers=['CPUExecutionProvider'])
    for count in (30, 7):  # the RoI count is not baked in
        (actual, ) = session.run(None, {'features': features.numpy(),
                                        'rois': rois[:count].numpy()})
        expected = layer(features, rois[:count]).numpy()
        assert actual.shape == expected.shape == (count, 5, 7, 7)
        assert np.abs(actual - expected).max() <= 1e-4


def test_gradient_reaches_each_bins_channel_group():
    features = torch.randn(1, 2 * 9, 8, 8, requires_grad=True)
    rois = torch.tensor([[0., 16., 16., 100., 90.]])
    out = PSRoIAlign(3, 1 / 16, 2, 2)(features, rois)
    out[0, 1, 2, 0].backward()  # channel 1, bin (2, 0): input (1 * 3 + 2) * 3 + 0
    touched = features.grad.abs().sum((0, 2, 3)).nonzero().flatten().tolist()
    assert touched == [15]


@pytest.mark.parametrize('channels', [240, 490])
def test_wrong_channel_count_names_bins_and_channels(channels):
    layer = PSRoIAlign(7, 1 / 16, 2, 5)
    with pytest.raises(ValueError, match=f'input has {channels} channels; it needs '
                       r'bins x output channels = 49 x 5 = 245'):
        layer(torch.randn(1, channels, 8, 8), torch.zeros(1, 5))


@pytest.mark.parametrize('args,message', [
    (((7, 5), 1 / 16, 2, 5), r'output_size=\(7, 5\): PSRoIAlign takes one'),
    ((7, 1 / 16, 0, 5), r'sampling_ratio=0: PSRoIAlign takes a positive int'),
])
def test_bad_arguments_name_the_value(args, message):
    with pytest.raises(ValueError, match=message):
        PSRoIAlign(*args)
