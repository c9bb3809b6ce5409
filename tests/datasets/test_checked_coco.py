"""The COCO checks: check_coco on a whole layout, CheckedCocoDataset when a
config builds it."""
import json

import pytest
from mmdet.registry import DATASETS

from shufflenet_det.datasets import check_coco, generate_shapes_dataset
from helpers import log_messages

SPLITS = {'train': 6, 'val': 3}


@pytest.fixture
def layout(tmp_path):
    generate_shapes_dataset(str(tmp_path), num_train=6, num_val=3, image_size=32)
    return tmp_path


def test_complete_layout_has_no_problems(layout):
    assert check_coco(str(layout), SPLITS) == []


def test_layout_problems_are_named(layout):
    (layout / 'train' / '00002.png').unlink()
    (layout / 'val' / '00001.png').write_bytes(b'not a png')
    problems = check_coco(str(layout), {'train': 6, 'val': 4, 'test': 1})
    assert any("1 of 6 images missing" in p and '00002.png' in p for p in problems)
    assert any(p.endswith('00001.png does not decode as an image') for p in problems)
    assert any('lists 3 images, COCO 2017 val has 4' in p for p in problems)
    assert any('missing annotation file' in p and 'instances_test.json' in p
               for p in problems)


def build_dataset(root, split='train', **kwargs):
    return DATASETS.build(dict(
        type='CheckedCocoDataset', data_root=str(root),
        ann_file=f'annotations/instances_{split}.json',
        data_prefix=dict(img=f'{split}/'), pipeline=[], **kwargs))


def edit_annotations(root, edit, split='train'):
    """Apply ``edit`` to the parsed annotation file of ``split``."""
    path = root / 'annotations' / f'instances_{split}.json'
    data = json.loads(path.read_text())
    edit(data)
    path.write_text(json.dumps(data))
    return data


def test_corrupt_annotation_file_is_named(tmp_path):
    generate_shapes_dataset(str(tmp_path), num_train=2, num_val=1, image_size=32)
    path = tmp_path / 'annotations' / 'instances_train.json'
    path.write_text(path.read_text()[:50])
    with pytest.raises(ValueError, match='instances_train.json is not a valid COCO'):
        build_dataset(tmp_path)


def test_missing_images_are_listed(tmp_path):
    generate_shapes_dataset(str(tmp_path), num_train=3, num_val=1, image_size=32)
    (tmp_path / 'train' / '00001.png').unlink()
    with pytest.raises(FileNotFoundError, match=r'1 of 3 images .*00001.png'):
        build_dataset(tmp_path)
    assert len(build_dataset(tmp_path, 'val')) == 1


def spoil(data):
    """Make the first 4 annotations invalid."""
    anns = data['annotations']
    anns[0]['bbox'][2] = -3.0  # negative width
    anns[1]['bbox'][3] = 0  # zero height
    anns[2]['bbox'][:2] = [40, 2]  # outside the 32 px image
    anns[3]['image_id'] = 999  # no such image


def test_invalid_annotations_are_named_or_dropped(layout):
    data = edit_annotations(layout, spoil)
    ids = [ann['id'] for ann in data['annotations'][:4]]
    total = len(data['annotations'])
    with pytest.raises(ValueError, match=(
            rf'instances_train.json: 4 of {total} annotations are invalid: 2 with '
            rf'a box of non-positive width or height \(ids {ids[0]}, {ids[1]}\); 1 '
            rf'with a box more than 1 px outside its image \(ids {ids[2]}\); 1 '
            rf'with an image_id that no image has \(ids {ids[3]}\)\. Fix the file, '
            'or set drop_invalid=True')):
        build_dataset(layout)
    built = []
    logs = log_messages(lambda: built.append(build_dataset(layout,
                                                           drop_invalid=True)))
    dataset = built[0]
    assert sum(len(dataset.get_data_info(i)['instances'])
               for i in range(len(dataset))) == total - 4
    assert len(logs) == 1 and '4 of' in logs[0] and 'dropped' in logs[0]


@pytest.mark.parametrize('edit', ['empty', 'missing'])
def test_a_file_without_annotations_is_refused_unless_unlabeled(layout, edit):
    edit_annotations(layout, lambda data: data.update(annotations=[])
                     if edit == 'empty' else data.pop('annotations'))
    with pytest.raises(ValueError, match=f'instances_train.json has no annotations '
                       f'\\("annotations" is {edit}\\); allowed: boxes'):
        build_dataset(layout)
    assert len(build_dataset(layout, unlabeled=True)) == 6


def test_a_file_that_is_no_image_is_named_when_the_dataset_is_built(layout):
    (layout / 'train' / '00003.png').write_text('not an image')
    (layout / 'train' / '00004.png').write_bytes(b'')
    with pytest.raises(ValueError, match=r"2 of 6 images listed in .*"
                       r"instances_train.json are not images .*00003.png"):
        build_dataset(layout)
