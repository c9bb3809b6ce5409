"""Export a trained mmdet Faster R-CNN (C4 or FPN) or ThunderNet to one ONNX
file.

The exported graph takes one image as ``LoadImageFromFile`` reads it (BGR,
0-255), resized by the config's test pipeline and zero-padded at the bottom
and right to a fixed size, and returns mmdeploy's end-to-end outputs:
``dets`` ``[1, N, 5]`` (x1, y1, x2, y2, score in input pixels) and ``labels``
``[1, N]`` (int64). Normalisation and channel order are inside the graph;
RoIAlign and NMS are ONNX's own ``RoiAlign`` (opset 16 ``half_pixel``, mmcv's
``aligned=True``) and ``NonMaxSuppression`` (ThunderNet's PSRoIAlign: two
``MatMul`` of separable bilinear weights), so ONNX Runtime, OpenVINO and TensorRT run it
without plugins.
"""
import copy
import io
import itertools
import warnings
from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np
import torch
import torchvision
from mmcv.ops import RoIAlign
from mmdet.models.dense_heads import RPNHead
from mmdet.models.detectors import TwoStageDetector
from mmdet.models.roi_heads import StandardRoIHead
from mmdet.models.roi_heads.bbox_heads import BBoxHead
from mmdet.models.roi_heads.roi_extractors import SingleRoIExtractor
from mmdet.models.task_modules.coders import DeltaXYWHBBoxCoder
from mmdet.utils import get_test_pipeline_cfg
from torch import Tensor, nn

from ..atomic import atomic_path, check_output_path
from ..checkpoints import check_trained_fit, read_trained_checkpoint
from ..config_options import merge_options, read_config
from ..models import (LightRPNHead, NormRPNHead, PSRoIExtractor, input_normalization,
                      rpn_forward)
from ..ops import nms_first_k
from ..runtime.model_file import (CLASSES_KEY, INPUT_NAME, OUTPUT_NAMES, PIPELINE_KEY,
                                  PROBE_KEY)
from ..runtime.preprocess import Preprocess
from ..runtime.self_check import MATCH_IOU, Probe, agreement

OPSET = 17  # RoiAlign's half_pixel mode needs >= 16
PROBE_SIDE = 512  # the probe image's longest side, at most
PROBE_IMAGES = 4  # test images the exporter picks the probe from


class ExportableTwoStageDetector(nn.Module):
    """The test-time forward of a two-stage detector (mmdet's Faster R-CNN,
    C4 or FPN, or a ThunderNet) for one image of a fixed size, written with
    operators that both run in PyTorch and trace to standard ONNX: the same
    steps and settings (``test_cfg``) as mmdet's ``TwoStageDetector.predict``
    with ``rescale=False``.

    The detector's own steps are reached by contract, not by its type:
    :func:`~shufflenet_det.models.rpn_forward` gives the RPN's outputs and
    the maps the RoI head reads; the RoI extractor is called as mmdet calls
    it, mmdet's ``SingleRoIExtractor`` through :class:`LevelRoIAlign`.

    Differences from mmdet, all needed for one fixed-size graph: anchors are
    computed once for the input size; boxes are clipped to the padded input
    rather than to the resized image (the runner clips to the image); the
    padding is zero before normalisation, where mmdet pads after it; a C4
    ``StageHead`` runs all RoIs at once (a Python loop over RoI batches
    would trace to a fixed RoI count). These settings are made on a copy:
    ``model`` itself is left as it is.

    Args:
        model (TwoStageDetector): A detector with an RPN; the parts
            :func:`check_exportable` accepts (anything else raises a
            ValueError that names the part).
        input_shape (tuple[int, int]): (H, W) of the input, multiples of the
            data preprocessor's ``pad_size_divisor``.
    """

    def __init__(self, model: TwoStageDetector, input_shape: Tuple[int, int]):
        super().__init__()
        check_exportable(model, input_shape)
        model = copy.deepcopy(model).eval()
        self.model = model
        self.input_shape = tuple(input_shape)
        if model.roi_head.with_shared_head and getattr(
                model.roi_head.shared_head, 'test_batch', None):
            model.roi_head.shared_head.test_batch = None
        self.roi_extractor = exportable_roi_extractor(model.roi_head.bbox_roi_extractor)
        normalization = input_normalization(model.data_preprocessor)
        self.flip_channels = normalization['bgr_to_rgb']
        self.normalize = normalization['normalize']
        if self.normalize:
            for name in ('mean', 'std'):
                self.register_buffer(name, torch.tensor(
                    normalization[name], dtype=torch.float32).view(1, -1, 1, 1))
        height, width = input_shape
        # boxes are clipped to the input; NMS offsets classes / levels by this
        self.register_buffer('box_limits', torch.tensor([width, height] * 2,
                                                        dtype=torch.float32))
        self.nms_offset = float(max(height, width) + 1)
        with torch.no_grad():
            features = model.extract_feat(torch.zeros(1, 3, height, width))
        anchors = model.rpn_head.prior_generator.grid_priors(
            [feature.shape[-2:] for feature in features], device='cpu')
        self.num_levels = len(anchors)
        for level, priors in enumerate(anchors):  # constants of the graph
            self.register_buffer(f'anchors_{level}', priors)
        self.eval()  # and so after torch.onnx.export, which restores the mode

    def anchors(self):
        return [getattr(self, f'anchors_{level}') for level in range(self.num_levels)]

    def forward(self, image: Tensor) -> Tuple[Tensor, Tensor]:
        """``image`` ``[1, 3, H, W]`` BGR 0-255 -> ``dets``, ``labels``."""
        x = image
        if self.flip_channels:
            x = x.flip(1)
        if self.normalize:
            x = (x - self.mean) / self.std
        rpn_outs, features = rpn_forward(self.model, self.model.extract_feat(x))
        proposals, real = self.propose(*rpn_outs)
        boxes, scores, labels = self.detect(features, proposals, real)
        return torch.cat((boxes, scores[:, None]), 1)[None], labels[None]

    def propose(self, cls_scores: Sequence[Tensor],
                bbox_preds: Sequence[Tensor]) -> Tuple[Tensor, Tensor]:
        """RPN proposals: ``RPNHead.predict_by_feat`` for one image, padded
        to ``max_per_img`` rows with zero boxes, and which rows are real
        (``[max_per_img, 4]``, ``[max_per_img]``). So the RoI head has one
        static shape, which OpenVINO plans once; the padding's detections are
        dropped (:meth:`detect`)."""
        head = self.model.rpn_head
        cfg = head.test_cfg
        nms_pre = cfg.get('nms_pre', -1)
        scores, deltas, anchors, levels = [], [], [], []
        for level, (cls_score, bbox_pred, priors) in enumerate(
                zip(cls_scores, bbox_preds, self.anchors())):
            score = cls_score[0].permute(1, 2, 0).reshape(-1, head.cls_out_channels)
            if head.use_sigmoid_cls:
                score = score.sigmoid().reshape(-1)
            else:
                score = score.softmax(-1)[:, :-1].reshape(-1)
            delta = bbox_pred[0].permute(1, 2, 0).reshape(-1, 4)
            if 0 < nms_pre < len(priors):  # a constant: the input size is fixed
                score, index = score.topk(nms_pre)
                delta, priors = delta[index], priors[index]
            scores.append(score)
            deltas.append(delta)
            anchors.append(priors)
            levels.append(torch.full((len(priors), ), level, dtype=torch.long))
        boxes = self.decode(head.bbox_coder, torch.cat(anchors), torch.cat(deltas))
        scores, levels = torch.cat(scores), torch.cat(levels)
        if cfg.get('min_bbox_size', -1) >= 0:
            size = boxes[:, 2:] - boxes[:, :2]
            valid = (size > cfg.min_bbox_size).all(1).nonzero().squeeze(1)
            boxes, scores, levels = boxes[valid], scores[valid], levels[valid]
        keep = self.batched_nms(boxes, scores, levels, cfg.nms.iou_threshold,
                                cfg.max_per_img)
        count = cfg.max_per_img
        padded = torch.cat((boxes[keep], boxes.new_zeros(count, 4)))[:count]
        return padded, torch.arange(count) < keep.shape[0]

    def detect(self, features: Sequence[Tensor], proposals: Tensor,
               real: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
        """Boxes, scores and labels: ``StandardRoIHead.predict_bbox`` for
        one image, then ``multiclass_nms``; only the ``real`` proposals'."""
        roi_head = self.model.roi_head
        bbox_head = roi_head.bbox_head
        cfg = roi_head.test_cfg
        rois = torch.cat((torch.zeros_like(proposals[:, :1]), proposals), 1)
        pooled = self.roi_extractor(features, rois)
        if roi_head.with_shared_head:
            pooled = roi_head.shared_head(pooled)
        cls_score, bbox_pred = bbox_head(pooled)
        scores = cls_score.softmax(-1)[:, :-1]  # without the background
        scores = scores.masked_fill(~real[:, None], -1.0)  # under any score_thr
        num_classes = scores.shape[1]
        # mmdet decodes every (RoI, class) box, then drops those scoring at
        # most score_thr; decoding the others only gives the same boxes
        valid = (scores.reshape(-1) > cfg.score_thr).nonzero().squeeze(1)
        roi_index = valid.div(num_classes, rounding_mode='floor')
        labels = valid - roi_index * num_classes
        if bbox_head.reg_class_agnostic:
            deltas = bbox_pred[roi_index]
        else:
            deltas = bbox_pred.reshape(-1, 4)[valid]
        boxes = self.decode(bbox_head.bbox_coder, proposals[roi_index], deltas)
        scores = scores.reshape(-1)[valid]
        keep = self.batched_nms(boxes, scores, labels, cfg.nms.iou_threshold,
                                cfg.max_per_img if cfg.max_per_img > 0 else None)
        return boxes[keep], scores[keep], labels[keep]

    def decode(self, coder: DeltaXYWHBBoxCoder, priors: Tensor,
               deltas: Tensor) -> Tensor:
        """The coder's boxes, clipped to the input like mmdet's to the image."""
        boxes = coder.decode(priors, deltas, max_shape=None)
        return torch.min(boxes.clamp(min=0), self.box_limits)

    def batched_nms(self, boxes: Tensor, scores: Tensor, groups: Tensor,
                    iou_threshold: float, max_output: Optional[int]) -> Tensor:
        """The first ``max_output`` indices kept by NMS within each group, by
        decreasing score: mmcv's ``batched_nms`` (groups moved apart by an
        offset larger than any clipped coordinate, then one NMS)."""
        shifted = boxes + (groups.to(boxes) * self.nms_offset)[:, None]
        return nms_first_k(shifted, scores, iou_threshold, max_output)


class LevelRoIAlign(nn.Module):
    """mmdet's ``SingleRoIExtractor`` of mmcv ``RoIAlign`` layers in ONNX
    operators: each RoI pooled by ``torchvision.ops.roi_align`` from the
    level ``map_roi_levels`` gives it, in RoI order. (mmdet's own forward
    fills the levels' RoIs in place behind Python conditions, which would
    trace to the example input's levels.)"""

    def __init__(self, extractor: SingleRoIExtractor):
        super().__init__()
        self.extractor = extractor

    def forward(self, features: Sequence[Tensor], rois: Tensor) -> Tensor:
        layers = self.extractor.roi_layers
        if len(layers) == 1:
            return self.roi_align(layers[0], features[0], rois)
        levels = self.extractor.map_roi_levels(rois, len(layers))
        pooled, order = [], []
        for level, layer in enumerate(layers):
            index = (levels == level).nonzero().squeeze(1)
            pooled.append(self.roi_align(layer, features[level], rois[index]))
            order.append(index)
        return torch.cat(pooled)[torch.cat(order).argsort()]

    @staticmethod
    def roi_align(layer: RoIAlign, feature: Tensor, rois: Tensor) -> Tensor:
        return torchvision.ops.roi_align(feature, rois, layer.output_size,
                                         layer.spatial_scale, layer.sampling_ratio,
                                         layer.aligned)


def exportable_roi_extractor(extractor: nn.Module) -> nn.Module:
    """``extractor``'s RoI pooling in ONNX operators, called as mmdet calls
    an extractor (``(features, rois)``): :class:`LevelRoIAlign` for mmdet's
    ``SingleRoIExtractor``; a :class:`PSRoIExtractor` is written for export
    and pools itself."""
    if type(extractor) is SingleRoIExtractor:
        return LevelRoIAlign(extractor)
    return extractor


def check_exportable(model: nn.Module, input_shape: Tuple[int, int]):
    """Raise a ValueError naming what :class:`ExportableTwoStageDetector`
    cannot reproduce in ``model``, and what it can. Each part is checked on
    its own: the detector's type does not choose them (its RPN step is
    :func:`~shufflenet_det.models.rpn_forward`)."""

    def refuse(part, found, allowed):
        raise ValueError(f'cannot export {part}={found}: the ONNX export supports '
                         f'{allowed}')

    if not isinstance(model, TwoStageDetector) or not model.with_rpn:
        refuse('model', type(model).__name__, 'two-stage detectors with an RPN '
               '(Faster R-CNN, C4 or FPN; ThunderNet)')
    extractor = model.roi_head.bbox_roi_extractor
    # the parts whose steps the export re-writes: these types exactly
    for part, module, allowed in [
            ('rpn_head', model.rpn_head, (RPNHead, LightRPNHead, NormRPNHead)),
            ('roi_head', model.roi_head, (StandardRoIHead, )),
            ('roi_head.bbox_roi_extractor', extractor,
             (SingleRoIExtractor, PSRoIExtractor)),
            ('rpn_head.bbox_coder', model.rpn_head.bbox_coder, (DeltaXYWHBBoxCoder, )),
            ('roi_head.bbox_head.bbox_coder', model.roi_head.bbox_head.bbox_coder,
             (DeltaXYWHBBoxCoder, ))]:
        if type(module) not in allowed:
            refuse(part, type(module).__name__,
                   ' or '.join(cls.__name__ for cls in allowed))
    if not isinstance(model.roi_head.bbox_head, BBoxHead):  # its forward runs as is
        refuse('roi_head.bbox_head', type(model.roi_head.bbox_head).__name__,
               'BBoxHead')
    if model.roi_head.with_mask:
        refuse('roi_head.mask_head', type(model.roi_head.mask_head).__name__,
               'no mask head')
    for part, coder in (('rpn_head', model.rpn_head.bbox_coder),
                        ('roi_head.bbox_head', model.roi_head.bbox_head.bbox_coder)):
        if not coder.clip_border or coder.add_ctr_clamp:
            refuse(f'{part}.bbox_coder', 'clip_border=False or add_ctr_clamp=True',
                   'clip_border=True, add_ctr_clamp=False')
    if model.roi_head.bbox_head.custom_cls_channels:
        refuse('roi_head.bbox_head.loss_cls', 'custom class channels', 'softmax')
    if type(extractor) is SingleRoIExtractor:  # its layers become torchvision's
        for layer in extractor.roi_layers:
            if not isinstance(layer, RoIAlign) or layer.pool_mode != 'avg':
                refuse('roi_layer', f'{type(layer).__name__}'
                       f'(pool_mode={getattr(layer, "pool_mode", None)!r})',
                       "mmcv RoIAlign(pool_mode='avg')")
    for part, cfg in (('test_cfg.rpn.nms', model.rpn_head.test_cfg.nms),
                      ('test_cfg.rcnn.nms', model.roi_head.test_cfg.nms)):
        if cfg.get('type', 'nms') != 'nms' or cfg.get('class_agnostic', False):
            refuse(part, dict(cfg), "dict(type='nms', iou_threshold=...)")
    divisor = model.data_preprocessor.pad_size_divisor
    if any(size <= 0 or size % divisor for size in input_shape):
        refuse('shape', tuple(input_shape),
               f'positive multiples of the pad_size_divisor {divisor}')


def default_input_shape(cfg) -> Tuple[int, int]:
    """(H, W) that holds any landscape image after the config's test-time
    ``Resize``: the scale's (short, long) sides, rounded up to the
    ``pad_size_divisor``."""
    for step in get_test_pipeline_cfg(cfg):
        if step['type'] == 'Resize' and 'scale' in step:
            short, long = sorted(step['scale'])
            divisor = cfg.model.data_preprocessor.get('pad_size_divisor', 1)
            return tuple(-(-side // divisor) * divisor for side in (short, long))
    raise ValueError('the config\'s test pipeline has no Resize with a fixed '
                     'scale; pass the input shape (--shape H W)')


def export_module(module: nn.Module, example: Tensor, out: str,
                  output_names: Optional[Sequence[str]] = None,
                  dynamic_axes: Optional[dict] = None):
    """Write ``module`` run on ``example`` to ``out`` with the TorchScript-based
    exporter (``dynamo=False``, as mmdeploy), input named ``input``: the one
    export call behind detectors and the benchmarked backbones."""
    with torch.no_grad(), warnings.catch_warnings():
        # constant sizes (fixed input) are intended; the exporter's own
        # deprecation notice says nothing about the result
        warnings.simplefilter('ignore')
        torch.onnx.export(module, (example, ), out, dynamo=False, opset_version=OPSET,
                          input_names=[INPUT_NAME], output_names=output_names,
                          dynamic_axes=dynamic_axes)


def export_detector(model: TwoStageDetector, shape: Tuple[int, int], out,
                    probe_images: Sequence[np.ndarray] = ()):
    """Write :class:`ExportableTwoStageDetector` of ``model`` for inputs of
    ``shape`` (H, W) to ``out`` (a path, written atomically, or a binary
    file), with a probe for the runtime's self-check in its metadata
    (:func:`detector_probe` of ``probe_images``)."""
    import onnx
    exportable = ExportableTwoStageDetector(model, shape)
    buffer = io.BytesIO()
    export_module(exportable, torch.rand(1, 3, *shape) * 255, buffer,
                  list(OUTPUT_NAMES), {name: {1: 'num_dets'} for name in OUTPUT_NAMES})
    graph = onnx.load_from_string(buffer.getvalue())
    graph.metadata_props.add(
        key=PROBE_KEY, value=detector_probe(exportable, probe_images).encode())
    if isinstance(out, str):
        with atomic_path(out) as partial:
            onnx.save(graph, partial)
    else:
        out.write(graph.SerializeToString())
    return graph


def synthetic_image(shape: Tuple[int, int]) -> np.ndarray:
    """A deterministic image of smooth colour blobs, ``shape`` (H, W)."""
    coarse = np.random.default_rng(0).integers(0, 256, (6, 8, 3), np.uint8)
    return cv2.resize(coarse, shape[::-1], interpolation=cv2.INTER_CUBIC)


def detector_probe(exportable: ExportableTwoStageDetector,
                   images: Sequence[np.ndarray] = ()) -> Probe:
    """The probe a runtime checks an engine with: of ``images`` (HxWx3 uint8
    BGR as the graph takes them, top-left; default: :func:`synthetic_image`)
    the one with the most detections, shrunk to at most PROBE_SIDE a side
    (the file stays small), the fp32 detections on it, and their stability
    (:class:`~shufflenet_det.runtime.self_check.Probe`)."""
    height, width = exportable.input_shape

    def detect(image):
        batch = Probe(image, None, None).batch((height, width))
        with torch.no_grad():
            dets, labels = exportable(torch.from_numpy(batch))
        return dets[0].numpy(), labels[0].numpy()

    probes = []
    for image in list(images) or [synthetic_image((height, width))]:
        scale = PROBE_SIDE / max(image.shape[:2])
        if scale < 1:
            image = cv2.resize(image, None, fx=scale, fy=scale,
                               interpolation=cv2.INTER_AREA)
        probes.append(Probe(np.ascontiguousarray(image[:height, :width]),
                            *detect(image[:height, :width])))
    probe = max(probes, key=lambda probe: (probe.dets[:, 4] >= 0.3).sum())
    probe.stability = agreement((probe.dets, probe.labels),
                                detect(probe.noisy_image()), MATCH_IOU)
    return probe


def load_detector(cfg, checkpoint: Optional[str], allow_partial: bool = False):
    """The detector of ``cfg`` on the CPU, in eval mode, with the weights of
    ``checkpoint`` (None: random), loaded by the rule for trained
    checkpoints (:func:`shufflenet_det.checkpoints.check_trained_fit`), checked
    before mmdet loads it. Its class names are the checkpoint's, else the
    config's test dataset's (:func:`config_classes`), never mmdet's COCO
    fallback."""
    from mmdet.apis import init_detector
    meta = {}
    # mmdet warns "use COCO classes by default" (through its own 'once'
    # filter, so recorded here, not ignored); the classes are set below
    with warnings.catch_warnings(record=True):
        if checkpoint is not None:
            loaded = read_trained_checkpoint(checkpoint)
            meta = loaded.get('meta') or {} if isinstance(loaded, dict) else {}
            check_trained_fit(init_detector(cfg, None, device='cpu'), loaded,
                              checkpoint, allow_partial)
        model = init_detector(cfg, checkpoint, device='cpu')
    if 'dataset_meta' not in meta and 'CLASSES' not in meta:
        model.dataset_meta = dict(classes=config_classes(cfg))
    return model


def config_classes(cfg) -> tuple:
    """The class names of the config's test dataset (its ``metainfo``, else
    its type's), checked against the detector's ``num_classes``."""
    from mmdet.registry import DATASETS
    from mmdet.utils import register_all_modules
    register_all_modules()
    dataset = cfg.test_dataloader.dataset
    classes = (dataset.get('metainfo') or {}).get('classes')
    if classes is None:
        dataset_type = DATASETS.get(dataset.get('type'))
        classes = getattr(dataset_type, 'METAINFO', {}).get('classes', ())
    bbox_head = cfg.model.get('roi_head', {}).get('bbox_head', {})
    num_classes = bbox_head.get('num_classes') if isinstance(bbox_head, dict) else None
    if num_classes is not None and len(classes) != num_classes:
        raise ValueError(
            f'the config\'s test dataset names {len(classes)} classes, its '
            f'detector predicts {num_classes}; allowed: a checkpoint with its '
            'class names, or test_dataloader.dataset.metainfo=dict(classes=...) '
            'naming each class')
    return tuple(classes)


def probe_images(cfg, shape: Tuple[int, int]) -> List[np.ndarray]:
    """Up to PROBE_IMAGES images of the config's val dataset (else train) as
    the graph of input ``shape`` takes them (test pipeline, top-left, uint8);
    none where neither can be read."""
    from .quantize import split_image_paths
    preprocess = Preprocess(export_pipeline(cfg), shape)
    for split, count in itertools.product(('val', 'train'), (PROBE_IMAGES, 1)):
        try:
            paths = split_image_paths(cfg, split, count)
        except ValueError:  # no such dataset, or fewer images
            continue
        images = []
        for path in paths:
            try:
                batch, meta = preprocess(path)
            except ValueError:  # an image too large for the input
                continue
            height, width = meta['img_shape']
            images.append(batch[0, :, :height, :width].transpose(1, 2, 0))
        if images:
            return [image.astype(np.uint8) for image in images]
    return []


def export_pipeline(cfg) -> List[dict]:
    """The config's test pipeline as the file stores it: without loading
    annotations, as Python literals."""
    return [step.to_dict() for step in get_test_pipeline_cfg(cfg)
            if step['type'] not in ('LoadAnnotations', 'mmdet.LoadAnnotations')]


def export_onnx(config, checkpoint: Optional[str], out: str,
                shape: Optional[Tuple[int, int]] = None,
                cfg_options: Optional[dict] = None,
                allow_partial: bool = False) -> Tuple[int, int]:
    """Export the detector of ``config`` with the weights of ``checkpoint``
    to ``out`` (ONNX) for inputs of ``shape`` (H, W; default:
    :func:`default_input_shape`), with the TorchScript-based exporter (as
    mmdeploy). The test pipeline and class names go into the file's
    metadata for :class:`shufflenet_det.runtime.Detector`; ``out``
    appears only complete, with them. Returns the input shape.

    A ``checkpoint`` that is not one, or does not fit the model (unless
    ``allow_partial``), and an ``out`` that is a folder or the checkpoint
    raise ValueError (or FileNotFoundError) before anything is written."""
    import onnx
    cfg = read_config(config) if isinstance(config, str) else copy.deepcopy(config)
    merge_options(cfg, cfg_options)
    check_output_path(out, *[path for path in (checkpoint, config)
                             if isinstance(path, str)])
    shape = tuple(shape or default_input_shape(cfg))
    model = load_detector(cfg, checkpoint, allow_partial)
    graph = export_detector(model, shape, io.BytesIO(),
                            probe_images(cfg, shape))
    # Python literals (Resize wants its scale as a tuple, which JSON loses)
    pipeline = export_pipeline(cfg)
    classes = tuple((model.dataset_meta or {}).get('classes', ()))
    for key, value in ((PIPELINE_KEY, pipeline), (CLASSES_KEY, classes)):
        graph.metadata_props.add(key=key, value=repr(value))
    with atomic_path(out) as partial:
        onnx.save(graph, partial)
    return shape
