"""End-to-end time of exported detectors in the torch-free runtime
(:mod:`shufflenet_det.runtime`): a JPEG on disk to boxes in its own pixels,
split into decode, preprocess, inference and postprocess, beside
torchvision's ``fasterrcnn_mobilenet_v3_large_320_fpn`` end to end (its own
transform; eager and exported), in the same run, rounds interleaved, one
process per engine. Also images/s in throughput mode, OpenVINO's bf16 beside
f32 and int8, MNN with fp32, fp16 and int8 weights, and the cold start
(import, load, first image) of the runtime alone and beside the training
stack. Random weights with a silenced RPN (:func:`~.benchmark.silence_rpn`),
as in benchmark_detector."""
import argparse
import functools
import os.path as osp
import subprocess
import sys
import tempfile
import time

import cv2
import numpy as np
import torch

from ..deploy import export_module, export_onnx
from ..deploy.quantize import quantize_model
from ..paths import config_path
from ..runtime import Detector, SelfCheckError, read_image
from .benchmark import (Run, StageSeconds, in_own_process, latency_rounds, measurements,
                        missing_engines, onnx_call, ratios, silence_rpn, spread,
                        write_results)
from .benchmark_detector import TORCHVISION, TorchvisionDetector

DEFAULT_CONFIGS = ('thundernet/thundernet_snet49_cem-80e_coco-320.py',
                   'thundernet/thundernet_snet146_cem-80e_coco-320.py',
                   'demo/faster-rcnn_shufflenet-v1-1x-g3_fpn_shapes.py',
                   'shufflenet_v1/faster-rcnn_shufflenet-v1-1x-g3_c4-1x_coco-300.py')
INT8_CONFIGS = DEFAULT_CONFIGS[:2]
STAGES = ('decode', 'preprocess', 'inference', 'postprocess')
# the runtime as installed alone (the training stack made unimportable), and
# beside the training stack (shufflenet_det.deploy imports it)
TRAINING_STACK = ('torch', 'torchvision', 'mmcv', 'mmengine', 'mmdet')
COLD_START = {
    'runtime, no training stack': f'for name in {TRAINING_STACK}:\n'
    '    sys.modules[name] = None\nfrom shufflenet_det.runtime import Detector as D',
    'runtime beside the training stack': 'import shufflenet_det.deploy\n'
    'from shufflenet_det.runtime import Detector as D'}


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
    def call(path):
        start = time.perf_counter()
        image = read_image(path)
        decoded = time.perf_counter()
        rgb = np.ascontiguousarray(image[..., ::-1].transpose(2, 0, 1)[None],
                                   np.float32) / 255
        prepared = time.perf_counter()
        run(rgb)
        done = time.perf_counter()
        return StageSeconds(decode=decoded - start, preprocess=prepared - decoded,
                            inference=done - prepared, postprocess=0.)
    return call


def runtime_stages(detector):
    def call(path):
        start = time.perf_counter()
        image = read_image(path)
        decoded = time.perf_counter()
        batch, meta = detector.preprocess(image)
        prepared = time.perf_counter()
        outputs = detector.engine.run(batch)
        inferred = time.perf_counter()
        detector.postprocess(*outputs, meta)
        done = time.perf_counter()
        return StageSeconds(decode=decoded - start, preprocess=prepared - decoded,
                            inference=inferred - prepared, postprocess=done - inferred)
    return call


def engine_runs(engine, files):
    """{(name, Run): (file, precision argument)} of what ``engine`` runs of
    the exported ``files``: each file; OpenVINO also in bf16; MNN the fp32
    files converted with each kind of weights (beside them), not int8 ones."""
    from ..runtime import mnn
    runs = {}
    for (name, precision), path in files.items():
        if engine != 'mnn':
            runs[name, Run.onnx(engine, 'onnxruntime' if precision == 'int8'
                                else None)] = path, None
            if engine == 'openvino' and precision == 'fp32':
                runs[name, Run(engine, precision='bf16')] = path, 'bf16'
        elif precision == 'fp32' and name == TORCHVISION:
            runs[name, Run(engine)] = path, None  # converted by onnx_call
        elif precision == 'fp32':
            for weights in mnn.WEIGHTS:
                converted = f'{osp.splitext(path)[0]}_{weights}.mnn'
                mnn.convert_to_mnn(path, converted, weights)
                runs[name, Run(engine, precision=weights if weights == 'fp32'
                               else f'{weights} weights')] = converted, None
    return runs


def time_engine(engine, files, image, threads, repeats, warmup, throughput_images):
    """In one process: a Measurement by stage of every model end to end,
    rounds interleaved, with the images/s of each runtime model in
    throughput mode (and its requests in flight)."""
    torch.set_num_threads(threads)
    calls = {}
    if engine == 'onnxruntime':  # torchvision's eager model, once
        model = TorchvisionDetector(TORCHVISION)
        calls[TORCHVISION, Run('torch', 'eager')] = torchvision_stages(
            lambda x: model(torch.from_numpy(x)))
    runs = engine_runs(engine, files)
    for (name, run), (path, precision) in runs.items():
        if name == TORCHVISION:
            calls[name, run] = torchvision_stages(
                onnx_call(engine, path, threads, precision or 'f32'))
        else:
            try:
                calls[name, run] = runtime_stages(Detector(path, engine, threads,
                                                           precision))
            except SelfCheckError as error:  # wrong boxes are not timed
                print(f'note: {name}, {run}: skipped ({error})', flush=True)
    records = measurements(latency_rounds(
        {key: functools.partial(call, image) for key, call in calls.items()},
        repeats, warmup))
    for record in records:
        if record.model == TORCHVISION or record.run.precision == 'bf16':
            continue
        detector = Detector(runs[record.model, record.run][0], engine, threads,
                            mode='throughput')
        list(detector.map([image] * detector.engine.jobs))  # warm-up
        start = time.perf_counter()
        results = list(detector.map([image] * throughput_images))
        assert all(error is None for _, error in results)
        record.columns.update(
            images_per_s=throughput_images / (time.perf_counter() - start),
            jobs=detector.engine.jobs)
    return records


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


def is_torchvision(record):
    return record.model.startswith('torchvision:')


def print_tables(records, cold):
    best_torchvision = min(record.ms.median for record in records
                           if is_torchvision(record))
    print(f'\nend to end, ms (median of the rounds; min-max); ratio: median / '
          f'torchvision\'s best ({best_torchvision:.1f} ms)')
    print(f'| model | engine | {" | ".join(STAGES)} | total (min-max) | '
          'preprocess share | / torchvision |')
    print('|---' * (len(STAGES) + 5) + '|')
    for record, ratio in zip(records, ratios(records, is_torchvision,
                                             lambda record: None)):
        low, median, high = record.ms
        cells = [f'{record.stages[stage]:.2f}' for stage in STAGES]
        share = record.stages['preprocess'] / median
        print(f'| {record.model} | {record.run} | {" | ".join(cells)} | {median:.1f} '
              f'({low:.1f}-{high:.1f}) | {share:.0%} | {ratio:.2f} |')
    throughput = [record for record in records if 'images_per_s' in record.columns]
    if throughput:
        print('\nthroughput mode: images/s (requests in flight)')
        for record in throughput:
            print(f'  {record.model}, {record.run}: '
                  f'{record.columns["images_per_s"]:.1f} ({record.columns["jobs"]})')
    if cold:
        print('\ncold start (python -c: import, load, first image), s, min-median-max')
        for name, seconds in cold.items():
            low, median, high = spread(seconds)
            print(f'  {name}: {median:.2f} ({low:.2f}-{high:.2f})')


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('configs', nargs='*', default=list(DEFAULT_CONFIGS),
                        help='paths under configs/ (default: ThunderNet SNet49, '
                        'SNet146, the FPN demo, C4 300)')
    parser.add_argument('--engine', nargs='+', default=['onnxruntime', 'openvino'],
                        choices=['onnxruntime', 'openvino', 'mnn'],
                        help='one process each (MNN: fp32, fp16 and int8 weights)')
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
        records = [record for engine in engines for record in in_own_process(
            time_engine, engine, files, image, args.threads, args.repeats,
            args.warmup, args.throughput_images)]
        snet146 = files.get(('thundernet_snet146_cem-80e_coco-320', 'fp32'),
                            next(iter(files.values())))
        cold = (cold_start(snet146, image, args.threads, args.cold_repeats)
                if args.cold_repeats > 0 else {})
    print(f'{args.image_size[0]}x{args.image_size[1]} JPEG, {args.threads} threads, '
          f'{args.repeats} rounds after {args.warmup} warm-up, interleaved')
    print_tables(records, cold)
    if args.json:
        write_results(args.json, records, tool='benchmark_runtime',
                      threads=args.threads, image_size=args.image_size,
                      cold_start=cold)


if __name__ == '__main__':
    main()
