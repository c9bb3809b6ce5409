"""The COCO checks: check_coco on a whole layout, CheckedCocoDataset when a
config builds it."""
import pytest
from mmdet.registry import DATASETS

from shufflenet_det.datasets import check_coco, generate_shapes_dataset

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


def build_dataset(root, split='train'):
    return DATASETS.build(dict(
        type='CheckedCocoDataset', data_root=str(root),
        ann_file=f'annotations/instances_{split}.json',
        data_prefix=dict(img=f'{split}/'), pipeline=[]))


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
