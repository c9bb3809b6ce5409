"""A RoI extractor for position-sensitive score maps (ThunderNet, R-FCN)."""
from typing import Optional, Sequence

from mmdet.models.roi_heads.roi_extractors import BaseRoIExtractor
from mmdet.registry import MODELS
from torch import Tensor, nn

from ....ops import PSRoIAlign


@MODELS.register_module()
class PSRoIExtractor(BaseRoIExtractor):
    """:class:`~shufflenet_det.ops.PSRoIAlign` on one feature map.

    Args:
        roi_layer (dict): ``dict(type='PSRoIAlign', output_size=7,
            sampling_ratio=2)``; the spatial scale comes from the stride.
        out_channels (int): Channels per bin (5 in ThunderNet); the map must
            have ``output_size ** 2 * out_channels``.
        featmap_strides (Sequence[int]): One stride (16 in ThunderNet).
        init_cfg (dict, optional): mmengine initialisation (nothing to learn).
    """

    def __init__(self, roi_layer: dict, out_channels: int,
                 featmap_strides: Sequence[int], init_cfg=None):
        if len(featmap_strides) != 1:
            raise ValueError(f'featmap_strides={featmap_strides!r}: the PSRoIAlign '
                             'extractor reads one feature map, give one stride')
        self._out_channels = out_channels  # read by build_roi_layers
        super().__init__(roi_layer, out_channels, list(featmap_strides), init_cfg)

    def build_roi_layers(self, layer_cfg: dict,
                         featmap_strides: Sequence[int]) -> nn.ModuleList:
        cfg = dict(layer_cfg)
        layer_type = cfg.pop('type')
        if layer_type not in ('PSRoIAlign', PSRoIAlign):
            raise ValueError(f"roi_layer type={layer_type!r}: PSRoIExtractor takes "
                             "type='PSRoIAlign'")
        return nn.ModuleList([
            PSRoIAlign(spatial_scale=1 / stride, out_channels=self._out_channels,
                       **cfg) for stride in featmap_strides
        ])

    def forward(self, feats: Sequence[Tensor], rois: Tensor,
                roi_scale_factor: Optional[float] = None) -> Tensor:
        if len(feats) != 1:
            raise ValueError(f'PSRoIExtractor got {len(feats)} feature maps, it '
                             'reads one')
        if roi_scale_factor is not None:
            rois = self.roi_rescale(rois, roi_scale_factor)
        return self.roi_layers[0](feats[0], rois)
