"""Can a detector config's anchors reach the ground-truth boxes of its
training data?

The RPN's MaxIoUAssigner makes an anchor positive for a box only if their
IoU reaches ``pos_iou_thr``, or, with ``match_low_quality``, if it is the
box's best anchor and reaches ``min_pos_iou``; a box below that trains
nothing, and training runs anyway. The check scales the boxes as the train
pipeline's ``Resize`` does and takes each box's best IoU over the anchor
shapes of every level, centred at the grid position nearest to the box
centre: the grid repeats every stride, and for axis-aligned boxes the
nearest position gives each shape its largest overlap, so this is the best
IoU over the whole grid at the cost of (boxes x shapes).
"""
import json
import os.path as osp
from dataclasses import dataclass, field

import numpy as np

# Share of the boxes without a positive anchor above which the check warns.
WARN_SHARE = 0.1
# Object size buckets at the input, sqrt(w * h) in pixels.
SIZE_EDGES = (8, 16, 32, 64, 128, 256, 512)
# COCO's evaluation areas (of the annotation, in the original image).
COCO_AREAS = (('small', 0, 32**2), ('medium', 32**2, 96**2),
              ('large', 96**2, np.inf))
# What the suggestion may add to a generator's scales and ratios (h / w).
CANDIDATE_SCALES = (0.25, 0.5, 0.75, 1, 1.5, 2, 3, 4, 6, 8, 12, 16, 24, 32,
                    48, 64)
CANDIDATE_RATIOS = (1 / 3, 1 / 2, 2 / 3, 3 / 4, 1, 4 / 3, 3 / 2, 2, 3)
SUGGEST_SAMPLE = 20000  # uncovered boxes the suggestion is computed on
CHUNK = 1 << 16  # boxes per vectorised step


class AnchorCheckError(ValueError):
    """An input the check cannot read; the message names what is missing."""


@dataclass
class AnchorReport:
    """The check's result; ``str(report)`` is the table the tool prints."""
    source: str  # where the boxes came from and how they were scaled
    anchors: str  # the anchor grid and the assigner, in words
    no_positive_iou: float  # a box below this best IoU gets no positive
    thresholds: tuple
    rows: list = field(default_factory=list)  # (label, count, shares)
    num_boxes: int = 0
    no_positive: float = 0.  # share of the boxes without a positive anchor
    uncovered_sizes: tuple = ()  # 10th / 90th percentile size of those, px
    suggestion: str = ''

    @property
    def warns(self):
        return self.no_positive > WARN_SHARE

    def summary(self):
        """One line: the share without a positive anchor."""
        line = (f'{self.no_positive:.1%} of the {self.num_boxes} training boxes '
                f'get no positive anchor (best anchor IoU < '
                f'{self.no_positive_iou:g})')
        if self.uncovered_sizes:
            low, high = self.uncovered_sizes
            sizes = f'{low:.0f}' + (f'-{high:.0f}' if round(low) != round(high) else '')
            line += f'; most of those are {sizes} px at the input'
        return line

    def __str__(self):
        heads = ['boxes', 'share'] + [f'IoU>={t:g}' for t in self.thresholds]
        lines = [self.source, self.anchors, '',
                 f'{"size at the input":<22}' + ''.join(f'{h:>10}' for h in heads)]
        for label, count, shares in self.rows:
            cells = [f'{count:>10}', f'{count / max(self.num_boxes, 1):>10.1%}']
            cells += [f'{s:>10.1%}' if count else f'{"-":>10}' for s in shares]
            lines.append(f'{label:<22}' + ''.join(cells))
        lines += ['', ('WARNING: ' if self.warns else '') + self.summary()]
        if self.suggestion:
            lines.append(self.suggestion)
        return '\n'.join(lines)


def load_coco_boxes(ann_file):
    """(boxes x1 y1 x2 y2, image (w, h), area) of the boxes of a COCO
    annotation file that mmdet's CocoDataset trains on (not crowd, at least
    1 px wide and high)."""
    if not osp.isfile(ann_file):
        raise AnchorCheckError(f'annotation file {ann_file} not found')
    try:
        with open(ann_file) as f:
            data = json.load(f)
    except (ValueError, UnicodeDecodeError) as e:
        raise AnchorCheckError(f'{ann_file} is not a COCO annotation file '
                               f'(not JSON: {e})') from None
    if not isinstance(data, dict) or 'images' not in data:
        raise AnchorCheckError(f'{ann_file} is not a COCO annotation file '
                               '(no "images")')
    annotations = [a for a in data.get('annotations') or []
                   if len(a.get('bbox') or ()) == 4 and not a.get('iscrowd')]
    sizes = {}
    for image in data['images']:
        size = tuple(image.get(key) if isinstance(image, dict) else None
                     for key in ('width', 'height'))
        if not all(isinstance(side, (int, float)) and side > 0 for side in size):
            found = {key: image.get(key) for key in ('id', 'width', 'height')} \
                if isinstance(image, dict) else image
            raise AnchorCheckError(f'{ann_file}: image {found} has no positive width '
                                   'and height; allowed: images with both (pixels)')
        sizes[image.get('id')] = size
    try:
        image_wh = np.array([sizes[a['image_id']] for a in annotations], float)
    except KeyError as e:
        raise AnchorCheckError(f'{ann_file}: a box of image id {e} that is '
                               'not in "images"') from None
    xywh = np.array([a['bbox'] for a in annotations], float).reshape(-1, 4)
    area = np.array([a.get('area', 1.) for a in annotations], float)
    keep = (xywh[:, 2] >= 1) & (xywh[:, 3] >= 1) & (area > 0)
    if not keep.any():
        raise AnchorCheckError(f'annotation file {ann_file} has no boxes (no '
                               'non-crowd "annotations" with a "bbox" of '
                               'at least 1x1 px)')
    boxes = np.concatenate([xywh[:, :2], xywh[:, :2] + xywh[:, 2:]], 1)
    return boxes[keep], image_wh.reshape(-1, 2)[keep], area[keep]


def resize_rules(pipeline):
    """The input scales of a pipeline's first resize, as
    [dict(scale=(w, h) or None, scale_factor=(fx, fy) or None, keep_ratio)]:
    one for ``Resize``, one per scale for ``RandomChoiceResize``, the two
    ends of the range for ``RandomResize``, factor 1 without a resize. Later
    transforms that change the scale (``Expand``, crops) are not modelled."""
    for transform in pipeline:
        if 'Resize' not in str(transform):
            continue
        kind = str(transform.get('type', '')).split('.')[-1]
        keep_ratio = bool(transform.get('keep_ratio', False))
        scale = transform.get('scale')
        if kind in ('Resize', 'FixScaleResize') and (
                scale is not None or transform.get('scale_factor') is not None):
            return [dict(scale=_pair(scale), keep_ratio=keep_ratio,
                         scale_factor=_pair(transform.get('scale_factor')))]
        if kind == 'RandomChoiceResize' and transform.get('scales'):
            scales = transform['scales']
        elif kind == 'RandomResize' and scale is not None:
            ratios = transform.get('ratio_range')
            scales = ([[v * r for v in _pair(scale)] for r in ratios] if ratios
                      else scale)
        else:
            raise AnchorCheckError(
                f'the train pipeline resizes with {kind or transform}, which the '
                'check cannot read (it reads Resize or FixScaleResize with scale '
                'or scale_factor, RandomChoiceResize, RandomResize)')
        return [dict(scale=_pair(s), scale_factor=None, keep_ratio=keep_ratio)
                for s in scales]
    return [dict(scale=None, scale_factor=(1., 1.), keep_ratio=False)]


def _pair(value):
    if value is None:
        return None
    if isinstance(value, (int, float)):
        return (float(value), float(value))
    return tuple(float(v) for v in value)


def input_factors(image_wh, rule):
    """(fx, fy) of each image under ``rule``, as mmcv's Resize gives them:
    with keep_ratio the factor min(long / max(w, h), short / min(w, h)) and
    sizes rounded with int(x + 0.5), else the scale itself."""
    w, h = image_wh[:, 0], image_wh[:, 1]
    if rule['scale'] is None:
        fx, fy = rule['scale_factor']
        new_w, new_h = np.floor(w * fx + 0.5), np.floor(h * fy + 0.5)
    else:
        new_w, new_h = (np.full_like(w, v) for v in rule['scale'])
    if rule['keep_ratio']:
        factor = np.minimum(np.maximum(new_w, new_h) / np.maximum(w, h),
                            np.minimum(new_w, new_h) / np.minimum(w, h))
        new_w, new_h = np.floor(w * factor + 0.5), np.floor(h * factor + 0.5)
    return new_w / w, new_h / h


def anchor_levels(generator):
    """Per level of an mmdet anchor generator: (stride (x, y), centre of its
    base anchors, their widths and heights)."""
    levels = []
    for base, stride in zip(generator.base_anchors, generator.strides):
        base = base.cpu().double().numpy()
        centre = (base[0, :2] + base[0, 2:]) / 2
        levels.append((np.array(stride, float), centre, base[:, 2] - base[:, 0],
                       base[:, 3] - base[:, 1]))
    return levels


def best_iou(boxes, image_wh, levels):
    """(N, shapes) IoU of each box (x1 y1 x2 y2 at the input; images of
    ``image_wh``) with each anchor shape of ``levels``, the shape at the
    grid position nearest to the box centre; columns level by level."""
    area = ((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]))[:, None]
    ious = []
    for stride, centre, widths, heights in levels:
        inter = 1.
        for axis, size in ((0, widths), (1, heights)):
            last = np.maximum(np.ceil(image_wh[:, axis] / stride[axis]) - 1, 0)
            middle = (boxes[:, axis] + boxes[:, axis + 2]) / 2
            index = np.clip(np.round((middle - centre[axis]) / stride[axis]), 0, last)
            grid = (centre[axis] + index * stride[axis])[:, None]
            inter = inter * np.clip(
                np.minimum(boxes[:, axis + 2, None], grid + size / 2) -
                np.maximum(boxes[:, axis, None], grid - size / 2), 0, None)
        ious.append(inter / (area + widths * heights - inter))
    return np.concatenate(ious, 1)


def coverage(boxes, image_wh, generator, assigner, coco_area=None, source='',
             weights=None):
    """The :class:`AnchorReport` of ``boxes`` at the input (x1 y1 x2 y2, in
    images of ``image_wh``) against ``generator`` (built) and the RPN
    ``assigner`` config; ``weights``: what each box counts for (a box seen
    at k input scales counts 1 / k at each)."""
    pos_iou = float(assigner.get('pos_iou_thr', 0.5))
    low_quality = assigner.get('match_low_quality', True)
    no_positive_iou = float(assigner.get('min_pos_iou', 0.)) if low_quality else pos_iou
    thresholds = tuple(sorted({t for t in (no_positive_iou, 0.5, pos_iou) if t > 0}))
    weights = np.ones(len(boxes)) if weights is None else weights
    levels = anchor_levels(generator)
    best = np.concatenate([best_iou(boxes[i:i + CHUNK], image_wh[i:i + CHUNK],
                                    levels).max(1)
                           for i in range(0, len(boxes), CHUNK)])
    size = np.sqrt((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]))
    edges = (0, ) + SIZE_EDGES + (np.inf, )
    groups = [(f'{low:g}-{high:g} px' if high < np.inf else f'>= {low:g} px',
               (size >= low) & (size < high)) for low, high in zip(edges, edges[1:])]
    if coco_area is not None:
        groups += [(f'COCO {name} (original)', (coco_area >= low) & (coco_area < high))
                   for name, low, high in COCO_AREAS]
    groups.append(('all', np.ones(len(best), bool)))
    report = AnchorReport(source, describe_anchors(generator, assigner),
                          no_positive_iou, thresholds,
                          num_boxes=int(round(weights.sum())))
    for label, mask in groups:
        count = weights[mask].sum()
        if count or label == 'all':
            shares = [weights[mask & (best >= t)].sum() / count if count else 0.
                      for t in thresholds]
            report.rows.append((label, int(round(count)), shares))
    missed = best < no_positive_iou
    report.no_positive = float(weights[missed].sum() / weights.sum())
    if missed.any():
        report.uncovered_sizes = tuple(np.percentile(size[missed], (10, 90)))
        report.suggestion = suggest(boxes[missed], image_wh[missed], generator,
                                    no_positive_iou)
    return report


def describe_anchors(generator, assigner):
    levels = anchor_levels(generator)
    sizes = np.concatenate([np.sqrt(w * h) for _, _, w, h in levels])
    strides = ', '.join(f'{s[0]:g}' for s, *_ in levels)
    return (f'anchors: {type(generator).__name__}, {len(sizes)} shapes of '
            f'{sizes.min():.0f}-{sizes.max():.0f} px on strides {strides}; '
            f'assigner: pos_iou_thr {assigner.get("pos_iou_thr")}, min_pos_iou '
            f'{assigner.get("min_pos_iou", 0.)}, match_low_quality '
            f'{assigner.get("match_low_quality", True)}')


def suggest(boxes, image_wh, generator, iou):
    """In words: the scales / ratios (at most three) whose addition to
    ``generator``'s would give most of ``boxes`` (those without a positive
    anchor) one, and the share that no anchor shape at these strides gives
    one. Estimated on at most SUGGEST_SAMPLE of the boxes."""
    scales = getattr(generator, 'scales', None)
    ratios = getattr(generator, 'ratios', None)
    if scales is None or ratios is None or generator.centers is not None:
        return ''
    if len(boxes) > SUGGEST_SAMPLE:
        pick = np.random.RandomState(0).choice(len(boxes), SUGGEST_SAMPLE, False)
        boxes, image_wh = boxes[pick], image_wh[pick]
    own_s, own_r = (np.round(np.asarray(v, float), 6) for v in (scales, ratios))
    all_s = np.unique(np.concatenate([np.round(CANDIDATE_SCALES, 6), own_s]))
    all_r = np.unique(np.concatenate([np.round(CANDIDATE_RATIOS, 6), own_r]))
    levels = []
    for (stride, centre, _, _), base in zip(anchor_levels(generator),
                                            generator.base_sizes):
        size = np.asarray(base, float).reshape(-1)[0] * all_s[:, None]
        levels.append((stride, centre, (size / np.sqrt(all_r)).ravel(),
                       (size * np.sqrt(all_r)).ravel()))
    step = CHUNK // 16  # x (scales x ratios) columns
    reach = np.concatenate([
        best_iou(boxes[i:i + step], image_wh[i:i + step], levels).reshape(
            -1, len(levels), len(all_s), len(all_r)).max(1) >= iou
        for i in range(0, len(boxes), step)])
    use_s, use_r = np.isin(all_s, own_s), np.isin(all_r, own_r)

    def covered(s, r):
        return reach[:, s][:, :, r].any((1, 2)).mean()

    added = dict(scale=[], ratio=[])
    for _ in range(3):
        options = [(covered(use_s | (all_s == v), use_r), 'scale', v)
                   for v in all_s[~use_s]]
        options += [(covered(use_s, use_r | (all_r == v)), 'ratio', v)
                    for v in all_r[~use_r]]
        share, kind, value = max(options, default=(0, '', 0))
        if share - covered(use_s, use_r) < 0.01:
            break
        (use_s if kind == 'scale' else use_r)[(all_s if kind == 'scale'
                                               else all_r) == value] = True
        added[kind].append(value)
    out = []
    if added['scale'] or added['ratio']:
        what = ' and '.join(f'{kind}s [{", ".join(f"{v:.3g}" for v in sorted(values))}]'
                            for kind, values in added.items() if values)
        out.append(f'Adding {what} to the anchor generator would give '
                   f'{covered(use_s, use_r):.0%} of them a positive anchor')
    unreachable = 1 - reach.any((1, 2)).mean()
    if unreachable >= 0.005:
        strides = ', '.join(f'{s[0]:g}' for s, *_ in levels)
        out.append(f'{unreachable:.0%} of them get none from any anchor shape '
                   f'on strides {strides}: they need a finer feature map')
    return '; '.join(out) + '.' if out else ''


def check_config(cfg, ann_file=None):
    """The :class:`AnchorReport` of an mmengine Config: the boxes of its
    training set (or of the COCO ``ann_file``), scaled by its train pipeline's
    resize, against the anchor generator and assigner of its RPN (or of its
    one-stage head)."""
    from mmdet.registry import TASK_UTILS
    from mmdet.utils import register_all_modules
    register_all_modules(init_default_scope=False)
    generator_cfg, assigner = anchor_settings(cfg.model)
    generator = TASK_UTILS.build(generator_cfg)
    sources = train_sources(cfg.train_dataloader.dataset)
    if ann_file:
        sources = [(ann_file, sources[0][1])]
    parts, described = [], []
    for path, pipeline in sources:
        rules = resize_rules(pipeline)
        boxes, image_wh, area = load_coco_boxes(path)
        for rule in rules:
            fx, fy = input_factors(image_wh, rule)
            factors = np.stack([fx, fy, fx, fy], 1)
            parts.append((boxes * factors, image_wh * factors[:, :2], area,
                          np.full(len(boxes), 1 / len(rules))))
        described.append(f'{len(boxes)} boxes of {path}, resized as '
                         f'{_describe_rules(rules)}')
    boxes, image_wh, area, weights = (np.concatenate(p) for p in zip(*parts))
    return coverage(boxes, image_wh, generator, assigner, area,
                    '; '.join(described), weights)


def _describe_rules(rules):
    def one(rule):
        if rule['scale'] is None:
            return 'scale factor {:g}, {:g}'.format(*rule['scale_factor'])
        return '{:g}x{:g}'.format(*rule['scale'])
    kind = 'keep_ratio' if rules[0]['keep_ratio'] else 'fixed size'
    scales = ' / '.join(one(r) for r in rules)
    return (f'{kind} {scales}' + (' (pooled, each equally)' if len(rules) > 1 else ''))


def anchor_settings(model):
    """(anchor generator config, assigner config) of a detector config: its
    RPN's (``rpn_head``, ``train_cfg.rpn.assigner``) or its one-stage
    head's (``bbox_head``, ``train_cfg.assigner``)."""
    for head, train in (('rpn_head', 'rpn'), ('bbox_head', None)):
        generator = (model.get(head) or {}).get('anchor_generator')
        if generator:
            break
    else:
        raise AnchorCheckError('the config has no anchor generator '
                               '(model.rpn_head.anchor_generator or '
                               'model.bbox_head.anchor_generator)')
    train_cfg = model.get('train_cfg') or {}
    assigner = ((train_cfg.get(train) if train else train_cfg) or {}).get('assigner')
    if not assigner or 'pos_iou_thr' not in assigner:
        raise AnchorCheckError(
            'the config has no IoU assigner with pos_iou_thr for its anchors '
            f'(model.train_cfg{"." + train if train else ""}.assigner)')
    return generator, assigner


def train_sources(dataset, after=()):
    """(annotation file, pipeline) of each dataset a training dataset config
    reads, through wrappers (RepeatDataset, ConcatDataset, ...); a wrapper's
    pipeline runs after its datasets'."""
    inner = dataset.get('datasets') or [d for d in [dataset.get('dataset')] if d]
    if inner:
        after = list(dataset.get('pipeline') or []) + list(after)
        return [source for d in inner for source in train_sources(d, after)]
    if not dataset.get('ann_file'):
        raise AnchorCheckError('the training dataset has no ann_file: give a '
                               'COCO annotation file (--ann-file)')
    return [(osp.join(dataset.get('data_root') or '', dataset['ann_file']),
             list(dataset.get('pipeline') or []) + list(after))]
