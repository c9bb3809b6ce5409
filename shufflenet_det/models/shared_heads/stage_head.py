"""The last backbone stages run per RoI: the box head of a C4 detector."""
from typing import Optional

import torch
from mmdet.registry import MODELS
from torch import Tensor, nn

from ..stages import StagedModule
from ..utils import check_choice


@MODELS.register_module()
class StageHead(StagedModule):
    """Stages ``first_stage`` onwards of a backbone, as an mmdet shared head.

    The ShuffleNet paper's Faster R-CNN (and the TF Object Detection API's
    MobileNet one it is compared with) shares the backbone up to stride 16
    between RPN and RoI head and runs the remaining stages on every 14x14 RoI
    crop: ShuffleNet v1 Stage4, ShuffleNet v2 Stage4 + Conv5, MobileNet v1
    Conv2d_12-13. This is that head, as mmdet's ``ResLayer`` is for ResNet-C4.

    Parameter names are the backbone's (``layers.{stage}.*``), so the head
    loads from the same ImageNet checkpoint as the backbone, with the same
    ``init_cfg`` (checkpoint and prefix): the identity key mapping takes its
    stages and leaves the rest to the backbone.

    Args:
        backbone (dict): Config of the full backbone (type, width, groups,
            norm_cfg...); its own stage selection and init_cfg are ignored.
        first_stage (int): First stage run per RoI; the detector's backbone
            is built with ``num_stages=first_stage``.
        frozen_stages (int): As the backbone's: stages with an index below it
            get no gradients. Pass the backbone's value.
        norm_eval (bool): Keep BN in eval mode while training (default, as
            in ``ResLayer``: RoI batches are too correlated for BN statistics).
        with_cp (bool): Gradient checkpointing per unit.
        test_batch (int, optional): Outside training, run the RoIs through
            in batches of this many (same outputs): smaller activations stay
            in cache and reused memory (docs/speed.md).
        init_cfg (dict | list[dict], optional): mmengine initialisation.
    """

    def __init__(self,
                 backbone: dict,
                 first_stage: int,
                 frozen_stages: int = -1,
                 norm_eval: bool = True,
                 with_cp: bool = False,
                 test_batch: Optional[int] = 64,
                 init_cfg=None):
        full = MODELS.build(dict(backbone, out_indices=(), frozen_stages=-1,
                                 init_cfg=None))
        super().__init__(frozen_stages=frozen_stages, max_stages=full.num_stages,
                         norm_eval=norm_eval, with_cp=with_cp, init_cfg=init_cfg)
        check_choice('first_stage', first_stage, tuple(range(1, full.num_stages)))
        self.first_stage = first_stage
        if test_batch is not None and test_batch < 1:
            raise ValueError(f'test_batch must be a positive int or None, got '
                             f'{test_batch!r}')
        self.test_batch = test_batch
        self.out_channels = full.stage_channels[-1]
        self.architecture = full.architecture
        # Placeholders keep the stage indices, hence the checkpoint's keys.
        self.layers = nn.ModuleList([nn.Identity()] * first_stage +
                                    list(full.layers[first_stage:]))
        self._freeze_stages()

    def forward(self, x: Tensor) -> Tensor:
        if self.training or not self.test_batch or len(x) <= self.test_batch:
            return self._forward_stages(x)
        return torch.cat([self._forward_stages(part)
                          for part in x.split(self.test_batch)])

    def _forward_stages(self, x: Tensor) -> Tensor:
        for index in range(self.first_stage, len(self.layers)):
            x = self.forward_stage(index, x)
        return x
