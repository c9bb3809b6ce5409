"""CPU demo: train a ShuffleNet Faster R-CNN on a generated shapes dataset,
evaluate COCO bbox mAP on its held-out split and draw predicted boxes; then
export it to ONNX, quantize that to int8 (calibrated on training images) and
evaluate both in ONNX Runtime on the same split (and the fp32 file in
OpenVINO's bf16, where OpenVINO is installed).

Run it as ``shufflenet-det-demo``, ``python -m shufflenet_det.tools.demo`` or
``python tools/demo.py``, from any folder."""
import argparse
import json
import os
import os.path as osp
import time

import cv2
import torch
from mmdet.structures import DetDataSample
from mmengine.dataset import pseudo_collate
from mmengine.runner import Runner

from ..atomic import atomic_path, check_writable_folder, write_text_atomically
from ..config_options import add_config_options, merge_options, read_config
from ..datasets import SHAPE_CLASSES, generate_shapes_dataset
from ..engine import KeepMetricsHook
from ..paths import config_path

DEMO_CONFIG = config_path('demo/faster-rcnn_shufflenet-v1-1x-g3_fpn_shapes.py')
# training images the int8 model is calibrated on (all, if fewer)
CALIB_IMAGES = 100
# the MNN files converted from the demo's model.onnx, by weights
MNN_FILES = {'fp32': 'model.mnn', 'int8': 'model_int8-weights.mnn'}


# A config file: ``base`` (an mmdet Faster R-CNN config, the demo's or a COCO
# one) reading the generated shapes dataset under ``data`` and predicting its
# classes.
SHAPES_CONFIG = """_base_ = {base!r}
data_root = {data_root!r}
dataset = dict(data_root=data_root, metainfo=dict(classes={classes}))
train_dataloader = dict(
    dataset=dict(**dataset, ann_file='annotations/instances_train.json',
                 data_prefix=dict(img='train/')))
val_dataloader = dict(
    dataset=dict(**dataset, ann_file='annotations/instances_val.json',
                 data_prefix=dict(img='val/')))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/instances_val.json')
test_evaluator = val_evaluator
model = dict(roi_head=dict(bbox_head=dict(num_classes={num_classes})))
"""


def config_reference(config):
    """How a written config names ``config``: a scoped name
    (``mmdet::...``) as it is, a file by its absolute path."""
    return config if '::' in config else osp.abspath(config)


def write_shapes_config(path, data_root, base=DEMO_CONFIG):
    """Write ``base`` pointed at the shapes dataset under ``data_root`` to
    ``path``, a config file that tools/train.py and tools/test.py take (or a
    base for settings of a run, e.g. the smoke reproduction's)."""
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    base = config_reference(base)  # a relative _base_ is read from ``path``
    write_text_atomically(path, SHAPES_CONFIG.format(  # any path, quotes too
        base=base, data_root=osp.join(data_root, ''), classes=SHAPE_CLASSES,
        num_classes=len(SHAPE_CLASSES)))
    return path


def demo_config(work_dir, config=DEMO_CONFIG, max_iters=None, cfg_options=None):
    """The demo config reading the dataset from ``{work_dir}/data``; also
    written to ``{work_dir}/config.py``."""
    path = write_shapes_config(osp.join(work_dir, 'config.py'),
                               osp.join(work_dir, 'data'), config)
    cfg = read_config(path)
    cfg.work_dir = work_dir
    if max_iters is not None:
        set_max_iters(cfg, max_iters)
    merge_options(cfg, cfg_options)
    return cfg


def set_max_iters(cfg, max_iters):
    """Train ``cfg`` for ``max_iters`` iterations (validated and saved at the
    end): the decay that runs to the schedule's end follows the new end,
    shorter or longer (else a longer run idles at its last rate); the
    warm-up is only cut."""
    schedule_end = cfg.train_cfg.max_iters
    cfg.train_cfg.update(max_iters=max_iters, val_interval=max_iters)
    cfg.default_hooks.checkpoint.interval = max_iters
    for scheduler in cfg.param_scheduler:
        scheduler.end = (max_iters if scheduler.end >= schedule_end
                         else min(scheduler.end, max_iters))


def draw_predictions(runner, out_file, index=0, score_thr=0.5, zoom=3):
    """Predict one validation image; save it, enlarged ``zoom`` times, with
    true boxes (left) and predicted boxes (right)."""
    dataset = runner.val_dataloader.dataset
    data = dataset[index]
    runner.model.eval()
    with torch.no_grad():
        (result, ) = runner.model.test_step(pseudo_collate([data]))
    image = data['inputs'].permute(1, 2, 0).numpy()[..., ::-1]  # BGR -> RGB
    image = cv2.resize(image, None, fx=zoom, fy=zoom,
                       interpolation=cv2.INTER_NEAREST)
    drawn = DetDataSample()
    for field in ('gt_instances', 'pred_instances'):
        instances = result.get(field).clone()
        instances.bboxes = instances.bboxes * zoom
        drawn.set_field(instances, field)
    visualizer = runner.visualizer
    visualizer.dataset_meta = dataset.metainfo
    with atomic_path(out_file) as partial:
        visualizer.add_datasample('prediction', image, data_sample=drawn,
                                  draw_gt=True, pred_score_thr=score_thr,
                                  out_file=partial)
    return result


def evaluate_exported(runner, detector, prefix):
    """COCO metrics of an exported ``detector`` (a runtime Detector) on the
    runner's validation set, keys prefixed ``prefix`` instead of 'coco/'."""
    from ..deploy import evaluate_coco
    metrics = evaluate_coco(detector, runner.val_dataloader.dataset,
                            runner.cfg.val_evaluator.ann_file)
    return {key.replace('coco/', prefix): value for key, value in metrics.items()}


def evaluate_onnx(runner, checkpoint, onnx_file):
    """Export ``checkpoint`` to ``onnx_file`` and return its COCO metrics in
    ONNX Runtime on the runner's validation set, keys prefixed 'onnx/';
    where installed, also in OpenVINO's bf16 precision (its default on CPUs
    with AMX), 'bf16/', and converted to MNN (``model.mnn`` beside it),
    'mnn/', and to MNN with int8 weights, 'mnn-int8-weights/'."""
    from ..deploy import export_onnx
    export_onnx(runner.cfg, checkpoint, onnx_file)
    metrics = evaluate_engine(runner, onnx_file, 'onnxruntime', 'onnx/')
    metrics.update(evaluate_engine(runner, onnx_file, 'openvino', 'bf16/', 'bf16'))
    from ..runtime.engines import is_installed
    if is_installed('mnn'):
        from ..runtime.mnn import convert_to_mnn
        for weights, prefix in (('fp32', 'mnn/'), ('int8', 'mnn-int8-weights/')):
            mnn_file = osp.join(osp.dirname(onnx_file), MNN_FILES[weights])
            convert_to_mnn(onnx_file, mnn_file, weights)
            metrics.update(evaluate_engine(runner, mnn_file, 'mnn', prefix))
    return metrics


def evaluate_engine(runner, model_file, engine, prefix, precision=None):
    """:func:`evaluate_exported` of ``model_file`` in ``engine``, where the
    engine is installed and the file passes its self-check on this CPU;
    else no metrics, and a line saying why."""
    from ..runtime import Detector, SelfCheckError
    from ..runtime.engines import is_installed
    if not is_installed(engine):
        return {}
    try:
        detector = Detector(model_file, engine, precision=precision)
    except SelfCheckError as error:
        print(f'not evaluated: {error}')
        return {}
    return evaluate_exported(runner, detector, prefix)


def evaluate_int8(runner, onnx_file, int8_file, calib_images=CALIB_IMAGES):
    """Quantize ``onnx_file`` to int8 in ``int8_file``, calibrated on
    ``calib_images`` training images (all, if fewer), and return its COCO
    metrics in ONNX Runtime on the runner's validation set, keys prefixed
    'int8/', and in OpenVINO, 'int8-openvino/'."""
    from ..deploy.quantize import quantize_detector
    count = min(calib_images, len(runner.train_dataloader.dataset))
    quantize_detector(runner.cfg, onnx_file, int8_file, count, 'train')
    metrics = evaluate_engine(runner, int8_file, 'onnxruntime', 'int8/')
    metrics.update(evaluate_engine(runner, int8_file, 'openvino', 'int8-openvino/'))
    return metrics


def default_work_dir(config: str) -> str:
    """mmdet's convention: ``work_dirs/<config name>``."""
    return osp.join('work_dirs', osp.splitext(osp.basename(config))[0])


def check_work_dir(work_dir: str, config: str):
    """A ValueError where ``work_dir`` is a file or holds another config's
    demo (its ``config.py`` names another base): a demo never mixes its
    files with another model's. The same config's demo there is replaced."""
    if osp.exists(work_dir) and not osp.isdir(work_dir):
        raise ValueError(f'--work-dir {work_dir} is a file; allowed: a folder '
                         '(created if missing)')
    check_writable_folder(work_dir, '--work-dir')
    written = osp.join(work_dir, 'config.py')
    if not osp.isfile(written):
        return
    with open(written) as f:
        first = f.readline()
    found = first.partition('=')[2].strip()
    expected = config_reference(config)  # as write_shapes_config wrote it
    if first.startswith('_base_ =') and found != repr(expected):
        raise ValueError(
            f'--work-dir {work_dir} holds the demo of {found} (its config.py), not '
            f'of {expected!r}; allowed: a new folder, or the default for this '
            f'config ({default_work_dir(config)})')


def run_demo(work_dir=None, config=DEMO_CONFIG, max_iters=None,
             seed=0, cfg_options=None, onnx=True, int8=True, **dataset_kwargs):
    """Run the whole demo; return (metrics, checkpoint path, PNG path).

    The dataset is drawn with the config's ``shapes_dataset`` (arguments of
    :func:`generate_shapes_dataset`, e.g. its small-object mode), then
    ``dataset_kwargs``.
    With ``onnx`` and onnxruntime installed, the trained detector is also
    exported to ``{work_dir}/model.onnx`` and evaluated in ONNX Runtime:
    ``metrics['onnx/bbox_mAP']`` beside PyTorch's ``coco/bbox_mAP``; with
    ``int8`` too, that file quantized to ``{work_dir}/model_int8.onnx``
    (:func:`evaluate_int8`): ``metrics['int8/bbox_mAP']``. The metrics, config,
    seed and iterations are also written to ``{work_dir}/metrics.json``. ``work_dir``:
    default :func:`default_work_dir`; refused if it holds another config's
    demo (:func:`check_work_dir`)."""
    start = time.time()
    work_dir = work_dir or default_work_dir(config)
    check_work_dir(work_dir, config)
    cfg = demo_config(work_dir, config, max_iters, cfg_options)
    # A config made for other shapes says so (e.g. the small-object mode).
    dataset_kwargs = dict(cfg.get('shapes_dataset', {}), **dataset_kwargs)
    generate_shapes_dataset(osp.join(work_dir, 'data'), seed=seed, **dataset_kwargs)
    cfg.randomness = dict(seed=seed)
    runner = Runner.from_cfg(cfg)
    keep = KeepMetricsHook()
    runner.register_hook(keep, priority='LOWEST')
    runner.train()
    checkpoint = osp.join(work_dir, f'iter_{runner.iter}.pth')
    png = osp.join(work_dir, 'prediction.png')
    draw_predictions(runner, png)
    if onnx and _onnxruntime_available():
        onnx_file = osp.join(work_dir, 'model.onnx')
        keep.metrics.update(evaluate_onnx(runner, checkpoint, onnx_file))
        if int8:
            keep.metrics.update(evaluate_int8(
                runner, onnx_file, osp.join(work_dir, 'model_int8.onnx')))
    keep.metrics['time_s'] = time.time() - start
    # what a sweep over configs and seeds reads back (tools/sweep_demo.py)
    write_text_atomically(osp.join(work_dir, 'metrics.json'), json.dumps(
        dict(keep.metrics, seed=seed, iters=runner.iter,
             config=config_reference(config)),
        indent=1, default=float))
    return keep.metrics, checkpoint, png


def _onnxruntime_available():
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        print('onnxruntime is not installed: the ONNX export is not evaluated '
              '(pip install onnx onnxruntime, or the package\'s deploy extra)')
        return False
    return True


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--work-dir', help='dataset, logs, checkpoint and PNG go '
                        'here (default: work_dirs/<config name>)')
    parser.add_argument('--config', default=DEMO_CONFIG, help='detector config')
    parser.add_argument('--max-iters', type=int,
                        help='shorter or longer training; the learning-rate '
                        'decay ends with it')
    parser.add_argument('--seed', type=int, default=0,
                        help='seed of the dataset and the training')
    add_config_options(parser)
    parser.add_argument('--no-onnx', action='store_true',
                        help='skip the ONNX export and its evaluation')
    parser.add_argument('--no-int8', action='store_true',
                        help='skip the int8 quantization and its evaluation')
    args = parser.parse_args()
    try:  # before the dataset is generated
        if args.max_iters is not None and args.max_iters < 1:
            raise ValueError(f'--max-iters {args.max_iters}: allowed: 1 or more')
        merge_options(read_config(args.config), args.cfg_options)
        args.work_dir = args.work_dir or default_work_dir(args.config)
        check_work_dir(args.work_dir, args.config)
    except ValueError as error:
        parser.exit(2, f'{parser.prog}: error: {error}\n')
    metrics, checkpoint, png = run_demo(args.work_dir, args.config,
                                        args.max_iters, args.seed,
                                        args.cfg_options, onnx=not args.no_onnx,
                                        int8=not args.no_int8)
    print(f'checkpoint: {checkpoint}\npredictions drawn: {png}')
    minutes = metrics['time_s'] / 60
    if 'coco/bbox_mAP' not in metrics:  # CocoMetric reports nothing then
        print(f'held-out bbox mAP: 0 (no box predicted), {minutes:.1f} min in all')
        return
    print(f"held-out bbox mAP (COCO AP@[.5:.95]): {metrics['coco/bbox_mAP']:.3f} "
          f"(AP50 {metrics['coco/bbox_mAP_50']:.3f}), {minutes:.1f} min in all")
    for prefix, what in exported_results(args.work_dir):
        if f'{prefix}bbox_mAP' in metrics:
            print(f"{what}: bbox mAP {metrics[f'{prefix}bbox_mAP']:.3f} (AP50 "
                  f"{metrics[f'{prefix}bbox_mAP_50']:.3f})")


def exported_results(work_dir):
    """(metrics prefix, what was evaluated) of the exported models, in the
    order the demo prints them beside PyTorch's."""
    onnx_file = osp.join(work_dir, 'model.onnx')
    int8_file = osp.join(work_dir, 'model_int8.onnx')
    return (('onnx/', f'ONNX Runtime, fp32 ({onnx_file})'),
            ('bf16/', f'OpenVINO, bf16 ({onnx_file})'),
            ('mnn/', f'MNN, fp32 ({osp.join(work_dir, MNN_FILES["fp32"])})'),
            ('mnn-int8-weights/', 'MNN, int8 weights computed in fp32 '
             f'({osp.join(work_dir, MNN_FILES["int8"])})'),
            ('int8/', f'ONNX Runtime, int8 ({int8_file})'),
            ('int8-openvino/', f'OpenVINO, int8 ({int8_file})'))


if __name__ == '__main__':
    main()
