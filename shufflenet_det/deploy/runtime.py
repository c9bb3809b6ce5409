"""Exported detectors in the training environment: :class:`OnnxDetector`
(the torch-free :class:`shufflenet_det.runtime.Detector` in ONNX Runtime)
evaluated with mmdet's CocoMetric."""
from typing import Optional

import torch
from mmdet.evaluation import CocoMetric

from ..runtime import Detector


class OnnxDetector(Detector):
    """An exported detector in ONNX Runtime: an image in, its boxes out
    (see :class:`shufflenet_det.runtime.Detector`).

    Args:
        onnx_file (str): Written by ``tools/export_onnx.py`` or
            ``tools/quantize_onnx.py``.
        threads (int, optional): ONNX Runtime intra-op threads (default: its
            own choice, one per core).
    """

    def __init__(self, onnx_file: str, threads: Optional[int] = None):
        super().__init__(onnx_file, 'onnxruntime', threads)
        self.session = self.engine.session


def evaluate_coco(detector: Detector, dataset, ann_file: str) -> dict:
    """COCO bbox metrics (``coco/bbox_mAP``...) of ``detector`` on every
    image of ``dataset`` (an mmdet CocoDataset), as mmdet's test loop would
    compute them for the PyTorch model."""
    metric = CocoMetric(ann_file=ann_file, metric='bbox')
    metric.dataset_meta = dataset.metainfo
    for index in range(len(dataset)):
        info = dataset.get_data_info(index)
        result = detector(info['img_path'])
        metric.process({}, [dict(
            img_id=info['img_id'], ori_shape=(info['height'], info['width']),
            pred_instances={key: torch.from_numpy(value)
                            for key, value in result.items()})])
    return metric.evaluate(len(dataset))
