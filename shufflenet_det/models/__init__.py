from .backbones import MobileNetV1, ShuffleNetV1, ShuffleNetV2
from .layers import channel_shuffle
from .shared_heads import StageHead

__all__ = [
    'MobileNetV1', 'ShuffleNetV1', 'ShuffleNetV2', 'StageHead', 'channel_shuffle'
]
