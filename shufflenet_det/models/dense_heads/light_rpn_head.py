"""ThunderNet's light RPN head (Qin et al., ICCV 2019, Sec. 3.2)."""
from typing import Tuple

from mmcv.cnn import ConvModule
from mmdet.models.dense_heads import RPNHead
from mmdet.registry import MODELS
from torch import Tensor, nn


@MODELS.register_module()
class LightRPNHead(RPNHead):
    """RPN with a 5x5 depthwise conv and a 1x1 conv to ``feat_channels``
    in place of the 256-channel 3x3 conv.

    ThunderNet runs it on the CEM's 245-channel stride-16 map with 25
    anchors (5 scales x 5 ratios). Each conv is followed by BN and ReLU as
    in the official code (the paper does not say). :meth:`rpn_feature` is
    the map the spatial attention (:class:`SAM`) reads.

    Args:
        in_channels (int): Input channels.
        feat_channels (int): Channels of the 1x1 conv, 256 in ThunderNet.
        kernel_size (int): Depthwise kernel size.
        norm_cfg (dict): Norm after each conv.
        **kwargs: :class:`mmdet.models.dense_heads.RPNHead`'s arguments
            (anchor generator, coder, losses, train / test cfg).
    """

    def __init__(self, in_channels: int, feat_channels: int = 256,
                 kernel_size: int = 5, norm_cfg=dict(type='BN'), **kwargs):
        self.kernel_size = kernel_size
        self.norm_cfg = norm_cfg
        super().__init__(in_channels, feat_channels=feat_channels, **kwargs)

    def _init_layers(self):
        self.rpn_conv = nn.Sequential(
            ConvModule(self.in_channels, self.in_channels, self.kernel_size,
                       padding=self.kernel_size // 2, groups=self.in_channels,
                       norm_cfg=self.norm_cfg, inplace=False),
            ConvModule(self.in_channels, self.feat_channels, 1,
                       norm_cfg=self.norm_cfg, inplace=False))
        self.rpn_cls = nn.Conv2d(self.feat_channels,
                                 self.num_base_priors * self.cls_out_channels, 1)
        self.rpn_reg = nn.Conv2d(self.feat_channels,
                                 self.num_base_priors * self.bbox_coder.encode_size, 1)

    def rpn_feature(self, x: Tensor) -> Tensor:
        """The ``feat_channels`` map the scores and deltas come from."""
        return self.rpn_conv(x)

    def scores_and_deltas(self, feature: Tensor) -> Tuple[Tensor, Tensor]:
        return self.rpn_cls(feature), self.rpn_reg(feature)

    def forward_single(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        return self.scores_and_deltas(self.rpn_feature(x))
