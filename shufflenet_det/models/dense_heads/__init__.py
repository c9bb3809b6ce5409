from .light_rpn_head import LightRPNHead

__all__ = ['LightRPNHead']
