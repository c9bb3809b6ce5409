"""NMS that stops after the boxes it keeps, in PyTorch and in ONNX."""
import sys
from typing import Optional

import torch
import torchvision
from torch import Tensor


class _NMSFirstK(torch.autograd.Function):
    """torchvision's ``nms`` in PyTorch; ONNX's ``NonMaxSuppression`` with
    ``max_output_boxes_per_class`` under ``torch.onnx.export``."""

    @staticmethod
    def forward(ctx, boxes: Tensor, scores: Tensor, iou_threshold: float,
                max_output: Optional[int]) -> Tensor:
        keep = torchvision.ops.nms(boxes, scores, iou_threshold)
        return keep if max_output is None else keep[:max_output]

    @staticmethod
    def symbolic(g, boxes, scores, iou_threshold, max_output):
        boxes = g.op('Unsqueeze', boxes, g.op('Constant', value_t=torch.tensor([0])))
        scores = g.op('Unsqueeze', scores,
                      g.op('Constant', value_t=torch.tensor([0, 1])))
        selected = g.op(
            'NonMaxSuppression', boxes, scores,
            g.op('Constant', value_t=torch.tensor([max_output or sys.maxsize])),
            g.op('Constant', value_t=torch.tensor([iou_threshold], dtype=torch.float)))
        # selected [K, 3] = (batch, class, box), in the order kept
        index = g.op('Gather', selected, g.op('Constant', value_t=torch.tensor([2])),
                     axis_i=1)
        return g.op('Squeeze', index, g.op('Constant', value_t=torch.tensor([1])))


def nms_first_k(boxes: Tensor, scores: Tensor, iou_threshold: float,
                max_output: Optional[int]) -> Tensor:
    """The first ``max_output`` indices that greedy NMS keeps, by decreasing
    score: ``nms(boxes, scores, iou_threshold)[:max_output]``. Exported, the
    graph's ``NonMaxSuppression`` stops once it has kept ``max_output`` boxes
    instead of running through every candidate (torchvision's export of
    ``nms`` keeps them all), the same result at a fraction of the IoU tests.
    ``max_output=None`` keeps all.
    """
    if max_output is not None and (not isinstance(max_output, int) or max_output < 1):
        raise ValueError(f'max_output={max_output!r}: give a positive int or None')
    return _NMSFirstK.apply(boxes, scores, float(iou_threshold), max_output)
