"""StageHead: the per-RoI stages of a C4 detector."""
import pytest
import torch

from shufflenet_det.models import StageHead
from helpers import check_training_step

BACKBONE = dict(type='ShuffleNetV1', groups=3, widen_factor=0.5)
# (full backbone, first stage, its input channels, stages of the full backbone)
HEADS = [
    (BACKBONE, 2, 240, 3),
    (dict(type='ShuffleNetV2', widen_factor=0.5), 2, 96, 4),
    (dict(type='MobileNetV1', widen_factor=0.25), 4, 128, 5),
]


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


@pytest.mark.parametrize('norm_eval', [True, False])
@pytest.mark.parametrize('backbone,first_stage,channels,num_stages', HEADS)
def test_frozen_stages_train_exactly_the_other_parameters(backbone, first_stage,
                                                          channels, num_stages,
                                                          norm_eval):
    for frozen_stages in range(-1, num_stages + 1):
        head = StageHead(backbone=backbone, first_stage=first_stage,
                         frozen_stages=frozen_stages, norm_eval=norm_eval).train()
        check_training_step(head, torch.randn(3, channels, 14, 14), frozen_stages,
                            norm_eval=norm_eval)
