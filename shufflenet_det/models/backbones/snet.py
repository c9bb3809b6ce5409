"""SNet, ThunderNet's backbones (Qin et al., ICCV 2019, arXiv:1903.11752)."""
from typing import Optional, Sequence

from mmdet.registry import MODELS

from ..utils import check_choice
from .shufflenet_v2 import ShuffleNetV2Stages


@MODELS.register_module()
class SNet(ShuffleNetV2Stages):
    """SNet49 / SNet146 / SNet535: ShuffleNet v2 with 5x5 depthwise convs.

    ThunderNet Table 1: ShuffleNet v2 units whose 3x3 depthwise convs are
    5x5, Stage2/3/4 of 4/8/4 units at strides 8/16/32. SNet49 keeps a Conv5
    of 512 channels; SNet146 and SNet535 drop Conv5 and widen the stages.
    The detector reads C4 (Stage3, stride 16) and C5 (stride 32: Stage4, or
    Conv5 for SNet49), the default ``out_indices``.

    Widths: SNet146 is the official code's (``thundernet/ShuffleNetV2.py``,
    the only released SNet); SNet49 and SNet535 (with a 48-channel stem) are
    the paper's table as re-implemented in DayBreak-u/Thundernet_Pytorch.
    Their complexity, counted like the papers' (conv + FC at 224), is what
    ``tools/analyze_complexity.py`` prints (docs/complexity.md); SNet146's
    name is below what its widths count (docs/thundernet.md says why).

    Args:
        arch (int): 49, 146 or 535.
        variant (str): Unit layout, see :class:`ShuffleNetV2Unit`. 'megvii'
            (the default) is the official code's, which its SNet146 ImageNet
            checkpoint needs; 'torchvision' is the paper's Fig. 3 layout.
        num_stages (int): Stages to build (Conv5 counts as the 4th; SNet49
            only).
        out_indices (Sequence[int], optional): Outputs to return; None gives
            C4 and C5.
        frozen_stages, conv_cfg, norm_cfg, act_cfg, norm_eval, with_cp,
        init_cfg: As in :class:`ShuffleNetV2`.
    """

    # Stage2, Stage3, Stage4 (, Conv5) output channels and stem channels.
    arch_settings = {
        49: ((60, 120, 240, 512), 24),
        146: ((132, 264, 528), 24),
        535: ((248, 496, 992), 48),
    }

    def __init__(self,
                 arch: int = 146,
                 variant: str = 'megvii',
                 num_stages: Optional[int] = None,
                 out_indices: Optional[Sequence[int]] = None,
                 frozen_stages: int = -1,
                 conv_cfg=None,
                 norm_cfg=dict(type='BN', requires_grad=True),
                 act_cfg=dict(type='ReLU'),
                 norm_eval: bool = False,
                 with_cp: bool = False,
                 init_cfg=None):
        check_choice('arch', arch, tuple(self.arch_settings))
        stage_channels, stem_channels = self.arch_settings[arch]
        num_stages = len(stage_channels) if num_stages is None else num_stages
        if out_indices is None:
            out_indices = (1, len(stage_channels) - 1)
        super().__init__(stage_channels=stage_channels, stem_channels=stem_channels,
                         kernel_size=5, variant=variant, num_stages=num_stages,
                         out_indices=out_indices, frozen_stages=frozen_stages,
                         conv_cfg=conv_cfg, norm_cfg=norm_cfg, act_cfg=act_cfg,
                         norm_eval=norm_eval, with_cp=with_cp, init_cfg=init_cfg)
        self.arch = arch
        self.architecture = dict(type='SNet', arch=arch, variant=variant,
                                 act_cfg=act_cfg)
