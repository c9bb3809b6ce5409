from .backbones import MobileNetV1, ShuffleNetV1, ShuffleNetV2
from .layers import channel_shuffle

__all__ = ['MobileNetV1', 'ShuffleNetV1', 'ShuffleNetV2', 'channel_shuffle']
