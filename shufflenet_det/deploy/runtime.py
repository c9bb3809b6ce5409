"""Run exported ONNX files: the ONNX Runtime and OpenVINO set-up, and a
detector exported by :func:`shufflenet_det.deploy.export_onnx` in ONNX
Runtime, evaluated with mmdet's CocoMetric."""
import ast
from typing import Dict, Optional, Tuple, Union

import numpy as np
import torch
from mmdet.evaluation import CocoMetric
from mmdet.registry import TRANSFORMS
from mmengine.dataset import Compose

from .onnx_export import CLASSES_KEY, INPUT_NAME, PIPELINE_KEY


def onnxruntime_session(onnx_file: str, threads: Optional[int] = None):
    """An ONNX Runtime CPU session with ``threads`` intra-op threads (default:
    one per core) that do not spin when idle: spinning threads would steal
    the CPU from anything else in the process after each run."""
    import onnxruntime as ort
    options = ort.SessionOptions()
    options.add_session_config_entry('session.intra_op.allow_spinning', '0')
    if threads:
        options.intra_op_num_threads = threads
    return ort.InferenceSession(onnx_file, options, providers=['CPUExecutionProvider'])


def openvino_model(onnx_file: str, threads: Optional[int] = None):
    """``onnx_file`` compiled by OpenVINO for the CPU, in fp32 (its default
    on CPUs with bf16 would round) for the lowest latency of one input."""
    import openvino
    config = {'PERFORMANCE_HINT': 'LATENCY', 'INFERENCE_PRECISION_HINT': 'f32'}
    if threads:
        config['INFERENCE_NUM_THREADS'] = threads
    return openvino.Core().compile_model(onnx_file, 'CPU', config)


def export_metadata(metadata: Dict[str, str], onnx_file: str):
    """(test pipeline, class names) stored by :func:`export_onnx` in the
    metadata (key -> value) of ``onnx_file``; a ValueError for any other
    file."""
    if PIPELINE_KEY not in metadata or CLASSES_KEY not in metadata:
        raise ValueError(f'{onnx_file} has no test pipeline in its metadata, so it '
                         'is not a detector exported by this project; allowed: '
                         'files written by tools/export_onnx.py (or '
                         'tools/quantize_onnx.py)')
    return (ast.literal_eval(metadata[PIPELINE_KEY]),
            ast.literal_eval(metadata[CLASSES_KEY]))


class ExportInput:
    """An image as an exported detector's graph takes it: through the test
    pipeline stored in the file (load, ``Resize``), zero-padded at the bottom
    and right to the graph's input size, as a ``[1, 3, H, W]`` float32 batch.

    Args:
        pipeline (list[dict]): The stored test pipeline (see
            :func:`export_metadata`); its first step loads a file.
        input_shape (tuple[int, int]): (H, W) of the graph's input.
    """

    def __init__(self, pipeline, input_shape):
        self.input_shape = tuple(input_shape)
        from_array = [dict(type='mmdet.LoadImageFromNDArray'), *pipeline[1:]]
        self.pipelines = {
            kind: Compose([TRANSFORMS.build(step) for step in steps])
            for kind, steps in (('path', pipeline), ('array', from_array))}

    def __call__(self, image: Union[str, np.ndarray]) -> Tuple[np.ndarray, dict]:
        """``image``: a file path, or an HxWx3 BGR array as ``cv2.imread``
        gives. Returns the batch and the pipeline's metainfo (``img_shape``,
        ``scale_factor``...)."""
        if isinstance(image, str):
            data = self.pipelines['path'](dict(img_path=image, img_id=0))
        else:
            data = self.pipelines['array'](dict(img=image, img_id=0))
        meta = data['data_samples'].metainfo
        height, width = meta['img_shape']
        if height > self.input_shape[0] or width > self.input_shape[1]:
            raise ValueError(
                f'the image resized to {height}x{width} does not fit the model '
                f'input {self.input_shape[0]}x{self.input_shape[1]}; allowed: '
                'images that fit after the test pipeline\'s Resize (export '
                'with a larger --shape H W)')
        batch = np.zeros((1, 3, *self.input_shape), np.float32)
        batch[0, :, :height, :width] = data['inputs'].numpy()
        return batch, meta


class OnnxDetector:
    """An exported detector in ONNX Runtime: an image in, its boxes out.

    The image goes through the test pipeline of the config it was exported
    from (stored in the file: load, ``Resize``), is zero-padded at the bottom
    and right to the model's input size (:class:`ExportInput`), and the boxes
    come back in the original image's pixels, clipped to the resized image
    first as mmdet does. fp32 and int8 files (``tools/quantize_onnx.py``) alike.

    Args:
        onnx_file (str): Written by ``tools/export_onnx.py`` or
            ``tools/quantize_onnx.py``.
        threads (int, optional): ONNX Runtime intra-op threads (default: its
            own choice, one per core).
    """

    def __init__(self, onnx_file: str, threads: int = None):
        self.session = onnxruntime_session(onnx_file, threads)
        pipeline, self.classes = export_metadata(
            self.session.get_modelmeta().custom_metadata_map, onnx_file)
        self.input_shape = tuple(self.session.get_inputs()[0].shape[2:])
        self.preprocess = ExportInput(pipeline, self.input_shape)

    def __call__(self, image: Union[str, np.ndarray]) -> Dict[str, np.ndarray]:
        """``image``: a file path, or an HxWx3 BGR array as ``cv2.imread``
        gives. Returns ``bboxes`` (N, 4: x1, y1, x2, y2), ``scores`` (N,)
        and ``labels`` (N,)."""
        batch, meta = self.preprocess(image)
        height, width = meta['img_shape']
        dets, labels = self.session.run(None, {INPUT_NAME: batch})
        boxes = dets[0, :, :4].clip(0, [width, height, width, height])
        scale_x, scale_y = meta['scale_factor']
        boxes = boxes / np.array([scale_x, scale_y, scale_x, scale_y], np.float32)
        return dict(bboxes=boxes, scores=dets[0, :, 4], labels=labels[0])


def evaluate_coco(detector: OnnxDetector, dataset, ann_file: str) -> dict:
    """COCO bbox metrics (``coco/bbox_mAP``...) of ``detector`` on every
    image of ``dataset`` (an mmdet CocoDataset), as mmdet's test loop would
    compute them for the PyTorch model."""
    metric = CocoMetric(ann_file=ann_file, metric='bbox')
    metric.dataset_meta = dataset.metainfo
    for index in range(len(dataset)):
        info = dataset.get_data_info(index)
        result = detector(info['img_path'])
        metric.process({}, [dict(
            img_id=info['img_id'], ori_shape=(info['height'], info['width']),
            pred_instances={key: torch.from_numpy(value)
                            for key, value in result.items()})])
    return metric.evaluate(len(dataset))
