"""nms_first_k: torchvision's NMS cut to k boxes in PyTorch, and an ONNX
NonMaxSuppression that stops at k with the same indices."""
import warnings

import numpy as np
import pytest
import torch
import torchvision

from shufflenet_det.ops import nms_first_k


def random_boxes(count, seed=0):
    generator = torch.Generator().manual_seed(seed)
    corners = torch.rand(count, 2, generator=generator) * 200
    sizes = torch.rand(count, 2, generator=generator) * 60 + 4
    scores = torch.rand(count, generator=generator)
    return torch.cat((corners, corners + sizes), 1), scores


class FirstK(torch.nn.Module):

    def __init__(self, max_output):
        super().__init__()
        self.max_output = max_output

    def forward(self, boxes, scores):
        return nms_first_k(boxes, scores, 0.5, self.max_output)


@pytest.mark.parametrize('max_output', [1, 20, None])
def test_pytorch_form_is_nms_cut_to_k(max_output):
    boxes, scores = random_boxes(300)
    expected = torchvision.ops.nms(boxes, scores, 0.5)
    assert len(expected) > 20
    assert nms_first_k(boxes, scores, 0.5, max_output).tolist() == \
        expected[:max_output].tolist()


def test_onnx_graph_stops_at_k_with_the_same_indices(tmp_path):
    ort = pytest.importorskip('onnxruntime')
    onnx = pytest.importorskip('onnx')
    from onnx import numpy_helper
    boxes, scores = random_boxes(300)
    path = str(tmp_path / 'nms.onnx')
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        torch.onnx.export(FirstK(20), (boxes, scores), path, dynamo=False,
                          opset_version=17, input_names=['boxes', 'scores'],
                          dynamic_axes={'boxes': {0: 'n'}, 'scores': {0: 'n'}})
    graph = onnx.load(path).graph
    (nms, ) = [node for node in graph.node if node.op_type == 'NonMaxSuppression']
    constants = {node.output[0]: numpy_helper.to_array(node.attribute[0].t)
                 for node in graph.node if node.op_type == 'Constant'}
    assert constants[nms.input[2]].tolist() == [20]  # max_output_boxes_per_class
    session = ort.InferenceSession(path, providers=['CPUExecutionProvider'])
    for count, seed in ((300, 0), (120, 1)):
        boxes, scores = random_boxes(count, seed)
        feeds = {'boxes': boxes.numpy(), 'scores': scores.numpy()}
        (actual, ) = session.run(None, feeds)
        expected = torchvision.ops.nms(boxes, scores, 0.5)[:20].numpy()
        np.testing.assert_array_equal(actual, expected)


@pytest.mark.parametrize('max_output', [0, 2.5])
def test_bad_count_names_the_value(max_output):
    boxes, scores = random_boxes(4)
    with pytest.raises(ValueError, match=f'max_output={max_output}: give a positive'):
        nms_first_k(boxes, scores, 0.5, max_output)
