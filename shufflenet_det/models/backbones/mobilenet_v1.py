"""MobileNet v1 (Howard et al. 2017, arXiv:1704.04861), the baseline of
ShuffleNet v1's Table 5/7/8."""
from typing import Sequence

from mmcv.cnn import ConvModule, DepthwiseSeparableConvModule
from mmdet.models.utils import make_divisible
from mmdet.registry import MODELS
from torch import Tensor, nn

from .base import StagedBackbone


@MODELS.register_module()
class MobileNetV1(StagedBackbone):
    """MobileNet v1 backbone (paper Table 1): a 3x3 conv and 13
    depthwise-separable blocks, grouped into stages by output stride.

    ===== ================== ====== ======== ==========
    index blocks (TF names)  stride channels at 1.0
    ===== ================== ====== ======== ==========
    0     Conv2d_1           2      64
    1     Conv2d_2-3         4      128
    2     Conv2d_4-5         8      256
    3     Conv2d_6-11        16     512      (TF OD API's Faster R-CNN feature)
    4     Conv2d_12-13       32     1024     (its per-RoI box head)
    ===== ================== ====== ======== ==========

    Args:
        widen_factor (float): Width multiplier alpha in (0, 1]; channels are
            rounded with ``make_divisible(c * alpha, 8)``.
        num_stages (int): Stages to build (1-5). A C4 detector uses 4.
        out_indices (Sequence[int]): Stage outputs to return.
        frozen_stages (int): See :class:`StagedBackbone`.
        conv_cfg, norm_cfg, act_cfg (dict): mmcv layer configs (the paper
            uses BN + ReLU after every conv).
        norm_eval (bool): Keep BN in eval mode during training.
        with_cp (bool): Gradient checkpointing per block.
        init_cfg (dict | list[dict], optional): mmengine initialisation.
    """

    stem_channels = 32
    # Per stage: (output channels, number of blocks); the first block of each
    # stage but the first has stride 2.
    arch_settings = ((64, 1), (128, 2), (256, 2), (512, 6), (1024, 2))

    def __init__(self,
                 widen_factor: float = 1.0,
                 num_stages: int = 5,
                 out_indices: Sequence[int] = (1, 2, 3, 4),
                 frozen_stages: int = -1,
                 conv_cfg=None,
                 norm_cfg=dict(type='BN', requires_grad=True),
                 act_cfg=dict(type='ReLU'),
                 norm_eval: bool = False,
                 with_cp: bool = False,
                 init_cfg=None):
        if not 0 < widen_factor <= 1:
            raise ValueError(f'widen_factor={widen_factor!r} is not supported; '
                             'allowed: 0 < widen_factor <= 1')
        super().__init__(max_stages=len(self.arch_settings), num_stages=num_stages,
                         out_indices=out_indices, frozen_stages=frozen_stages,
                         norm_eval=norm_eval, with_cp=with_cp, init_cfg=init_cfg)
        self.widen_factor = widen_factor
        self.architecture = dict(type='MobileNetV1', widen_factor=widen_factor,
                                 act_cfg=act_cfg)
        common = dict(conv_cfg=conv_cfg, norm_cfg=norm_cfg, act_cfg=act_cfg)
        in_channels = make_divisible(self.stem_channels * widen_factor, 8)
        self.conv1 = ConvModule(3, in_channels, 3, stride=2, padding=1, **common)

        self.stage_channels = []
        self.layers = nn.ModuleList()
        for index, (channels, num_blocks) in enumerate(self.arch_settings[:num_stages]):
            out_channels = make_divisible(channels * widen_factor, 8)
            blocks = []
            for block in range(num_blocks):
                stride = 2 if index > 0 and block == 0 else 1
                blocks.append(DepthwiseSeparableConvModule(
                    in_channels, out_channels, 3, stride=stride, padding=1,
                    **common))
                in_channels = out_channels
            self.layers.append(nn.Sequential(*blocks))
            self.stage_channels.append(out_channels)
        self._freeze_stages()

    def stem(self, x: Tensor) -> Tensor:
        return self.conv1(x)
