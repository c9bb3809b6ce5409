"""mmdet's RPN head with a norm layer after its 3x3 conv."""
from typing import Tuple

from mmcv.cnn import build_norm_layer
from mmdet.models.dense_heads import RPNHead
from mmdet.models.utils import multi_apply
from mmdet.registry import MODELS
from torch import Tensor, nn


@MODELS.register_module()
class NormRPNHead(RPNHead):
    """:class:`mmdet.models.dense_heads.RPNHead` (one 3x3 conv shared by the
    pyramid levels, ReLU, 1x1 scores and deltas) with a norm layer between
    the conv and the ReLU, one per level.

    Normalisation in the neck and the heads is what lets a detector train
    from scratch (He et al., "Rethinking ImageNet Pre-training", ICCV 2019).
    The conv stays shared; the norms are not, since the levels' statistics
    differ: a BatchNorm shared by the levels would normalise each level with
    its own batch statistics in training and with the levels' mixed running
    statistics at test. BatchNorm folds into the conv at export, so it costs
    nothing at inference.

    Args:
        in_channels (int): Input channels.
        norm_cfg (dict): Norm after the conv, e.g. ``dict(type='BN')`` or
            ``dict(type='GN', num_groups=16)``.
        **kwargs: :class:`mmdet.models.dense_heads.RPNHead`'s arguments
            (anchor generator, coder, losses, train / test cfg);
            ``num_convs`` must be 1.
    """

    def __init__(self, in_channels: int, norm_cfg: dict = dict(type='BN'),
                 **kwargs):
        if kwargs.get('num_convs', 1) != 1:
            raise ValueError(f'num_convs={kwargs["num_convs"]}: NormRPNHead '
                             'has one conv (allowed: 1)')
        self.norm_cfg = norm_cfg
        super().__init__(in_channels, **kwargs)

    def _init_layers(self):
        super()._init_layers()
        self.rpn_norms = nn.ModuleList(
            build_norm_layer(self.norm_cfg, self.feat_channels)[1]
            for _ in range(self.prior_generator.num_levels))

    def forward(self, x: Tuple[Tensor]) -> Tuple[list, list]:
        if len(x) != len(self.rpn_norms):
            raise ValueError(f'{len(x)} feature levels: this head has anchors '
                             f'and norms for {len(self.rpn_norms)}')
        return multi_apply(self.forward_single, x, self.rpn_norms)

    def forward_single(self, x: Tensor, norm: nn.Module) -> Tuple[Tensor, Tensor]:
        x = norm(self.rpn_conv(x)).relu()
        return self.rpn_cls(x), self.rpn_reg(x)
