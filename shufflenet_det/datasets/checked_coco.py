"""COCO files checked before a long run: the whole layout (``check_coco``)
and the dataset a config builds (``CheckedCocoDataset``)."""
import json
import os.path as osp

import cv2
from mmdet.datasets import CocoDataset
from mmdet.registry import DATASETS

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


@DATASETS.register_module()
class CheckedCocoDataset(CocoDataset):
    """mmdet's ``CocoDataset``, failing early and clearly on bad files.

    A corrupt annotation file is reported with its path (mmdet shows only a
    bare JSON decoding error), and images missing from disk are reported
    when the dataset is built, not when training first reaches one of them
    hours later. Existence is checked for local files only (``backend_args``
    None).
    """

    def load_data_list(self):
        try:
            data_list = super().load_data_list()
        except (json.JSONDecodeError, UnicodeDecodeError, KeyError,
                TypeError) as error:
            raise ValueError(not_coco_message(self.ann_file, error)) from error
        if self.backend_args is None:
            missing = missing_files(d['img_path'] for d in data_list)
            if missing:
                raise FileNotFoundError(
                    f'{len(missing)} of {len(data_list)} images listed in '
                    f'{self.ann_file} are missing, e.g. {missing[:3]}')
        return data_list
