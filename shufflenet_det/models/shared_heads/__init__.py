from .stage_head import StageHead

__all__ = ['StageHead']
