"""COCO detection dataset that checks its files when it is built."""
import json
import os.path as osp

from mmdet.datasets import CocoDataset
from mmdet.registry import DATASETS


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
            raise ValueError(f'{self.ann_file} is not a valid COCO annotation '
                             f'file: {type(error).__name__}: {error}') from error
        if self.backend_args is None:
            missing = [d['img_path'] for d in data_list
                       if not osp.isfile(d['img_path'])]
            if missing:
                raise FileNotFoundError(
                    f'{len(missing)} of {len(data_list)} images listed in '
                    f'{self.ann_file} are missing, e.g. {missing[:3]}')
        return data_list
