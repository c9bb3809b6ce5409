"""An exported detector that checks itself where it runs.

The exporter stores a probe in the file (:data:`PROBE_KEY`): one image as the
graph takes it and the fp32 graph's detections on it, computed in PyTorch.
An int8 file keeps its fp32 file's probe. Where the file is loaded in an
engine that does not compute in fp32 (an int8 file; OpenVINO in bf16), the
engine runs the probe once and its detections are matched to the stored ones
(:func:`agreement`); below the precision's tolerance the detector refuses to
run (:class:`SelfCheckError`) instead of returning wrong boxes.

Engines pick kernels by CPU: OpenVINO's int8 kernels for Intel AMX get some
grouped convolutions wrong, where its AVX-512 VNNI ones are right. oneDNN
reads its ISA cap (``ONEDNN_MAX_CPU_ISA``) once per process, before its first
kernel, so on such a CPU :func:`choose_openvino_isa` runs the probe in a child
process first and, where AMX disagrees, caps this process before OpenVINO
starts (saying so once).
"""
import base64
import json
import os
import subprocess
import sys
from typing import Callable, Dict, Optional, Tuple

import cv2
import numpy as np

from .model_file import PROBE_KEY, QUANTIZED_KEY, WEIGHTS_KEY, read_metadata

# Where an engine computes below fp32, a detection matches the stored one at
# this IoU, and the agreement must reach LEAST_AGREEMENT (times the probe's
# stability): int8 and bf16 move scores and boxes (0.44-0.96 measured on
# untrained detectors calibrated on noise, the hardest case), a broken kernel
# leaves almost nothing matched (0-0.2).
MATCH_IOU = 0.5
LEAST_AGREEMENT = 0.3
# the ISA oneDNN is capped to where AMX disagrees: the last without AMX
ISA_CAP = 'AVX512_CORE_VNNI'
ISA_VARIABLE = 'ONEDNN_MAX_CPU_ISA'
# grey levels of the noise that measures a probe's stability (uniform, +-)
NOISE = 2
CHILD_TIMEOUT = 600  # seconds; a child that hangs counts as disagreeing
# The child's program: this module's main, with the training stack kept out
# (importing the package would register it with mmdet: seconds, not needed)
CHILD = ("import sys\nfor name in ('torch', 'mmdet', 'mmengine', 'mmcv'):\n"
         "    sys.modules[name] = None\n"
         "from shufflenet_det.runtime.self_check import main\nmain()")
_said = set()


class SelfCheckError(RuntimeError):
    """An engine whose detections on the stored probe disagree with the fp32
    reference: its boxes would be wrong."""


class Probe:
    """The probe of a file: ``image`` (HxWx3 uint8 BGR, top-left of the
    input, zeros elsewhere), the fp32 graph's ``dets`` (N, 5) and ``labels``
    (N,) on it, and their ``stability``: the agreement of the fp32 graph's
    detections on the image with a little noise added (:data:`NOISE`) with
    these. A trained detector's detections hardly move (near 1); an untrained
    one's reorder at any change (near 0), and no engine can be judged by
    them: the least agreement asked for is the tolerance times this."""

    def __init__(self, image: np.ndarray, dets: np.ndarray, labels: np.ndarray,
                 stability: float = 1.0):
        self.image, self.dets, self.labels = image, dets, labels
        self.stability = stability

    def batch(self, input_shape: Tuple[int, int]) -> np.ndarray:
        """The graph input holding the image: ``[1, 3, H, W]`` float32."""
        height, width = self.image.shape[:2]
        batch = np.zeros((1, 3, *input_shape), np.float32)
        batch[0, :, :height, :width] = self.image.transpose(2, 0, 1)
        return batch

    def encode(self) -> str:
        """The probe as the metadata value: JSON with the image as PNG."""
        png = cv2.imencode('.png', self.image)[1].tobytes()
        return json.dumps(dict(image=base64.b64encode(png).decode(),
                               dets=np.round(self.dets, 4).tolist(),
                               labels=self.labels.tolist(),
                               stability=round(self.stability, 4)))

    @classmethod
    def decode(cls, text: str) -> 'Probe':
        value = json.loads(text)
        image = cv2.imdecode(np.frombuffer(base64.b64decode(value['image']),
                                           np.uint8), cv2.IMREAD_COLOR)
        return cls(image, np.array(value['dets'], np.float32).reshape(-1, 5),
                   np.array(value['labels'], np.int64), value['stability'])

    def noisy_image(self) -> np.ndarray:
        """The image with :data:`NOISE` added, the same every time."""
        noise = np.random.default_rng(0).integers(-NOISE, NOISE + 1, self.image.shape)
        return np.clip(self.image + noise, 0, 255).astype(np.uint8)


def _iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """IoU of ``box`` with each of ``boxes``, sides under 1 px taken as 1 px
    (a box clipped flat at an image edge still overlaps its neighbours)."""
    def at_least_1px(b):
        return np.concatenate([b[..., :2], np.maximum(b[..., 2:], b[..., :2] + 1)], -1)

    box, boxes = at_least_1px(box), at_least_1px(boxes)
    top_left = np.maximum(box[:2], boxes[:, :2])
    bottom_right = np.minimum(box[2:], boxes[:, 2:])
    inter = np.prod(np.clip(bottom_right - top_left, 0, None), axis=1)
    area = np.prod(box[2:] - box[:2])
    areas = np.prod(boxes[:, 2:] - boxes[:, :2], axis=1)
    return inter / (area + areas - inter)


def agreement(reference: Tuple[np.ndarray, np.ndarray],
              result: Tuple[np.ndarray, np.ndarray], iou: float) -> float:
    """How far ``result`` (dets (N, 5), labels (N,)) reproduces
    ``reference``, 0 to 1: each reference detection, by decreasing score,
    matched to the unmatched result detection of its label that overlaps it
    most (at least ``iou``); the matched pairs' smaller scores summed, over
    the larger of the two score totals. 1 for the same detections, 0 for
    none where some are expected, and low for boxes where none are; 1 when
    both are empty."""
    (ref_dets, ref_labels), (dets, labels) = reference, result
    total = max(ref_dets[:, 4].sum(), dets[:, 4].sum())
    if total <= 0:
        return 1.0
    free = np.ones(len(dets), bool)
    matched = 0.0
    for index in np.argsort(-ref_dets[:, 4]):
        candidates = np.flatnonzero(free & (labels == ref_labels[index]))
        if not len(candidates):
            continue
        overlaps = _iou(ref_dets[index, :4], dets[candidates, :4])
        best = overlaps.argmax()
        if overlaps[best] >= iou:
            free[candidates[best]] = False
            matched += min(ref_dets[index, 4], dets[candidates[best], 4])
    return float(matched / total)


def read_probe(metadata: Dict[str, str]) -> Optional[Probe]:
    """The probe stored in a file's metadata, or None (an older export)."""
    return Probe.decode(metadata[PROBE_KEY]) if PROBE_KEY in metadata else None


def computes_reduced(metadata: Dict[str, str], precision: Optional[str]) -> bool:
    """Whether an engine runs the file below fp32: an int8 file, an MNN
    file with fp16 or int8 weights, or bf16."""
    return (QUANTIZED_KEY in metadata or metadata.get(WEIGHTS_KEY, 'fp32') != 'fp32'
            or precision == 'bf16')


def cpu_flags() -> set:
    """The CPU's feature flags as Linux lists them (empty elsewhere)."""
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('flags'):
                    return set(line.split(':', 1)[1].split())
    except OSError:
        pass
    return set()


def cpu_description() -> str:
    """The ISA oneDNN is allowed in this process, for messages: 'AMX'
    (``amx_int8``), 'AVX-512 VNNI', ..., with the cap if one is set."""
    flags = cpu_flags()
    names = [name for flag, name in (('amx_int8', 'AMX'),
                                     ('avx512_vnni', 'AVX-512 VNNI'),
                                     ('avx512f', 'AVX-512'), ('avx2', 'AVX2'))
             if flag in flags]
    found = f'CPU with {names[0]}' if names else 'CPU'
    cap = os.environ.get(ISA_VARIABLE)
    return f'{found}, {ISA_VARIABLE}={cap}' if cap else found


def check_detections(run: Callable[[np.ndarray], Tuple[np.ndarray, np.ndarray]],
                     probe: Probe, input_shape: Tuple[int, int], what: str) -> float:
    """Run ``probe`` through ``run`` (a batch -> (dets, labels)) and return
    its :func:`agreement` with the stored detections; a
    :class:`SelfCheckError` naming ``what`` (the file and engine) and the
    CPU where it is below LEAST_AGREEMENT times the probe's stability, or
    where one of the two has no detection and the other has some (what a
    broken kernel gives, whatever the stability)."""
    least = round(LEAST_AGREEMENT * probe.stability, 2)
    dets, labels = run(probe.batch(input_shape))
    found = agreement((probe.dets, probe.labels), (dets[0], labels[0]), MATCH_IOU)
    if found < least or (len(dets[0]) == 0) != (len(probe.dets) == 0):
        cap = (f'start the process with {ISA_VARIABLE}={ISA_CAP} (OpenVINO), '
               if 'amx_int8' in cpu_flags() else '')
        raise SelfCheckError(
            f'{what} on this {cpu_description()} disagrees with the fp32 detections '
            f'stored in the file (agreement {found:.2f}, allowed: {least} or more; '
            f'{len(dets[0])} boxes where {len(probe.dets)} are expected): its boxes '
            f'would be wrong. Workaround: {cap}use the other engine, or the fp32 file')
    return found


def check_engine(engine, metadata: Dict[str, str], precision: Optional[str],
                 what: str) -> Optional[float]:
    """The self-check of a file (its ``metadata``) loaded in ``engine`` (a
    runtime engine: ``run``, ``input_shape``) in ``precision``: the
    agreement of :func:`check_detections`, or None where the engine computes
    in fp32 or the file has no probe (nothing to check)."""
    if PROBE_KEY not in metadata or not computes_reduced(metadata, precision):
        return None  # (the probe's PNG is decoded only where it is run)
    return check_detections(engine.run, read_probe(metadata), engine.input_shape,
                            what)


def say_once(message: str):
    if message not in _said:
        _said.add(message)
        print(message, file=sys.stderr, flush=True)


def openvino_agrees_in_child(path: str, precision: str) -> bool:
    """Whether OpenVINO in a fresh process, with oneDNN's ISA as this process
    would start it, runs ``path`` in ``precision`` to the probe's detections
    (a crash, a load error and a hang count as no)."""
    command = [sys.executable, '-c', CHILD, path, '--precision', precision]
    try:
        return subprocess.run(command, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL,
                              timeout=CHILD_TIMEOUT).returncode == 0
    except subprocess.TimeoutExpired:
        return False


def choose_openvino_isa(path: str, precision: str, started: bool,
                        agrees_in_child: Callable[[str, str], bool] = None):
    """Before OpenVINO compiles ``path`` in this process: on a CPU with AMX,
    where the file runs below fp32 and nobody capped oneDNN's ISA, find out
    in a child process whether AMX's kernels reproduce the probe; if not, cap
    this process to :data:`ISA_CAP` and say so once. ``started``: OpenVINO
    already ran in this process (its ISA is fixed: nothing to choose)."""
    if started or ISA_VARIABLE in os.environ or 'amx_int8' not in cpu_flags():
        return
    metadata = read_metadata(path)
    if PROBE_KEY not in metadata or not computes_reduced(metadata, precision):
        return
    if (agrees_in_child or openvino_agrees_in_child)(path, precision):
        return
    os.environ[ISA_VARIABLE] = ISA_CAP
    say_once(f'{path}: OpenVINO\'s AMX kernels disagree with the fp32 detections '
             f'stored in the file; this process runs OpenVINO with '
             f'{ISA_VARIABLE}={ISA_CAP} (AVX-512 VNNI kernels)')


def main(argv=None):
    """Exit 0 where OpenVINO runs the file to its probe, 1 where not."""
    import argparse

    from .engines import OpenVINOEngine
    parser = argparse.ArgumentParser(prog='python -m shufflenet_det.runtime.self_check')
    parser.add_argument('model')
    parser.add_argument('--precision', default='f32')
    args = parser.parse_args(argv)
    engine = OpenVINOEngine(args.model, precision=args.precision, choose_isa=False)
    try:
        check_engine(engine, read_metadata(args.model), args.precision, args.model)
    except SelfCheckError as error:
        parser.exit(1, f'{error}\n')


if __name__ == '__main__':
    main()
