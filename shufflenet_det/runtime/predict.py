"""Detect objects in images, folders and videos with an exported detector,
on numpy, OpenCV and ONNX Runtime or OpenVINO alone.

Outputs are laid out as MMDetection's DetInferencer lays them out:
``OUT/vis/<name>`` (the image with the boxes at or above ``--score-thr``,
class names and scores drawn) and ``OUT/preds/<stem>.json`` (every box the
detector returns: ``labels``, ``scores``, ``bboxes`` as x1, y1, x2, y2 in the
image's pixels); a video gives ``OUT/vis/<stem>.mp4`` and
``OUT/preds/<stem>.jsonl``, one line per frame (a video that ends before the
frame count in its header counts as failed, its frames kept). No result
replaces another: inputs that would share an output keep their extension in
it (``a.jpg`` and ``a.png``: ``preds/a.jpg.json``, ``preds/a.png.json``), and
where that is not enough, their paths below the folder they share
(``cam1/x.jpg`` and ``cam2/x.jpg``: ``vis/cam1/x.jpg``,
``preds/cam1/x.jpg.json``). In a reused ``OUT``, a result of the same name
is replaced, others are left. Every file appears whole or not at all, also
when the run is stopped (Ctrl-C, SIGTERM). An input that cannot be read is
named on one line and skipped; the exit status is then 1.
"""
import argparse
import json
import os
import os.path as osp
import signal
import sys
import threading
import time
from collections import Counter
from contextlib import ExitStack, contextmanager
from typing import Dict, List, Optional, Tuple

import cv2
import numpy as np

from ..atomic import (atomic_path, check_writable_folder, write_bytes_atomically,
                      write_text_atomically)
from .detector import Detector, ordered_map
from .engines import ENGINES, OPENVINO_PRECISIONS
from .preprocess import ImageError, read_image
from .self_check import SelfCheckError

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.tif', '.tiff', '.webp')
VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mov', '.mkv', '.webm', '.m4v')
# BGR colours, one per class in turn
PALETTE = [(56, 56, 255), (151, 157, 255), (31, 112, 255), (29, 178, 255),
           (49, 210, 207), (10, 249, 72), (23, 204, 146), (134, 219, 61),
           (211, 188, 0), (255, 149, 0), (255, 56, 132), (203, 56, 255)]


def expand_inputs(inputs: List[str]) -> List[str]:
    """Image and video files of ``inputs``: files as given, folders' files
    with an image or video extension (sorted, not recursive); a file given
    twice, once."""
    files = []
    for path in inputs:
        if osp.isdir(path):
            files += [osp.join(path, name) for name in sorted(os.listdir(path))
                      if name.lower().endswith(IMAGE_EXTENSIONS + VIDEO_EXTENSIONS)]
        else:
            files.append(path)
    unique = {}  # by absolute path, in the order first given
    for path in files:
        unique.setdefault(osp.abspath(path), path)
    return list(unique.values())


def is_video(path: str) -> bool:
    return path.lower().endswith(VIDEO_EXTENSIONS)


def output_names(files: List[str]) -> Dict[str, Tuple[str, str]]:
    """``{input: (vis name, preds name)}``, each unique (see the module's
    docstring): file names; where two inputs would share one, their
    extension kept; where still, their paths below the folder they share."""
    def names(path, keep_extension=False, root=None):
        name = osp.relpath(osp.abspath(path), root) if root else osp.basename(path)
        stem = name if keep_extension else osp.splitext(name)[0]
        if is_video(path):
            return f'{stem}.mp4', f'{stem}.jsonl'
        drawn = name if name.lower().endswith(IMAGE_EXTENSIONS) else f'{name}.jpg'
        return drawn, f'{stem}.json'

    def clashing():
        taken = Counter(name for pair in chosen.values() for name in pair)
        return [path for path in files if any(taken[name] > 1 for name in chosen[path])]

    chosen = {path: names(path) for path in files}
    chosen.update({path: names(path, True) for path in clashing()})
    clash = clashing()
    if clash:
        root = osp.commonpath([osp.dirname(osp.abspath(path)) for path in clash])
        chosen.update({path: names(path, True, root) for path in clash})
    return chosen


def to_json(result: Dict[str, np.ndarray]) -> dict:
    return dict(labels=result['labels'].tolist(), scores=result['scores'].tolist(),
                bboxes=result['bboxes'].tolist())


def draw(image: np.ndarray, result: Dict[str, np.ndarray], classes,
         score_thr: float) -> np.ndarray:
    """``image`` with the boxes scoring at least ``score_thr``, each with
    its class name and score."""
    image = image.copy()
    for box, score, label in zip(result['bboxes'], result['scores'],
                                 result['labels']):
        if score < score_thr:
            continue
        color = PALETTE[int(label) % len(PALETTE)]
        x1, y1, x2, y2 = (int(round(v)) for v in box)
        cv2.rectangle(image, (x1, y1), (x2, y2), color, 2)
        name = classes[label] if 0 <= label < len(classes) else str(label)
        text = f'{name} {score:.2f}'
        (width, height), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, 0.45, 1)
        top = max(y1 - height - 4, 0)
        cv2.rectangle(image, (x1, top), (x1 + width + 2, top + height + 4), color, -1)
        cv2.putText(image, text, (x1 + 1, top + height + 1), cv2.FONT_HERSHEY_SIMPLEX,
                    0.45, (255, 255, 255), 1, cv2.LINE_AA)
    return image


class Progress:
    """``done/total, images/s`` on one line of stderr."""

    def __init__(self, total: Optional[int], what: str):
        self.total, self.what, self.done = total, what, 0
        self.start = time.perf_counter()

    def update(self):
        self.done += 1
        rate = self.done / max(time.perf_counter() - self.start, 1e-9)
        total = f'/{self.total}' if self.total else ''
        sys.stderr.write(f'\r{self.what} {self.done}{total}, {rate:.1f} images/s')
        sys.stderr.flush()

    def close(self):
        if self.done:
            sys.stderr.write('\n')


def predict_images(detector: Detector, paths: List[str], out_dir: str,
                   score_thr: float, names: Dict[str, Tuple[str, str]]) -> List[str]:
    """Predict ``paths`` into ``out_dir``, named by ``names``
    (:func:`output_names`); returns one line per image that failed."""
    def detect(path):
        image = read_image(path)  # decoded once, for the detector and drawing
        return image, detector(image)

    failures, progress = [], Progress(len(paths), 'images')
    for path, (done, error) in zip(
            paths, ordered_map(detect, paths, detector.engine.jobs)):
        progress.update()
        if error is not None:
            failures.append(str(error) if isinstance(error, ImageError) and
                            path in str(error) else f'{path}: {error}')
            continue
        image, result = done
        drawn, preds = names[path]
        write_text_atomically(osp.join(out_dir, 'preds', preds),
                              json.dumps(to_json(result)))
        encoded = cv2.imencode(osp.splitext(drawn)[1],
                               draw(image, result, detector.classes, score_thr))[1]
        write_bytes_atomically(osp.join(out_dir, 'vis', drawn), encoded.tobytes())
    progress.close()
    return failures


def read_frames(capture):
    while True:
        ok, frame = capture.read()
        if not ok:
            return
        yield frame


def predict_video(detector: Detector, path: str, out_dir: str,
                  score_thr: float, names: Tuple[str, str]) -> List[str]:
    """Predict every frame of the video ``path``: an annotated MP4 and one
    JSON line per frame (``names``: theirs below vis/ and preds/), both
    moved into place whole at the end."""
    capture = cv2.VideoCapture(path)
    if not capture.isOpened():
        return [f'{path}: not a video OpenCV can open']
    fps = capture.get(cv2.CAP_PROP_FPS) or 25.0
    progress = Progress(int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) or None,
                        f'{osp.basename(path)}: frames')
    failures, writer = [], None
    with ExitStack() as stack:
        video = stack.enter_context(
            atomic_path(osp.join(out_dir, 'vis', names[0])))
        lines = stack.enter_context(
            atomic_path(osp.join(out_dir, 'preds', names[1])))
        try:
            with open(lines, 'w') as jsonl:
                results = ordered_map(lambda frame: (frame, detector(frame)),
                                      read_frames(capture), detector.engine.jobs)
                for index, (done, error) in enumerate(results):
                    progress.update()
                    if error is not None:
                        failures.append(f'{path} frame {index}: {error}')
                        continue
                    frame, result = done
                    if writer is None:
                        height, width = frame.shape[:2]
                        writer = cv2.VideoWriter(video, cv2.VideoWriter_fourcc(*'mp4v'),
                                                 fps, (width, height))
                    writer.write(draw(frame, result, detector.classes, score_thr))
                    jsonl.write(json.dumps(dict(frame=index, **to_json(result))) + '\n')
        finally:
            if writer is not None:
                writer.release()
            capture.release()
            progress.close()
        if writer is None:
            raise ImageError(f'{path}: a video without a single readable frame')
    if progress.total and progress.done < progress.total:  # kept, but said
        failures.append(f'{path}: ended after {progress.done} of the '
                        f'{progress.total} frames its header lists (a truncated '
                        'file?); the frames read are written')
    return failures


@contextmanager
def terminate_as_interrupt():
    """Within the block, SIGTERM (kill, a scheduler's stop) raises
    KeyboardInterrupt as Ctrl-C does, so files being written are removed and
    the finished ones stay whole; the handler before is restored after."""
    if threading.current_thread() is not threading.main_thread():
        yield  # only the main thread may handle signals
        return
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog='shufflenet-det-predict', description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('model', help='ONNX file written by tools/export_onnx.py '
                        '(or tools/quantize_onnx.py)')
    parser.add_argument('inputs', nargs='+', metavar='INPUT',
                        help='image files, folders of images, video files')
    parser.add_argument('--out-dir', required=True, help='where vis/ and preds/ go '
                        '(made if missing; in a reused one, results of the same '
                        'name are replaced, others left)')
    parser.add_argument('--engine', default='onnxruntime', choices=ENGINES,
                        help='default: onnxruntime')
    parser.add_argument('--threads', type=int, help='inference threads in all '
                        '(default: one per core)')
    parser.add_argument('--score-thr', type=float, default=0.3,
                        help='boxes drawn from this score (default 0.3); the '
                        'JSON keeps every box')
    parser.add_argument('--precision', choices=OPENVINO_PRECISIONS,
                        help='OpenVINO inference precision (default f32)')
    parser.add_argument('--mode', choices=('latency', 'throughput'),
                        default='throughput', help='throughput (default): several '
                        'images in flight; latency: one at a time')
    args = parser.parse_args(argv)
    if args.threads is not None and args.threads < 1:
        parser.error(f'--threads {args.threads}: allowed: 1 or more')
    if not 0 <= args.score_thr <= 1:
        parser.error(f'--score-thr {args.score_thr}: allowed: 0 to 1')
    if osp.exists(args.out_dir) and not osp.isdir(args.out_dir):
        parser.error(f'--out-dir {args.out_dir} is a file; allowed: a folder '
                     '(made if missing)')
    try:
        check_writable_folder(args.out_dir, '--out-dir')
    except ValueError as error:
        parser.error(str(error))
    if args.precision and args.engine != 'openvino':
        parser.error(f'--precision {args.precision} is OpenVINO\'s; allowed with '
                     '--engine openvino')
    try:
        detector = Detector(args.model, args.engine, args.threads, args.precision,
                            args.mode)
    except (ValueError, ImportError, SelfCheckError) as error:  # not a detector;
        # no engine; an engine whose boxes would be wrong on this CPU
        parser.exit(2, f'{parser.prog}: error: {error}\n')
    files = expand_inputs(args.inputs)
    if not files:
        parser.error(f'no images or videos in {" ".join(args.inputs)} (allowed '
                     f'extensions: {" ".join(IMAGE_EXTENSIONS + VIDEO_EXTENSIONS)})')
    for folder in ('vis', 'preds'):
        os.makedirs(osp.join(args.out_dir, folder), exist_ok=True)
    videos = [f for f in files if is_video(f)]
    images = [f for f in files if f not in videos]
    names = output_names(files)
    failures = []
    try:
        with terminate_as_interrupt():
            if images:
                failures += predict_images(detector, images, args.out_dir,
                                           args.score_thr, names)
            for video in videos:
                try:
                    failures += predict_video(detector, video, args.out_dir,
                                              args.score_thr, names[video])
                except ImageError as error:
                    failures.append(str(error))
    except KeyboardInterrupt:
        parser.exit(130, '\ninterrupted: the files written so far are whole; no '
                    'partial file is left\n')
    for failure in failures:
        print(f'failed: {failure}', file=sys.stderr)
    print(f'{len(files) - len(failures)} of {len(files)} inputs predicted into '
          f'{args.out_dir} (vis/, preds/)')
    if failures:
        parser.exit(1, f'{parser.prog}: {len(failures)} of {len(files)} inputs '
                    'failed (named above)\n')


if __name__ == '__main__':
    main()
