from .sam import SAM
from .thundernet import ThunderNet

__all__ = ['SAM', 'ThunderNet']
