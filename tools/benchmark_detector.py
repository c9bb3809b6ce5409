"""Per-image inference time of the Table 7 detectors (C4 at 300 and 600) and
the FPN ones, ShuffleNet vs MobileNet v1 1.0, on the same image, in one run:
backbone (+ neck), RPN and RoI head separately, eager and with
optimize_for_inference ('fast'). Random weights, and the RoI head gets as
many proposals as a trained RPN keeps (test_cfg.rpn.max_per_img): a trained
model takes the same time."""
import argparse
import glob
import os.path as osp
import warnings

import mmcv
import torch
from mmdet.registry import MODELS
from mmdet.testing import demo_mm_inputs
from mmdet.utils import register_all_modules
from mmengine.config import Config

import shufflenet_det  # noqa: F401
from shufflenet_det.paths import config_path, resource_root
from shufflenet_det.tools.benchmark import (check_device, detector_stage_latency,
                                            prepare, random_proposals)

CONFIG_DIR = osp.join(resource_root(), 'configs')
DEFAULT_CONFIGS = sorted(
    osp.relpath(path, CONFIG_DIR)
    for pattern in ('*/*c4-1x_coco-*.py', '*/*fpn-1x_coco-600.py')
    for path in glob.glob(osp.join(CONFIG_DIR, pattern))
    if 'shufflenet_v2' not in path or 'fpn' in path)
BASELINE = 'mobilenet-v1-1.0'
# mmengine imports pkg_resources once per config file it reads
warnings.filterwarnings('ignore', message='pkg_resources is deprecated')


def resize_scale(cfg):
    """The (long, short) scale of the config's test-time Resize."""
    for step in cfg.test_dataloader.dataset.pipeline:
        if step['type'] == 'Resize':
            return step['scale']
    raise ValueError('the config has no Resize step in its test pipeline')


def one_image(model, cfg, image_size):
    """``image_size`` (h, w) resized as the config's test pipeline would,
    through the model's data preprocessor."""
    width, height = mmcv.rescale_size(image_size[::-1], resize_scale(cfg))
    packed = demo_mm_inputs(batch_size=1, image_shapes=[(3, height, width)],
                            num_items=[1])
    return model.data_preprocessor(packed, training=False)


def group_of(config):
    """Configs compared with each other: same head and test scale
    (faster-rcnn_<backbone>_<head and schedule>_<data>.py)."""
    return osp.basename(config).split('_', 2)[2]


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('configs', nargs='*', default=DEFAULT_CONFIGS,
                        help='paths under configs/ (default: Table 7 C4 + FPN)')
    parser.add_argument('--threads', type=int, default=torch.get_num_threads())
    parser.add_argument('--repeats', type=int, default=5)
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--image-size', type=int, nargs=2, default=(480, 640),
                        metavar=('H', 'W'), help='before the test-time resize')
    parser.add_argument('--modes', nargs='+', default=['eager', 'fast'],
                        choices=['eager', 'fast'])
    parser.add_argument('--device', default='cpu', help="'cpu' or 'cuda'")
    args = parser.parse_args()
    check_device(parser, args.device)
    torch.set_num_threads(args.threads)
    register_all_modules()
    detectors = {}
    for config in args.configs:
        try:
            path = config_path(config)
        except FileNotFoundError as error:
            parser.error(str(error))
        cfg = Config.fromfile(path)
        # init_weights() not called: no checkpoints
        model = MODELS.build(cfg.model).to(args.device)
        data = one_image(model, cfg, args.image_size)
        # as many proposals as a trained RPN keeps, the same boxes for all
        proposals = random_proposals(data['data_samples'][0].img_shape,
                                     cfg.model.test_cfg.rpn.max_per_img)
        proposals = proposals.to(args.device)
        for mode in args.modes:
            detectors[(config, mode)] = (prepare(model, mode), data, proposals)

    latency = detector_stage_latency(detectors, args.repeats, args.warmup)
    print(f'{args.device}, threads {args.threads}, '
          f'one {args.image_size[0]}x{args.image_size[1]} '
          f'image resized by each config, median of {args.repeats} after '
          f'{args.warmup} warm-up, RoI head on `proposals` fixed random boxes\n\n'
          '| config | mode | input | proposals | backbone ms | RPN ms | RoI head ms '
          '| total ms | ratio to MobileNet v1 1.0 |\n'
          '|---|---|---|---|---|---|---|---|---|')
    totals = {key: sum(stages[s] for s in ('backbone', 'rpn', 'roi_head'))
              for key, stages in latency.items()}
    baselines = {(group_of(config), mode): total
                 for (config, mode), total in totals.items() if BASELINE in config}
    for (config, mode), stages in latency.items():
        _, data, proposals = detectors[(config, mode)]
        shape = data['data_samples'][0].img_shape  # resized, before padding
        baseline = baselines.get((group_of(config), mode))
        ratio = f'{totals[(config, mode)] / baseline:.2f}' if baseline else '-'
        print(f'| {osp.basename(config)[:-3]} | {mode} | {shape[0]}x{shape[1]} | '
              f'{len(proposals)} | {stages["backbone"]:.1f} | '
              f'{stages["rpn"]:.1f} | {stages["roi_head"]:.1f} | '
              f'{totals[(config, mode)]:.1f} | {ratio} |')


if __name__ == '__main__':
    main()
