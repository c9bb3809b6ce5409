"""Position-sensitive RoIAlign that runs in PyTorch and exports to ONNX."""
import torch
import torchvision
from torch import Tensor, nn


class PSRoIAlign(nn.Module):
    """Position-sensitive RoIAlign (R-FCN; ThunderNet's 7x7 bins x 5).

    Bin (i, j) of output channel c averages input channel
    ``(c * k + i) * k + j`` (``k = output_size``) over that bin, sampled
    bilinearly like ``RoIAlign(aligned=True)``. PyTorch runs torchvision's
    ``ps_roi_align`` (CPU and CUDA, with a backward). ONNX has no such
    operator, so under ``torch.onnx.export`` the same result is computed as
    ONNX's standard ``RoiAlign`` (``half_pixel``) on every channel followed
    by a ``Gather`` of each bin's own channel group (:meth:`forward_onnx`);
    k * k times the sampling work, on a thin map.

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
        bins = output_size * output_size
        # bin b of channel c sits at [c, b, b] of the all-channels RoiAlign
        self.register_buffer('bin_index', torch.arange(bins) * (bins + 1),
                             persistent=False)

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
        """The same output from RoIAlign and Gather only."""
        k = self.output_size
        pooled = torchvision.ops.roi_align(features, rois, k, self.spatial_scale,
                                           self.sampling_ratio, aligned=True)
        pooled = pooled.reshape(-1, self.out_channels, k ** 4)
        return pooled[:, :, self.bin_index].reshape(-1, self.out_channels, k, k)

    def extra_repr(self) -> str:
        return (f'output_size={self.output_size}, spatial_scale={self.spatial_scale}, '
                f'sampling_ratio={self.sampling_ratio}, '
                f'out_channels={self.out_channels}')
