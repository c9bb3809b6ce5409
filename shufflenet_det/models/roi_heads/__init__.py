from .separable_roi_align import SeparableRoIAlign
from .stage_head import StageHead

__all__ = ['SeparableRoIAlign', 'StageHead']
