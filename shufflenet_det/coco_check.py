"""Check that a COCO 2017 detection layout is complete before a long run
(DATA_ROOT/annotations/instances_{train,val}2017.json, DATA_ROOT/{train,val}2017/)
and say exactly what is missing. Run it as ``shufflenet-det-check-coco``,
``python -m shufflenet_det.coco_check`` or ``python tools/check_coco.py``."""
import argparse
import json
import os.path as osp
import sys

import cv2

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
            problems.append(f'{ann_file} is not a COCO annotation file: {error}')
            continue
        if len(images) != expected:
            problems.append(f'{ann_file} lists {len(images)} images, '
                            f'COCO 2017 {split} has {expected}')
        image_dir = osp.join(data_root, split)
        missing = [i['file_name'] for i in images
                   if not osp.isfile(osp.join(image_dir, i['file_name']))]
        if missing:
            problems.append(f'{len(missing)} of {len(images)} images missing from '
                            f'{image_dir}, e.g. {missing[:5]}')
        missing_names = set(missing)
        present = [i for i in images if i['file_name'] not in missing_names]
        step = max(1, len(present) // max(sample, 1))
        for image in present[::step][:sample]:
            path = osp.join(image_dir, image['file_name'])
            if cv2.imread(path) is None:
                problems.append(f'{path} does not decode as an image')
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('data_root', help='e.g. data/coco')
    parser.add_argument('--sample', type=int, default=20,
                        help='images per split to decode')
    args = parser.parse_args()
    problems = check_coco(args.data_root, COCO2017_SPLITS, args.sample)
    for problem in problems:
        print(f'problem: {problem}')
    if problems:
        return 1
    counts = ', '.join(f'{s} {n} images' for s, n in COCO2017_SPLITS.items())
    print(f'{args.data_root}: complete COCO 2017 layout ({counts})')
    return 0


if __name__ == '__main__':
    sys.exit(main())
