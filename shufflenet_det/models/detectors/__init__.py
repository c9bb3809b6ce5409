from .sam import SAM
from .thundernet import ThunderNet
from .two_stage import rpn_forward

__all__ = ['SAM', 'ThunderNet', 'rpn_forward']
