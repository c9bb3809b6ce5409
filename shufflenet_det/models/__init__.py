from .backbones import MobileNetV1, ShuffleNetV1, ShuffleNetV2, SNet
from .data_preprocessor import input_normalization
from .dense_heads import LightRPNHead, NormRPNHead
from .detectors import SAM, ThunderNet, rpn_forward
from .layers import channel_shuffle
from .necks import CEM
from .roi_heads import PSRoIExtractor
from .shared_heads import StageHead

__all__ = [
    'CEM', 'LightRPNHead', 'MobileNetV1', 'NormRPNHead', 'PSRoIExtractor', 'SAM',
    'SNet', 'ShuffleNetV1', 'ShuffleNetV2', 'StageHead', 'ThunderNet',
    'channel_shuffle', 'input_normalization', 'rpn_forward'
]
