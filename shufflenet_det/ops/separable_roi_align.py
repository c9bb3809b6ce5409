"""mmcv's RoIAlign, computed on CPU as two small matrix products per RoI."""
import torch
from mmcv.ops import RoIAlign
from torch import Tensor


class SeparableRoIAlign(RoIAlign):
    """:class:`mmcv.ops.RoIAlign` ('avg' mode) for CPU inference.

    Bilinear weights are a product of a row and a column weight, so a RoI's
    output is ``Wy @ F @ Wx.T`` over its window of the feature map ``F``
    (``Wy``, ``Wx``: each output row's / column's averaged interpolation
    weights): two BLAS products on NHWC rows, channels_last output, the same
    values as mmcv's kernel up to float rounding. Other devices, 'max' mode
    and inputs that need gradients use mmcv's kernel.

    ``optimize_for_inference`` swaps it in for every ``RoIAlign``.
    """

    def forward(self, input: Tensor, rois: Tensor) -> Tensor:
        if (input.device.type != 'cpu' or self.pool_mode != 'avg'
                or input.requires_grad):
            return super().forward(input.contiguous(), rois)
        pooled_h, pooled_w = self.output_size
        height, width = input.shape[2:]
        scaled = rois[:, 1:] * self.spatial_scale - (0.5 if self.aligned else 0)
        row_weights, rows = self._axis_weights(scaled[:, 1], scaled[:, 3],
                                               pooled_h, height)
        col_weights, cols = self._axis_weights(scaled[:, 0], scaled[:, 2],
                                               pooled_w, width)
        features = input.permute(0, 2, 3, 1).contiguous()  # no copy if NHWC
        output = input.new_empty(len(rois), pooled_h, pooled_w, input.size(1))
        windows = torch.cat((rois[:, :1].long(), rows, cols), dim=1).tolist()
        for i, (image, top, bottom, left, right) in enumerate(windows):
            if bottom <= top or right <= left:
                output[i] = 0  # no sample inside the feature map
                continue
            window = features[image, top:bottom, left:right]  # (h, w, C)
            # (w -> pooled_w) for every row, then (h -> pooled_h)
            across = torch.matmul(col_weights[i, :, left:right], window)
            torch.matmul(row_weights[i, :, top:bottom],
                         across.flatten(1),
                         out=output[i].view(pooled_h, -1))
        return output.permute(0, 3, 1, 2)

    def _axis_weights(self, start: Tensor, end: Tensor, pooled: int,
                      size: int):
        """Averaged bilinear weights along one axis, ``(K, pooled, size)``,
        and each RoI's ``[first, last + 1)`` feature index with a weight.

        Sample positions, clamping and the grid size follow mmcv's kernel
        (roi_align_cpu.cpp) step by step, in float32 as it does.
        """
        length = end - start
        if not self.aligned:
            length = length.clamp(min=1)
        bin_size = (length / pooled)[:, None, None]
        if self.sampling_ratio > 0:
            grid = torch.full_like(bin_size, self.sampling_ratio)
        else:
            grid = bin_size.ceil()
        steps = max(int(grid.max()) if len(grid) else 0, 1)
        count = grid.clamp(min=1)  # an empty RoI has no samples
        bins = torch.arange(pooled, dtype=start.dtype)[None, :, None]
        samples = torch.arange(steps, dtype=start.dtype)[None, None, :]
        position = (start[:, None, None] + bins * bin_size +
                    (samples + 0.5) * bin_size / count)
        valid = (samples < grid) & (position >= -1) & (position <= size)
        position = position.clamp(min=0)
        low = position.floor().clamp(max=size - 1)
        high = (low + 1).clamp(max=size - 1)  # past the edge: both weights
        upper_weight = position - low         # go to the last row/column
        share = valid / count
        weights = start.new_zeros(len(start), pooled, size)
        weights.scatter_add_(2, low.long(), (1 - upper_weight) * share)
        weights.scatter_add_(2, high.long(), upper_weight * share)
        first = torch.where(valid, low, size).amin(dim=(1, 2))
        last = torch.where(valid, high, -1).amax(dim=(1, 2))
        return weights, torch.stack((first, last + 1), dim=1).long()
