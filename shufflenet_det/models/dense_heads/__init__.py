from .light_rpn_head import LightRPNHead
from .norm_rpn_head import NormRPNHead

__all__ = ['LightRPNHead', 'NormRPNHead']
