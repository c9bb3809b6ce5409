from .separable_roi_align import SeparableRoIAlign

__all__ = ['SeparableRoIAlign']
