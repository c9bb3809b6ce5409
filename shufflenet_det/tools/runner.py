"""Config handling and Runner building shared by tools/train.py and
tools/test.py (the arguments and behaviour of MMDetection's own tools)."""
import os.path as osp
from copy import deepcopy

from mmengine.config import ConfigDict
from mmengine.registry import RUNNERS
from mmengine.runner import Runner

from ..config_options import merge_options, read_config
from ..engine import init_distributed

# Flip test-time augmentation, mmdet's default for ``--tta``.
DEFAULT_TTA_MODEL = dict(
    type='DetTTAModel',
    tta_cfg=dict(nms=dict(type='nms', iou_threshold=0.5), max_per_img=100))
TTA_FLIP = dict(
    type='TestTimeAug',
    transforms=[[dict(type='RandomFlip', prob=1.),
                 dict(type='RandomFlip', prob=0.)],
                [dict(type='PackDetInputs',
                      meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                                 'scale_factor', 'flip', 'flip_direction'))]])


def load_config(path, work_dir=None, cfg_options=None, launcher='none'):
    """Load a config (:func:`shufflenet_det.config_options.read_config`: a one-line
    ValueError for a file that is none); work_dir: argument > config >
    ./work_dirs/<name>."""
    cfg = read_config(path)
    cfg.launcher = launcher
    merge_options(cfg, cfg_options)
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(path))[0])
    return cfg


def check_resume(work_dir, resume):
    """A ValueError where ``resume`` is 'auto' (the latest checkpoint of
    ``work_dir``) and ``work_dir`` has none: mmengine would train from
    scratch instead. (A checkpoint that is not one is refused when the
    runner loads it: :class:`~shufflenet_det.engine.CheckpointError`.)"""
    from mmengine.runner import find_latest_checkpoint
    if resume == 'auto' and find_latest_checkpoint(work_dir) is None:
        raise ValueError(
            f'--resume: nothing to resume from in {work_dir} (no last_checkpoint); '
            'allowed: the work dir of an earlier run (--work-dir), --resume PATH, '
            'or no --resume to train from the start')


def apply_train_options(cfg, amp=False, auto_scale_lr=False, resume=None,
                        allow_partial=False):
    """``resume``: None, 'auto' (latest checkpoint of work_dir) or a path;
    ``allow_partial``: ``load_from`` may load a checkpoint that does not fit
    (``TrainedCheckpointHook``)."""
    if amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.loss_scale = 'dynamic'
    if auto_scale_lr:
        if 'base_batch_size' not in cfg.get('auto_scale_lr', {}):
            raise ValueError('--auto-scale-lr needs auto_scale_lr = '
                             'dict(base_batch_size=...) in the config')
        cfg.auto_scale_lr.enable = True
    if resume is not None:
        check_resume(cfg.work_dir, resume)
        cfg.resume = True
        cfg.load_from = None if resume == 'auto' else resume
    if allow_partial:
        cfg.allow_partial_checkpoint = True
    return cfg


def apply_test_options(cfg, checkpoint, show=False, show_dir=None, wait_time=2,
                       tta=False, allow_partial=False):
    cfg.load_from = checkpoint
    if allow_partial:
        cfg.allow_partial_checkpoint = True
    if show or show_dir:
        hook = cfg.default_hooks.get('visualization')
        if hook is None:
            raise ValueError('--show/--show-dir need a visualization hook in '
                             'default_hooks (mmdet DetVisualizationHook)')
        hook.update(draw=True, show=show, wait_time=wait_time,
                    test_out_dir=show_dir)
    if tta:
        cfg.setdefault('tta_model', DEFAULT_TTA_MODEL)
        if 'tta_pipeline' not in cfg:
            dataset = cfg.test_dataloader.dataset
            while 'dataset' in dataset:
                dataset = dataset.dataset
            cfg.tta_pipeline = deepcopy(dataset.pipeline)[:-1] + [TTA_FLIP]
        cfg.model = ConfigDict(**cfg.tta_model, module=cfg.model)
        cfg.test_dataloader.dataset.pipeline = cfg.tta_pipeline
    return cfg


def check_annotation_files(cfg, splits):
    """A ValueError naming the first annotation file of the ``splits``
    ('train', 'val', 'test') datasets of ``cfg`` that is not on disk, before
    the runner builds them (pycocotools would raise a bare
    FileNotFoundError). Dataset wrappers are looked through; datasets
    without an ``ann_file`` are left to themselves."""
    for split in splits:
        loader = cfg.get(f'{split}_dataloader')
        datasets = [loader.dataset] if loader else []
        while datasets:
            dataset = datasets.pop()
            datasets += [dataset['dataset']] if 'dataset' in dataset else []
            datasets += list(dataset.get('datasets', []))
            ann_file = dataset.get('ann_file')
            if not ann_file:
                continue
            path = osp.join(dataset.get('data_root') or '', ann_file)
            if not osp.isfile(path):
                raise ValueError(
                    f'the {split} dataset\'s annotation file {path} is not a file; '
                    'allowed: the dataset laid out as the config says (COCO: '
                    'docs/train.md; shufflenet-det-check-coco checks a COCO '
                    'folder), or its paths set with --cfg-options')


def build_runner(cfg):
    """The default Runner, or the one named by ``runner_type``; several
    processes without GPUs run on gloo (:func:`init_distributed`)."""
    init_distributed(cfg)
    return RUNNERS.build(cfg) if 'runner_type' in cfg else Runner.from_cfg(cfg)
