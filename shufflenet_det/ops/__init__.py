from .nms import nms_first_k
from .ps_roi_align import PSRoIAlign
from .separable_roi_align import SeparableRoIAlign

__all__ = ['PSRoIAlign', 'SeparableRoIAlign', 'nms_first_k']
