"""COCO files checked before a long run: the whole layout (``check_coco``)
and the dataset a config builds (``CheckedCocoDataset``)."""
import json
import logging
import os.path as osp

import cv2
from mmdet.datasets import CocoDataset
from mmdet.datasets.api_wrappers import COCO
from mmdet.registry import DATASETS
from mmengine.logging import print_log

# COCO 2017 = the ShuffleNet paper's train+val minus minival / minival.
COCO2017_SPLITS = {'train2017': 118287, 'val2017': 5000}


def check_coco(data_root, splits=COCO2017_SPLITS, sample=20):
    """Return a list of problems (empty if the layout is complete).

    For each split: ``annotations/instances_{split}.json`` parses and lists
    the expected number of images, every listed image file exists under
    ``{split}/``, and ``sample`` of them, spread over the split, decode.
    """
    problems = []
    for split, expected in splits.items():
        ann_file = osp.join(data_root, 'annotations', f'instances_{split}.json')
        if not osp.isfile(ann_file):
            problems.append(f'missing annotation file {ann_file}')
            continue
        try:
            with open(ann_file) as f:
                images = json.load(f)['images']
        except (ValueError, KeyError, TypeError) as error:
            problems.append(not_coco_message(ann_file, error))
            continue
        if len(images) != expected:
            problems.append(f'{ann_file} lists {len(images)} images, '
                            f'COCO 2017 {split} has {expected}')
        image_dir = osp.join(data_root, split)
        missing = missing_files(osp.join(image_dir, i['file_name']) for i in images)
        if missing:
            problems.append(f'{len(missing)} of {len(images)} images missing from '
                            f'{image_dir}, e.g. {missing[:5]}')
        missing_paths = set(missing)
        present = [i for i in images
                   if osp.join(image_dir, i['file_name']) not in missing_paths]
        step = max(1, len(present) // max(sample, 1))
        for image in present[::step][:sample]:
            path = osp.join(image_dir, image['file_name'])
            if cv2.imread(path) is None:
                problems.append(f'{path} does not decode as an image')
    return problems


def not_coco_message(ann_file, error):
    return (f'{ann_file} is not a valid COCO annotation file: '
            f'{type(error).__name__}: {error}')


def missing_files(paths):
    """The paths of ``paths`` that are not files, in order."""
    return [path for path in paths if not osp.isfile(path)]


def not_images(paths):
    """The paths of ``paths`` whose first bytes OpenCV reads as no image
    format it decodes (empty, text or other files). Only the header is read:
    a file truncated after it passes."""
    return [path for path in paths if not cv2.haveImageReader(path)]


# Annotation problems invalid_annotations names, in the order it checks them.
EMPTY_BOX = 'with a box of non-positive width or height'
OUTSIDE = 'with a box more than 1 px outside its image'
NO_IMAGE = 'with an image_id that no image has'


def invalid_annotations(coco):
    """{problem: annotation ids} of the annotations of ``coco`` (a loaded
    COCO API) that training drops without a word and evaluation counts as
    boxes nothing can match (or ignores): NO_IMAGE, EMPTY_BOX, OUTSIDE."""
    problems = {}
    for ann in coco.anns.values():
        image = coco.imgs.get(ann['image_id'])
        x, y, w, h = ann['bbox']
        if image is None:
            problem = NO_IMAGE
        elif w <= 0 or h <= 0:
            problem = EMPTY_BOX
        elif (min(x, y) < -1 or x + w > image.get('width', x + w) + 1
              or y + h > image.get('height', y + h) + 1):
            problem = OUTSIDE
        else:
            continue
        problems.setdefault(problem, []).append(ann['id'])
    return problems


def _few(ids, count=5):
    return ', '.join(map(str, ids[:count])) + (' ...' if len(ids) > count else '')


@DATASETS.register_module()
class CheckedCocoDataset(CocoDataset):
    """mmdet's ``CocoDataset``, failing early and clearly on bad files.

    When the dataset is built: a corrupt annotation file is reported with
    its path (mmdet shows only a bare JSON decoding error); annotations that
    :func:`invalid_annotations` finds and a file without any annotation are
    errors naming the file, the count and a few annotation ids (mmdet would
    drop the boxes in training and COCO evaluation count them); image files
    that are missing or no image are reported (local files only,
    ``backend_args`` None), not when training first reaches one hours later.

    Args:
        drop_invalid (bool): Drop invalid annotations, logging how many,
            instead of refusing the file. COCO evaluation reads the file
            itself and still counts them.
        unlabeled (bool): The images have no annotations (e.g. test-dev,
            results only formatted); else none at all is an error.
    """

    def __init__(self, *args, drop_invalid=False, unlabeled=False, **kwargs):
        self.drop_invalid = drop_invalid
        self.unlabeled = unlabeled
        super().__init__(*args, **kwargs)

    def COCOAPI(self, path):
        """mmdet's COCO API of ``path`` (the annotation file, which
        ``CocoDataset.load_data_list`` reads with it), checked."""
        coco = COCO(path)
        if not coco.anns and not self.unlabeled:
            raise ValueError(
                f'{self.ann_file} has no annotations ("annotations" is '
                f'{"empty" if "annotations" in coco.dataset else "missing"}); '
                'allowed: boxes to train or evaluate on, or unlabeled=True in '
                'the dataset config')
        problems = invalid_annotations(coco)
        if not problems:
            return coco
        count = sum(map(len, problems.values()))
        summary = (f'{count} of {len(coco.anns)} annotations are invalid: '
                   + '; '.join(f'{len(ids)} {problem} (ids {_few(ids)})'
                               for problem, ids in problems.items()))
        if not self.drop_invalid:
            raise ValueError(f'{self.ann_file}: {summary}. Fix the file, or set '
                             'drop_invalid=True in the dataset config')
        invalid = {i for ids in problems.values() for i in ids}
        coco.dataset['annotations'] = [ann for ann in coco.dataset['annotations']
                                       if ann['id'] not in invalid]
        coco.createIndex()
        print_log(f'{self.ann_file}: {summary}; dropped (COCO evaluation reads '
                  'the file itself and still counts them)', logger='current',
                  level=logging.WARNING)
        return coco

    def load_data_list(self):
        try:
            data_list = super().load_data_list()
        except (json.JSONDecodeError, UnicodeDecodeError, KeyError,
                TypeError) as error:
            raise ValueError(not_coco_message(self.ann_file, error)) from error
        if self.backend_args is None:
            paths = [d['img_path'] for d in data_list]
            missing = missing_files(paths)
            if missing:
                raise FileNotFoundError(
                    f'{len(missing)} of {len(data_list)} images listed in '
                    f'{self.ann_file} are missing, e.g. {missing[:3]}')
            unreadable = not_images(paths)
            if unreadable:
                raise ValueError(
                    f'{len(unreadable)} of {len(data_list)} images listed in '
                    f'{self.ann_file} are not images (no image format\'s header),'
                    f' e.g. {unreadable[:3]}')
        return data_list
