from .checked_coco import COCO2017_SPLITS, CheckedCocoDataset, check_coco
from .synthetic_shapes import SHAPE_CLASSES, SMALL_OBJECTS, generate_shapes_dataset

__all__ = [
    'COCO2017_SPLITS', 'CheckedCocoDataset', 'SHAPE_CLASSES', 'SMALL_OBJECTS',
    'check_coco', 'generate_shapes_dataset'
]
