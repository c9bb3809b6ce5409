from .backbones import MobileNetV1, ShuffleNetV1, ShuffleNetV2
from .layers import channel_shuffle
from .roi_heads import SeparableRoIAlign, StageHead

__all__ = [
    'MobileNetV1', 'SeparableRoIAlign', 'ShuffleNetV1', 'ShuffleNetV2',
    'StageHead', 'channel_shuffle'
]
