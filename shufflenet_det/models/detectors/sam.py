"""ThunderNet's Spatial Attention Module (Qin et al., ICCV 2019, Sec. 3.4)."""
from mmcv.cnn import build_norm_layer
from mmdet.registry import MODELS
from mmengine.model import BaseModule
from torch import Tensor, nn


@MODELS.register_module()
class SAM(BaseModule):
    """``F_SAM = F_CEM * sigmoid(BN(conv1x1(F_RPN)))``.

    Re-weights the CEM map by where the RPN sees objects, before the
    PSRoIAlign; trained by the R-CNN loss, which (as in the paper) also
    trains the RPN feature unless ``detach_rpn_feature``. The conv has no
    bias (BN follows), as in the official code.

    Args:
        in_channels (int): Channels of the RPN feature (256).
        out_channels (int): Channels of the CEM map (245).
        norm_cfg (dict): The norm before the sigmoid.
        detach_rpn_feature (bool): Keep the R-CNN loss out of the RPN
            feature: the RPN then learns from its own loss alone (not in the
            paper; the small-object configs, whose RPN learns slower with
            it).
        init_cfg (dict, optional): mmengine initialisation.
    """

    def __init__(self, in_channels: int = 256, out_channels: int = 245,
                 norm_cfg=dict(type='BN'), detach_rpn_feature: bool = False,
                 init_cfg=dict(type='Normal', layer='Conv2d', std=0.01)):
        super().__init__(init_cfg=init_cfg)
        self.conv = nn.Conv2d(in_channels, out_channels, 1, bias=False)
        self.norm = build_norm_layer(norm_cfg, out_channels)[1]
        self.detach_rpn_feature = detach_rpn_feature

    def forward(self, feature: Tensor, rpn_feature: Tensor) -> Tensor:
        if self.detach_rpn_feature:
            rpn_feature = rpn_feature.detach()
        return feature * self.norm(self.conv(rpn_feature)).sigmoid()
