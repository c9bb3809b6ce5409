"""ThunderNet (Qin et al., ICCV 2019, arXiv:1903.11752)."""
import copy
from typing import List, Tuple

import torch
from mmdet.models.detectors import TwoStageDetector
from mmdet.models.utils import multi_apply, unpack_gt_instances
from mmdet.registry import MODELS
from mmdet.structures import SampleList
from torch import Tensor

from ..dense_heads import LightRPNHead


@MODELS.register_module()
class ThunderNet(TwoStageDetector):
    """Two-stage detector whose RoI head reads the spatially attended map.

    backbone (SNet: C4, C5; or C3, C4, C5) -> neck (:class:`CEM`: one
    245-channel stride-16 map, or stride 8 for small objects) ->
    :class:`LightRPNHead` -> :class:`SAM` re-weights the CEM map by the
    RPN's feature -> RoI head (:class:`PSRoIExtractor`, a one-FC R-CNN).
    Training and inference are mmdet's ``TwoStageDetector`` steps, except
    that the RoI head gets the SAM output instead of the neck's.

    Args:
        sam (dict): The :class:`SAM` config.
        backbone, neck, rpn_head, roi_head, train_cfg, test_cfg,
        data_preprocessor, init_cfg: As in ``TwoStageDetector``; ``rpn_head``
            must be a :class:`LightRPNHead` (its feature feeds the SAM).
    """

    def __init__(self, backbone: dict, neck: dict, rpn_head: dict, roi_head: dict,
                 sam: dict, train_cfg=None, test_cfg=None, data_preprocessor=None,
                 init_cfg=None):
        super().__init__(backbone=backbone, neck=neck, rpn_head=rpn_head,
                         roi_head=roi_head, train_cfg=train_cfg, test_cfg=test_cfg,
                         data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if not isinstance(self.rpn_head, LightRPNHead):
            raise ValueError(f'rpn_head type={type(self.rpn_head).__name__}: '
                             'ThunderNet needs a LightRPNHead (its feature feeds '
                             'the SAM)')
        self.sam = MODELS.build(sam)

    def extract_feat(self, batch_inputs: Tensor) -> Tuple[Tensor]:
        """The neck's map, checked to have the stride the anchors assume."""
        x = super().extract_feat(batch_inputs)
        (anchor_stride, _), = self.rpn_head.prior_generator.strides
        stride = batch_inputs.shape[-1] / x[0].shape[-1]
        if stride != anchor_stride:
            raise ValueError(
                f'the neck\'s map has stride {stride:g}, the RPN anchors assume '
                f'{anchor_stride}: the backbone must give C4 (stride 16) and C5 '
                '(stride 32), or C3 (stride 8), C4 and C5 for stride-8 anchors; '
                'set its out_indices to those stages')
        return x

    def rpn_forward(self, x: Tuple[Tensor]) -> Tuple[tuple, Tuple[Tensor]]:
        """RPN scores and deltas of the neck's map, and the SAM-attended map
        the RoI head reads (the contract of
        :func:`~shufflenet_det.models.rpn_forward`)."""
        rpn_features = [self.rpn_head.rpn_feature(level) for level in x]
        outs = multi_apply(self.rpn_head.scores_and_deltas, rpn_features)
        attended = tuple(self.sam(level, feature)
                         for level, feature in zip(x, rpn_features))
        return outs, attended

    def loss(self, batch_inputs: Tensor, batch_data_samples: SampleList) -> dict:
        (cls_scores, bbox_preds), roi_features = self.rpn_forward(
            self.extract_feat(batch_inputs))
        rpn_data_samples = copy.deepcopy(batch_data_samples)
        for data_sample in rpn_data_samples:  # the RPN has one class
            data_sample.gt_instances.labels = torch.zeros_like(
                data_sample.gt_instances.labels)
        gt_instances, gt_instances_ignore, img_metas = unpack_gt_instances(
            rpn_data_samples)
        losses = self.rpn_head.loss_by_feat(cls_scores, bbox_preds, gt_instances,
                                            img_metas, gt_instances_ignore)
        proposal_cfg = self.train_cfg.get('rpn_proposal', self.test_cfg.rpn)
        proposals = self.rpn_head.predict_by_feat(
            cls_scores, bbox_preds, batch_img_metas=img_metas, cfg=proposal_cfg)
        losses.update(self.roi_head.loss(roi_features, proposals, batch_data_samples))
        return losses

    def propose(self, x: Tuple[Tensor], batch_data_samples: SampleList
                ) -> Tuple[List, Tuple[Tensor]]:
        """Test-time proposals from the neck's map ``x`` (``rpn_head.predict``
        of a ``TwoStageDetector``), and the map the RoI head reads."""
        outs, roi_features = self.rpn_forward(x)
        img_metas = [data_sample.metainfo for data_sample in batch_data_samples]
        proposals = self.rpn_head.predict_by_feat(*outs, batch_img_metas=img_metas,
                                                  rescale=False)
        return proposals, roi_features

    def predict(self, batch_inputs: Tensor, batch_data_samples: SampleList,
                rescale: bool = True) -> SampleList:
        proposals, roi_features = self.propose(self.extract_feat(batch_inputs),
                                               batch_data_samples)
        results = self.roi_head.predict(roi_features, proposals, batch_data_samples,
                                        rescale=rescale)
        return self.add_pred_to_datasample(batch_data_samples, results)

    def _forward(self, batch_inputs: Tensor, batch_data_samples: SampleList) -> tuple:
        proposals, roi_features = self.propose(self.extract_feat(batch_inputs),
                                               batch_data_samples)
        return (self.roi_head.forward(roi_features, proposals, batch_data_samples), )
