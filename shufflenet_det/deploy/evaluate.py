"""Exported detectors (:class:`shufflenet_det.runtime.Detector`, in any
engine) evaluated with mmdet's CocoMetric, in the training environment."""
import torch
from mmdet.evaluation import CocoMetric

from ..runtime import Detector


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
