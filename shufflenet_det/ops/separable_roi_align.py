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
        row_weights, rows = roi_axis_weights(scaled[:, 1], scaled[:, 3], pooled_h,
                                             height, self.sampling_ratio, self.aligned,
                                             with_window=True)
        col_weights, cols = roi_axis_weights(scaled[:, 0], scaled[:, 2], pooled_w,
                                             width, self.sampling_ratio, self.aligned,
                                             with_window=True)
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


def roi_axis_weights(start: Tensor, end: Tensor, pooled: int, size: int,
                     sampling_ratio: int, aligned: bool, with_window: bool = False):
    """RoIAlign's averaged bilinear weights along one axis, ``(K, pooled,
    size)``, for RoIs from ``start`` to ``end`` (``[K]``, feature
    coordinates, the aligned half-pixel shift already applied): the weight of
    each feature row (column) in each output row (column). Sample positions,
    clamping and the grid size follow mmcv's and torchvision's kernels
    (roi_align_cpu.cpp) step by step, in float32 as they do; weights are
    dense tent functions, so the same code traces to ONNX. With
    ``with_window``, also each RoI's ``[first, last + 1)`` index with a
    weight.
    """
    length = end - start
    if not aligned:
        length = length.clamp(min=1)
    bin_size = (length / pooled)[:, None, None]
    if sampling_ratio > 0:
        grid, steps = torch.full_like(bin_size, sampling_ratio), sampling_ratio
    else:
        grid = bin_size.ceil()
        steps = max(int(grid.max()) if len(grid) else 0, 1)
    count = grid.clamp(min=1)  # an empty RoI has no samples
    bins = torch.arange(pooled, dtype=start.dtype)[None, :, None]
    samples = torch.arange(steps, dtype=start.dtype)[None, None, :]
    position = (start[:, None, None] + bins * bin_size +
                (samples + 0.5) * bin_size / count)
    valid = (samples < grid) & (position >= -1) & (position <= size)
    # past the last row/column a sample reads the last one, with weight 1
    position = position.clamp(min=0, max=size - 1)
    share = valid / count
    offsets = position[..., None] - torch.arange(size, dtype=start.dtype)
    tents = (1 - offsets.abs()).clamp(min=0) * share[..., None]
    # a sum of slices: ONNX engines' ReduceSum over a middle axis is slow
    weights = sum(tents[:, :, step] for step in range(steps))
    if not with_window:
        return weights
    low = position.floor()
    high = (low + 1).clamp(max=size - 1)
    first = torch.where(valid, low, size).amin(dim=(1, 2))
    last = torch.where(valid, high, -1).amax(dim=(1, 2))
    return weights, torch.stack((first, last + 1), dim=1).long()
