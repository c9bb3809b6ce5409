"""Position-sensitive RoIAlign that runs in PyTorch and exports to ONNX."""
import torch
import torchvision
from torch import Tensor, nn

from .separable_roi_align import roi_axis_weights


class PSRoIAlign(nn.Module):
    """Position-sensitive RoIAlign (R-FCN; ThunderNet's 7x7 bins x 5).

    Bin (i, j) of output channel c averages input channel
    ``(c * k + i) * k + j`` (``k = output_size``) over that bin, sampled
    bilinearly like ``RoIAlign(aligned=True)``. PyTorch runs torchvision's
    ``ps_roi_align`` (CPU and CUDA, with a backward). ONNX has no such
    operator, so under ``torch.onnx.export`` the same result is computed
    as two products with RoIAlign's separable bilinear weights
    (:meth:`forward_onnx`): standard operators, MatMul the heaviest, and
    faster in both engines than a ``RoiAlign`` of all k * k * C channels
    followed by a ``Gather`` (measured in docs/thundernet.md).

    Args:
        output_size (int): k, bins per side.
        spatial_scale (float): Feature stride reciprocal, e.g. 1 / 16.
        sampling_ratio (int): Samples per bin side, at least 1 (torchvision's
            adaptive mode, 0, divides by zero on an empty RoI).
        out_channels (int): Output channels; the input must have
            ``k * k * out_channels``.
    """

    def __init__(self, output_size: int, spatial_scale: float, sampling_ratio: int,
                 out_channels: int):
        super().__init__()
        if not isinstance(output_size, int) or output_size < 1:
            raise ValueError(f'output_size={output_size!r}: PSRoIAlign takes one '
                             'positive int (square bins)')
        if not isinstance(sampling_ratio, int) or sampling_ratio < 1:
            raise ValueError(f'sampling_ratio={sampling_ratio!r}: PSRoIAlign takes a '
                             'positive int (torchvision\'s adaptive 0 gives NaN for '
                             'an empty RoI)')
        self.output_size = output_size
        self.spatial_scale = spatial_scale
        self.sampling_ratio = sampling_ratio
        self.out_channels = out_channels

    def check_channels(self, features: Tensor):
        bins = self.output_size ** 2
        if features.shape[1] != bins * self.out_channels:
            raise ValueError(
                f'PSRoIAlign input has {features.shape[1]} channels; it needs bins '
                f'x output channels = {bins} x {self.out_channels} = '
                f'{bins * self.out_channels}')

    def forward(self, features: Tensor, rois: Tensor) -> Tensor:
        """``features`` [N, k*k*C, H, W], ``rois`` [R, 5] (batch index, x1,
        y1, x2, y2 in input pixels) -> [R, C, k, k]."""
        self.check_channels(features)
        if torch.onnx.is_in_onnx_export():
            return self.forward_onnx(features, rois)
        return torchvision.ops.ps_roi_align(features, rois, self.output_size,
                                            self.spatial_scale, self.sampling_ratio)

    def forward_onnx(self, features: Tensor, rois: Tensor) -> Tensor:
        """The same output from matrix products: bilinear RoIAlign weights
        are a row weight times a column weight (:func:`roi_axis_weights`),
        so bin (i, j) is ``Wy[i] @ F[(c, i, j)] @ Wx[j]``: one batched
        MatMul over the rows, one with block-diagonal column weights."""
        k, channels = self.output_size, self.out_channels
        n, _, height, width = features.shape
        scaled = rois[:, 1:] * self.spatial_scale - 0.5  # aligned, half pixel
        row_weights = roi_axis_weights(scaled[:, 1], scaled[:, 3], k, height,
                                       self.sampling_ratio, aligned=True)
        col_weights = roi_axis_weights(scaled[:, 0], scaled[:, 2], k, width,
                                       self.sampling_ratio, aligned=True)
        # [N, k (i), H, C * k (j) * W]: each bin row's channel groups
        grouped = features.reshape(n, channels, k, k, height, width)
        grouped = grouped.permute(0, 2, 4, 1, 3, 5).reshape(n, k, height, -1)
        # each RoI's rows weighted on its own image only: [N, k, R, H]
        own_image = rois[:, 0, None] == torch.arange(n).to(rois)
        row_weights = row_weights[None] * own_image.t()[:, :, None, None]
        rows = torch.matmul(row_weights.transpose(1, 2), grouped)
        if n > 1:
            rows = rows.sum(0)
        count = rois.shape[0]  # traced: the graph takes any RoI count
        rows = rows.reshape(k, count, channels, k * width)  # [k (i), R, C, k (j) W]
        # bin column j's weights in block j of [R, k * W, k], so that the
        # column sums are a MatMul too
        block_of = torch.eye(k).to(features).repeat_interleave(width, 0)  # [k*W, k]
        blocks = col_weights.reshape(count, k * width, 1) * block_of
        pooled = torch.matmul(rows, blocks)
        return pooled.permute(1, 2, 0, 3)  # [k (i), R, C, k (j)] -> [R, C, k, k]

    def extra_repr(self) -> str:
        return (f'output_size={self.output_size}, spatial_scale={self.spatial_scale}, '
                f'sampling_ratio={self.sampling_ratio}, '
                f'out_channels={self.out_channels}')
