from .mobilenet_v1 import MobileNetV1
from .shufflenet_v1 import ShuffleNetV1
from .shufflenet_v2 import ShuffleNetV2
from .snet import SNet

__all__ = ['MobileNetV1', 'SNet', 'ShuffleNetV1', 'ShuffleNetV2']
