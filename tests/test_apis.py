"""MMDetection's inference APIs on our config and a checkpoint: init_detector
+ inference_detector and DetInferencer load the weights and the classes and
give the same boxes."""
import numpy as np
import pytest
import torch
from mmdet.apis import DetInferencer, inference_detector, init_detector
from mmdet.registry import MODELS
from mmdet.utils import register_all_modules
from mmengine.config import Config

from shufflenet_det.datasets import SHAPE_CLASSES
from shufflenet_det.tools.demo import DEMO_CONFIG


@pytest.fixture(scope='module')
def checkpoint(tmp_path_factory):
    """Weights of the demo detector, saved as mmengine's Runner saves them:
    a state dict and the dataset's classes in ``meta``."""
    register_all_modules()
    torch.manual_seed(1)
    model = MODELS.build(Config.fromfile(DEMO_CONFIG).model)
    model.init_weights()
    path = tmp_path_factory.mktemp('apis') / 'demo.pth'
    torch.save({'state_dict': model.state_dict(),
                'meta': {'dataset_meta': {'classes': SHAPE_CLASSES}}}, path)
    return str(path), model.state_dict()


def test_init_detector_inference_detector_and_det_inferencer(checkpoint):
    path, state_dict = checkpoint
    image = np.random.default_rng(0).integers(0, 255, (96, 128, 3), np.uint8)
    model = init_detector(DEMO_CONFIG, path, device='cpu')
    assert model.dataset_meta['classes'] == SHAPE_CLASSES
    for name, value in model.state_dict().items():
        torch.testing.assert_close(value, state_dict[name], rtol=0, atol=0)
    result = inference_detector(model, image).pred_instances
    assert len(result) > 0  # untrained: scores near 1 / 5 classes, over 0.05

    inferencer = DetInferencer(DEMO_CONFIG, path, device='cpu', show_progress=False)
    out = inferencer(image, return_datasamples=True, no_save_pred=True)
    again = out['predictions'][0].pred_instances
    torch.testing.assert_close(again.bboxes, result.bboxes)
    torch.testing.assert_close(again.scores, result.scores)
    assert inferencer.model.dataset_meta['classes'] == SHAPE_CLASSES
