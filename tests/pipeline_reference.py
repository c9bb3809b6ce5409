"""mmdet's own test pipeline, the reference the runtime's preprocessing and
the documented app contract are checked against."""
import numpy as np

LOAD = dict(type='LoadImageFromFile')
PACK = dict(type='PackDetInputs', meta_keys=('img_id', 'img_path', 'ori_shape',
                                             'img_shape', 'scale_factor'))
RESIZES = {
    'keep_ratio 300': dict(type='Resize', scale=(500, 300), keep_ratio=True),
    'keep_ratio 600': dict(type='Resize', scale=(1000, 600), keep_ratio=True),
    'fixed 320': dict(type='Resize', scale=(320, 320), keep_ratio=False),
    'fixed int, nearest': dict(type='mmdet.Resize', scale=96, keep_ratio=False,
                               interpolation='nearest'),
    'scale_factor, area': dict(type='Resize', scale_factor=0.37, keep_ratio=True,
                               interpolation='area'),
}


def mmdet_reference(pipeline, path):
    """(batch, metainfo) as mmdet's test pipeline makes them, unpadded."""
    from mmdet.registry import TRANSFORMS
    from mmdet.utils import register_all_modules
    from mmengine.dataset import Compose
    register_all_modules()
    data = Compose([TRANSFORMS.build(step) for step in pipeline])(
        dict(img_path=path, img_id=0))
    return data['inputs'].numpy().astype(np.float32), data['data_samples'].metainfo
