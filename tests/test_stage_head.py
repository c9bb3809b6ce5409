"""StageHead: the per-RoI stages of a C4 detector."""
import pytest
import torch

from shufflenet_det.models import StageHead

BACKBONE = dict(type='ShuffleNetV1', groups=3, widen_factor=0.5)


def build_head(**kwargs):
    return StageHead(backbone=BACKBONE, first_stage=2, **kwargs)


def count_passes(head):
    """How many times the first per-RoI unit runs."""
    calls = []
    head.layers[2][0].register_forward_hook(lambda *_: calls.append(1))
    return calls


def test_test_batch_splits_rois_at_inference_only():
    head = build_head(test_batch=4)
    calls = count_passes(head)
    rois = torch.randn(10, 240, 14, 14)
    with torch.no_grad():
        head.eval()
        batched = head(rois)
        assert len(calls) == 3  # 4 + 4 + 2 RoIs
        head.test_batch = None
        whole = head(rois)
        assert len(calls) == 4
    assert batched.shape == (10, 480, 7, 7)
    torch.testing.assert_close(batched, whole, rtol=1e-5, atol=1e-5)
    head.train()
    head(rois)
    assert len(calls) == 5  # training: one pass


@pytest.mark.parametrize('test_batch', [0, -3])
def test_invalid_test_batch(test_batch):
    with pytest.raises(ValueError, match=f'test_batch must be .* got {test_batch}'):
        build_head(test_batch=test_batch)
