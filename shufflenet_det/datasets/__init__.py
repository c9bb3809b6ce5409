from .checked_coco import CheckedCocoDataset
from .synthetic_shapes import SHAPE_CLASSES, generate_shapes_dataset

__all__ = ['CheckedCocoDataset', 'SHAPE_CLASSES', 'generate_shapes_dataset']
