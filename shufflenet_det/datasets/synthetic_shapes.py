"""A small COCO-format detection dataset drawn from a seed: filled shapes of
several classes and sizes on cluttered backgrounds.

It lets the demo and the tests train and evaluate a detector end to end
without downloading anything; the same seed gives the same files.
"""
import json
import os
import os.path as osp

import cv2
import numpy as np

from ..atomic import atomic_path, write_text_atomically

SHAPE_CLASSES = ('circle', 'square', 'triangle', 'cross')
# The small-object mode (``generate_shapes_dataset(root, **SMALL_OBJECTS)``):
# 320x320 images, ThunderNet's input, of up to 12 shapes of 6-24 px, one or
# two cells of a stride-16 map; the default draws 16-56 px in 128x128.
SMALL_OBJECTS = dict(image_size=320, max_objects=12, min_side=6, max_side=24)


def _background(rng, height, width):
    """A colour gradient, noise, and random lines and outline rectangles."""
    corner = rng.uniform(0, 255, (2, 2, 3)).astype(np.float32)
    image = cv2.resize(corner, (width, height), interpolation=cv2.INTER_LINEAR)
    image += rng.normal(0, 12, image.shape)
    for _ in range(rng.randint(4, 12)):
        color = rng.uniform(0, 255, 3).tolist()
        p1, p2 = rng.randint(0, (width, height), (2, 2))
        if rng.rand() < 0.6:
            cv2.line(image, tuple(map(int, p1)), tuple(map(int, p2)), color,
                     int(rng.randint(1, 3)))
        else:
            cv2.rectangle(image, tuple(map(int, p1)), tuple(map(int, p2)), color, 1)
    return image


def _draw(image, rng, label, x, y, side):
    """Draw shape ``label`` filling the box (x, y, side, side); return its
    tight box (x, y, w, h)."""
    color = rng.uniform(0, 255, 3)
    while np.abs(color - image[int(y + side / 2), int(x + side / 2)]).max() < 80:
        color = rng.uniform(0, 255, 3)
    color = color.tolist()
    name = SHAPE_CLASSES[label]
    if name == 'circle':
        radius = side / 2
        center = (int(round(x + radius)), int(round(y + radius)))
        cv2.circle(image, center, int(round(radius)), color, -1, cv2.LINE_AA)
    elif name == 'square':
        cv2.rectangle(image, (x, y), (x + side - 1, y + side - 1), color, -1)
    elif name == 'triangle':
        points = np.array([[x + side // 2, y], [x, y + side - 1],
                           [x + side - 1, y + side - 1]], np.int32)
        cv2.fillPoly(image, [points], color, cv2.LINE_AA)
    else:
        bar = max(2, side // 3)
        start = (side - bar) // 2
        cv2.rectangle(image, (x + start, y), (x + start + bar - 1, y + side - 1),
                      color, -1)
        cv2.rectangle(image, (x, y + start), (x + side - 1, y + start + bar - 1),
                      color, -1)
    return [float(x), float(y), float(side), float(side)]


def _iou(a, b):
    ix = max(0., min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0]))
    iy = max(0., min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1]))
    inter = ix * iy
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def _make_image(rng, height, width, max_objects, min_side, max_side):
    image = _background(rng, height, width)
    boxes, labels = [], []
    max_side = min(max_side, height, width)
    for _ in range(rng.randint(0, max_objects + 1)):
        side = int(rng.randint(min(min_side, max_side), max_side + 1))
        x, y = (int(v) for v in rng.randint(0, (width - side + 1, height - side + 1)))
        box = [x, y, side, side]
        if any(_iou(box, other) > 0.05 for other in boxes):
            continue
        label = int(rng.randint(len(SHAPE_CLASSES)))
        boxes.append(_draw(image, rng, label, x, y, side))
        labels.append(label)
    return np.clip(image, 0, 255).astype(np.uint8), boxes, labels


def generate_shapes_dataset(root,
                            num_train=300,
                            num_val=60,
                            image_size=128,
                            max_objects=4,
                            min_side=16,
                            max_side=56,
                            seed=0):
    """Write ``{root}/{train,val}/*.png`` and
    ``{root}/annotations/instances_{train,val}.json``; return the json paths.

    ``image_size`` is an int, (height, width), or a list of those used in
    turn (to mix shapes and sizes); images hold 0 to
    ``max_objects`` shapes with sides from ``min_side`` to ``max_side``.
    Every file is written atomically.
    """
    sizes = image_size if isinstance(image_size, list) else [image_size]
    sizes = [(size, size) if isinstance(size, int) else size for size in sizes]
    rng = np.random.RandomState(seed)
    categories = [dict(id=i + 1, name=name) for i, name in enumerate(SHAPE_CLASSES)]
    os.makedirs(osp.join(root, 'annotations'), exist_ok=True)
    paths = {}
    for split, count in (('train', num_train), ('val', num_val)):
        os.makedirs(osp.join(root, split), exist_ok=True)
        images, annotations = [], []
        for index in range(count):
            height, width = sizes[index % len(sizes)]
            image, boxes, labels = _make_image(rng, height, width, max_objects,
                                               min_side, max_side)
            file_name = f'{index:05d}.png'
            with atomic_path(osp.join(root, split, file_name)) as partial:
                cv2.imwrite(partial, image)
            images.append(dict(id=index + 1, file_name=file_name,
                               width=width, height=height))
            for box, label in zip(boxes, labels):
                annotations.append(dict(
                    id=len(annotations) + 1, image_id=index + 1,
                    category_id=label + 1, bbox=box, area=box[2] * box[3],
                    iscrowd=0))
        path = osp.join(root, 'annotations', f'instances_{split}.json')
        write_text_atomically(path, json.dumps(dict(
            images=images, annotations=annotations, categories=categories)))
        paths[split] = path
    return paths
