"""End-to-end time of exported detectors in the torch-free runtime
(:mod:`shufflenet_det.runtime`): a JPEG on disk to boxes in its own pixels,
split into decode, preprocess, inference and postprocess, beside
torchvision's ``fasterrcnn_mobilenet_v3_large_320_fpn`` end to end (its own
transform; eager and exported), in the same run, rounds interleaved, one
process per engine. Also images/s in throughput mode, OpenVINO's bf16 beside
f32 and int8, and the cold start (import, load, first image) of the runtime
against :class:`shufflenet_det.deploy.OnnxDetector`. Random weights with a
silenced RPN (:func:`~.benchmark.silence_rpn`), as in benchmark_detector."""
import argparse
import json
import os.path as osp
import subprocess
import sys
import tempfile
import time

import cv2
import numpy as np
import torch

from ..atomic import write_text_atomically
from ..deploy import export_module, export_onnx
from ..deploy.quantize import quantize_model
from ..paths import config_path
from ..runtime import Detector, read_image
from .benchmark import in_own_process, missing_engines, onnx_call, silence_rpn, spread
from .benchmark_detector import TORCHVISION, TorchvisionDetector

DEFAULT_CONFIGS = ('thundernet/thundernet_snet49_cem-80e_coco-320.py',
                   'thundernet/thundernet_snet146_cem-80e_coco-320.py',
                   'demo/faster-rcnn_shufflenet-v1-1x-g3_fpn_shapes.py',
                   'shufflenet_v1/faster-rcnn_shufflenet-v1-1x-g3_c4-1x_coco-300.py')
INT8_CONFIGS = DEFAULT_CONFIGS[:2]
STAGES = ('decode', 'preprocess', 'inference', 'postprocess')
# the runtime as installed alone (the training stack made unimportable), and
# OnnxDetector, which imports it
TRAINING_STACK = ('torch', 'torchvision', 'mmcv', 'mmengine', 'mmdet')
COLD_START = {
    'runtime, no training stack': f'for name in {TRAINING_STACK}:\n'
    '    sys.modules[name] = None\nfrom shufflenet_det.runtime import Detector as D',
    'OnnxDetector': 'from shufflenet_det.deploy import OnnxDetector as D'}


def export_models(configs, image, folder, int8):
    """{(name, precision): ONNX file}: each config's detector with random
    weights and a silenced RPN, exported as tools/export_onnx.py does (and
    int8, calibrated on ``image``); torchvision's, exported for the image's
    size with its transform inside."""
    from mmdet.apis import init_detector
    files = {}
    for config in configs:
        model = silence_rpn(init_detector(config_path(config), None, device='cpu'))
        checkpoint = osp.join(folder, 'weights.pth')
        torch.save(dict(state_dict=model.state_dict()), checkpoint)
        name = osp.splitext(osp.basename(config))[0]
        files[name, 'fp32'] = osp.join(folder, f'{name}.onnx')
        export_onnx(config_path(config), checkpoint, files[name, 'fp32'])
        if config in int8:
            detector = Detector(files[name, 'fp32'])
            files[name, 'int8'] = osp.join(folder, f'{name}_int8.onnx')
            quantize_model(files[name, 'fp32'], files[name, 'int8'],
                           [detector.preprocess(image)[0]])
    rgb = torch.from_numpy(read_image(image)[..., ::-1] / 255.).float()
    files[TORCHVISION, 'fp32'] = osp.join(folder, 'torchvision.onnx')
    export_module(TorchvisionDetector(TORCHVISION), rgb.permute(2, 0, 1)[None],
                  files[TORCHVISION, 'fp32'])
    return files


def torchvision_stages(run):
    """The stages of torchvision's detector end to end: decode, to an RGB
    float tensor, ``run`` (its transform, network and postprocessing)."""
    def call(path, record):
        start = time.perf_counter()
        image = read_image(path)
        decoded = time.perf_counter()
        rgb = np.ascontiguousarray(image[..., ::-1].transpose(2, 0, 1)[None],
                                   np.float32) / 255
        prepared = time.perf_counter()
        run(rgb)
        done = time.perf_counter()
        record(decode=decoded - start, preprocess=prepared - decoded,
               inference=done - prepared, postprocess=0.)
    return call


def runtime_stages(detector):
    def call(path, record):
        start = time.perf_counter()
        image = read_image(path)
        decoded = time.perf_counter()
        batch, meta = detector.preprocess(image)
        prepared = time.perf_counter()
        outputs = detector.engine.run(batch)
        inferred = time.perf_counter()
        detector.postprocess(*outputs, meta)
        done = time.perf_counter()
        record(decode=decoded - start, preprocess=prepared - decoded,
               inference=inferred - prepared, postprocess=done - inferred)
    return call


def rounds(calls, times, image, repeats, warmup):
    """Each of ``calls`` on ``image``, interleaved round by round; the ms of
    each stage after ``warmup`` rounds appended to ``times``."""
    for round_ in range(warmup + repeats):
        for key, call in calls.items():
            def record(**seconds):
                if round_ >= warmup:
                    for stage, value in seconds.items():
                        times[key][stage].append(1000 * value)
            call(image, record)


def time_engine(engine, files, image, threads, repeats, warmup, throughput_images):
    """In one process: ms per stage of every model end to end, rounds
    interleaved, and images/s of each runtime model in throughput mode."""
    torch.set_num_threads(threads)
    calls = {}
    if engine == 'onnxruntime':  # torchvision's eager model, once
        model = TorchvisionDetector(TORCHVISION)
        calls[TORCHVISION, 'torch eager fp32'] = torchvision_stages(
            lambda x: model(torch.from_numpy(x)))
    for (name, precision), path in files.items():
        variants = [precision] + (['bf16'] if engine == 'openvino'
                                  and precision == 'fp32' else [])
        for variant in variants:
            key = (name, f'{engine} {variant}')
            if name == TORCHVISION:
                calls[key] = torchvision_stages(
                    onnx_call(engine, path, threads,
                              'bf16' if variant == 'bf16' else 'f32'))
                continue
            detector = Detector(path, engine, threads,
                                'bf16' if variant == 'bf16' else None)
            calls[key] = runtime_stages(detector)
    times = {key: {stage: [] for stage in STAGES} for key in calls}
    with torch.inference_mode():
        rounds(calls, times, image, repeats, warmup)
    rates = {}
    for (name, precision), path in files.items():
        if name == TORCHVISION:
            continue
        detector = Detector(path, engine, threads, mode='throughput')
        list(detector.map([image] * detector.engine.jobs))  # warm-up
        start = time.perf_counter()
        results = list(detector.map([image] * throughput_images))
        assert all(error is None for _, error in results)
        rates[name, f'{engine} {precision}'] = (
            throughput_images / (time.perf_counter() - start), detector.engine.jobs)
    return times, rates


def cold_start(path, image, threads, repeats):
    """Seconds from a fresh Python to the first image's boxes, for each of
    COLD_START, interleaved ``repeats`` times."""
    seconds = {name: [] for name in COLD_START}
    for _ in range(repeats):
        for name, line in COLD_START.items():
            code = (f'import sys\n{line}\nD(sys.argv[1], threads={threads})'
                    '(sys.argv[2])')
            start = time.perf_counter()
            subprocess.run([sys.executable, '-c', code, path, image], check=True,
                           capture_output=True)
            seconds[name].append(time.perf_counter() - start)
    return seconds


def write_image(folder, size):
    """A 480x640 (``size``) JPEG of smooth random shapes on disk."""
    rng = np.random.default_rng(0)
    image = cv2.GaussianBlur(rng.integers(0, 256, (*size, 3), np.uint8), (0, 0), 3)
    for _ in range(12):
        x, y = rng.integers(0, size[1]), rng.integers(0, size[0])
        cv2.circle(image, (int(x), int(y)), int(rng.integers(10, 80)),
                   rng.integers(0, 256, 3).tolist(), -1)
    path = osp.join(folder, 'image.jpg')
    cv2.imwrite(path, image, [cv2.IMWRITE_JPEG_QUALITY, 90])
    return path


def print_tables(times, rates, cold):
    totals = {key: spread([sum(v) for v in zip(*stages.values())])
              for key, stages in times.items()}
    best_torchvision = min(total[1] for key, total in totals.items()
                           if key[0].startswith('torchvision:'))
    print(f'\nend to end, ms (median of the rounds; min-max); ratio: median / '
          f'torchvision\'s best ({best_torchvision:.1f} ms)')
    print(f'| model | engine | {" | ".join(STAGES)} | total (min-max) | '
          'preprocess share | / torchvision |')
    print('|---' * (len(STAGES) + 5) + '|')
    for key, stages in times.items():
        name, run_as = key
        low, median, high = totals[key]
        cells = [f'{spread(stages[stage])[1]:.2f}' for stage in STAGES]
        share = spread(stages['preprocess'])[1] / median
        print(f'| {name} | {run_as} | {" | ".join(cells)} | {median:.1f} '
              f'({low:.1f}-{high:.1f}) | {share:.0%} | '
              f'{median / best_torchvision:.2f} |')
    if rates:
        print('\nthroughput mode: images/s (requests in flight)')
        for key, (rate, jobs) in rates.items():
            print(f'  {key[0]}, {key[1]}: {rate:.1f} ({jobs})')
    if cold:
        print('\ncold start (python -c: import, load, first image), s, min-median-max')
        for name, seconds in cold.items():
            low, median, high = spread(seconds)
            print(f'  {name}: {median:.2f} ({low:.2f}-{high:.2f})')
    return totals


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('configs', nargs='*', default=list(DEFAULT_CONFIGS),
                        help='paths under configs/ (default: ThunderNet SNet49, '
                        'SNet146, the FPN demo, C4 300)')
    parser.add_argument('--engine', nargs='+', default=['onnxruntime', 'openvino'],
                        choices=['onnxruntime', 'openvino'])
    parser.add_argument('--threads', type=int, default=torch.get_num_threads())
    parser.add_argument('--repeats', type=int, default=20)
    parser.add_argument('--warmup', type=int, default=3)
    parser.add_argument('--image-size', type=int, nargs=2, default=(480, 640),
                        metavar=('H', 'W'))
    parser.add_argument('--throughput-images', type=int, default=40)
    parser.add_argument('--cold-repeats', type=int, default=3,
                        help='cold starts of each kind (0: none)')
    parser.add_argument('--no-int8', action='store_true')
    parser.add_argument('--json', help='also write the measurements here')
    args = parser.parse_args()
    for config in args.configs:
        try:
            config_path(config)
        except FileNotFoundError as error:
            parser.error(str(error))
    for missing in missing_engines(args.engine):
        print(f'note: {missing} is not installed, skipped (pip install {missing})')
    engines = [e for e in args.engine if e not in missing_engines(args.engine)]
    if not engines:
        parser.error('none of --engine is installed')
    with tempfile.TemporaryDirectory() as folder:
        image = write_image(folder, tuple(args.image_size))
        files = export_models(args.configs, image, folder,
                              () if args.no_int8 else INT8_CONFIGS)
        times, rates = {}, {}
        for engine in engines:
            engine_times, engine_rates = in_own_process(
                time_engine, engine, files, image, args.threads, args.repeats,
                args.warmup, args.throughput_images)
            times.update(engine_times)
            rates.update(engine_rates)
        snet146 = files.get(('thundernet_snet146_cem-80e_coco-320', 'fp32'),
                            next(iter(files.values())))
        cold = (cold_start(snet146, image, args.threads, args.cold_repeats)
                if args.cold_repeats > 0 else {})
    print(f'{args.image_size[0]}x{args.image_size[1]} JPEG, {args.threads} threads, '
          f'{args.repeats} rounds after {args.warmup} warm-up, interleaved')
    totals = print_tables(times, rates, cold)
    if args.json:
        def named(table):  # JSON keys are strings
            return {' | '.join(key): value for key, value in table.items()}
        write_text_atomically(args.json, json.dumps(dict(
            times=named(times), totals=named(totals), throughput=named(rates),
            cold_start=cold,
            threads=args.threads, image_size=args.image_size), indent=1))


if __name__ == '__main__':
    main()
