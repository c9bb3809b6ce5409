"""An exported detector, from an image to boxes in its original pixels."""
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Dict, Iterable, Iterator, Optional, Tuple, Union

import numpy as np

from .engines import build_engine
from .model_file import PROBE_KEY, export_metadata, read_metadata
from .preprocess import Preprocess, boxes_to_original
from .self_check import check_engine, computes_reduced, say_once

Image = Union[str, np.ndarray]


class Detector:
    """A detector written by ``tools/export_onnx.py`` (or int8 by
    ``tools/quantize_onnx.py``) in ONNX Runtime or OpenVINO.

    The image goes through the test pipeline stored in the file (loaded,
    resized as mmdet resizes it), zero-padded to the graph's input
    (:class:`Preprocess`), and its boxes come back clipped to the resized
    image and rescaled to the original one, as mmdet's ``predict`` returns
    them. Needs only numpy, OpenCV and the engine.

    Where the engine computes below fp32 (an int8 file; OpenVINO in bf16),
    it first runs the probe stored in the file, and a result that disagrees
    with the fp32 one raises :class:`~.self_check.SelfCheckError` instead
    of giving wrong boxes later (:mod:`~.self_check`).

    Args:
        model_file (str): The exported ONNX file.
        engine (str): 'onnxruntime' or 'openvino'.
        threads (int, optional): The engine's threads in all (default: its
            own choice, one per core).
        precision (str, optional): OpenVINO's inference precision, 'f32'
            (default) or 'bf16'.
        mode (str): 'latency' (one image at a time, each as fast as
            possible) or 'throughput' (:meth:`map` keeps several images in
            flight, each on fewer threads).
    """

    def __init__(self, model_file: str, engine: str = 'onnxruntime',
                 threads: Optional[int] = None, precision: Optional[str] = None,
                 mode: str = 'latency'):
        self.model_file = model_file
        metadata = read_metadata(model_file)
        pipeline, self.classes = export_metadata(metadata, model_file)
        self.engine = build_engine(engine, model_file, threads, precision, mode)
        self.input_shape = self.engine.input_shape
        self.preprocess = Preprocess(pipeline, self.input_shape)
        # agreement with the fp32 detections stored in the file, where checked
        self.agreement = check_engine(self.engine, metadata, precision,
                                      f'{model_file} in {engine}')
        if PROBE_KEY not in metadata and computes_reduced(metadata, precision):
            say_once(f'{model_file}: no probe stored in the file, so its {engine} '
                     'results are not checked; export it again (tools/export_onnx.py) '
                     'to have them checked')

    @staticmethod
    def postprocess(dets: np.ndarray, labels: np.ndarray,
                    meta: Dict) -> Dict[str, np.ndarray]:
        """The graph's outputs for one image as ``bboxes`` (N, 4: x1, y1, x2,
        y2 in original pixels), ``scores`` (N,) and ``labels`` (N,)."""
        return dict(bboxes=boxes_to_original(dets[0, :, :4], meta),
                    scores=dets[0, :, 4], labels=labels[0])

    def __call__(self, image: Image) -> Dict[str, np.ndarray]:
        """``image``: a file path, or an HxWx3 BGR uint8 array as
        ``cv2.imread`` gives (see :func:`~.preprocess.as_bgr_image`)."""
        batch, meta = self.preprocess(image)
        return self.postprocess(*self.engine.run(batch), meta)

    def map(self, images: Iterable[Image]) -> Iterator[Tuple[Optional[Dict],
                                                             Optional[Exception]]]:
        """:func:`ordered_map` of the detector over ``images``, with as many
        in flight as its engine runs at once (one in latency mode)."""
        return ordered_map(self, images, self.engine.jobs)


def ordered_map(function: Callable, items: Iterable, jobs: int) -> Iterator[
        Tuple[Any, Optional[ValueError]]]:
    """(``function(item)``, None), or (None, the ValueError it raised: bad
    input, not a failed run), for each of ``items`` in order, computed by
    ``jobs`` threads at once. ``items`` is read only as far as needed (a
    video stream works); engines and OpenCV release the GIL while they run."""
    def attempt(item):
        try:
            return function(item), None
        except ValueError as error:
            return None, error

    if jobs == 1:
        yield from map(attempt, items)
        return
    with ThreadPoolExecutor(jobs) as pool:
        pending = deque()
        for item in items:
            pending.append(pool.submit(attempt, item))
            if len(pending) >= 2 * jobs:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
