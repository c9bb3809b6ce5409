"""The test pipeline an exporter stores in the file, run on numpy and OpenCV
alone: ``LoadImageFromFile`` and ``Resize`` exactly as mmcv / mmdet compute
them (the same size rounding, OpenCV interpolation, scale factors), then the
zero padding the fixed-size graph takes. Boxes go back the same way.
"""
from typing import Dict, Sequence, Tuple, Union

import cv2
import numpy as np

# mmcv.image.geometric.cv2_interp_codes
INTERPOLATIONS = {'nearest': cv2.INTER_NEAREST, 'bilinear': cv2.INTER_LINEAR,
                  'bicubic': cv2.INTER_CUBIC, 'area': cv2.INTER_AREA,
                  'lanczos': cv2.INTER_LANCZOS4}
# steps that do nothing to the image at test time
IGNORED_STEPS = ('LoadAnnotations', 'PackDetInputs')
SUPPORTED = 'LoadImageFromFile(color_type=\'color\'), Resize (cv2), PackDetInputs'


class ImageError(ValueError):
    """An image the detector cannot take; the message names it."""


def _step_type(step: dict) -> str:
    return step['type'].split('.')[-1]  # 'mmdet.Resize' -> 'Resize'


def _scale_size(size: Tuple[int, int], scale) -> Tuple[int, int]:
    """mmcv's ``_scale_size``: (w, h) times ``scale``, rounded half up."""
    scale_x, scale_y = (scale, scale) if isinstance(scale, (int, float)) else scale
    return int(size[0] * float(scale_x) + 0.5), int(size[1] * float(scale_y) + 0.5)


class Resize:
    """mmdet's test-time ``Resize`` (``scale`` or ``scale_factor``,
    ``keep_ratio``, ``interpolation``; the cv2 backend) on an HxWxC array."""

    def __init__(self, scale=None, scale_factor=None, keep_ratio=False,
                 interpolation='bilinear', backend='cv2', **unused):
        if backend != 'cv2':
            raise ValueError(f"Resize backend {backend!r} is not supported; "
                             "allowed: 'cv2'")
        if interpolation not in INTERPOLATIONS:
            raise ValueError(f'Resize interpolation {interpolation!r} is not '
                             f'supported; allowed: {", ".join(INTERPOLATIONS)}')
        if scale is None and scale_factor is None:
            raise ValueError('Resize has neither scale nor scale_factor')
        self.scale = (scale, scale) if isinstance(scale, int) else (
            tuple(scale) if scale is not None else None)
        self.scale_factor = scale_factor
        self.keep_ratio = keep_ratio
        self.interpolation = INTERPOLATIONS[interpolation]

    def target_size(self, height: int, width: int) -> Tuple[int, int]:
        """(w, h) of an image of ``height`` x ``width`` after the resize."""
        scale = self.scale or _scale_size((width, height), self.scale_factor)
        if not self.keep_ratio:
            return scale
        factor = min(max(scale) / max(height, width), min(scale) / min(height, width))
        return _scale_size((width, height), factor)

    def __call__(self, image: np.ndarray) -> Tuple[np.ndarray, Tuple[float, float]]:
        """The resized image and its (w, h) scale factors, as mmdet's
        ``scale_factor``."""
        height, width = image.shape[:2]
        size = self.target_size(height, width)
        if min(size) < 1:
            raise ImageError(f'an image of {height}x{width} resizes to '
                             f'{size[1]}x{size[0]}; allowed: images that keep at '
                             'least 1 pixel a side')
        resized = cv2.resize(image, size, interpolation=self.interpolation)
        return resized, (size[0] / width, size[1] / height)


def read_image(path: str) -> np.ndarray:
    """``path`` decoded as ``LoadImageFromFile`` decodes it (OpenCV,
    ``IMREAD_COLOR``: 8-bit BGR, EXIF orientation applied); an
    :class:`ImageError` naming the file if it cannot be."""
    try:
        data = np.fromfile(path, np.uint8)
    except OSError as error:
        raise ImageError(f'{path}: cannot be read ({error.strerror})') from None
    image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if image is None:
        raise ImageError(f'{path}: not an image OpenCV can decode'
                         + (' (an empty file)' if not data.size else ''))
    return image


def as_bgr_image(image) -> np.ndarray:
    """An array given in place of a file, checked and converted to what
    ``IMREAD_COLOR`` gives for such a file: HxW or HxWx1 (gray) and HxWx4
    (BGRA) to HxWx3, uint16 to uint8 (the high byte). Anything else is an
    :class:`ImageError` naming the value and what is allowed, as is a
    uint16 array whose values all fit in 8 bits (its high byte, black, is
    surely not what was meant)."""
    allowed = ('allowed: an HxWx3 BGR uint8 array as cv2.imread gives (HxW gray, '
               'HxWx4 BGRA and uint16 are converted)')
    if not isinstance(image, np.ndarray):
        raise ImageError(f'image {type(image).__name__} {image!r:.40}: not a numpy '
                         f'array or a path; {allowed}')
    if image.dtype == np.uint16:
        if image.size and image.max() < 256:  # 8-bit values: the high byte is 0
            raise ImageError(
                f'image uint16 with every value below 256 (max {image.max()}): '
                'read as 16-bit it is black; pass image.astype(np.uint8) for '
                f'8-bit values; {allowed}')
        image = (image >> 8).astype(np.uint8)  # what imdecode does with 16 bits
    elif image.dtype != np.uint8:
        raise ImageError(f'image dtype {image.dtype}: floats are ambiguous (0-1 or '
                         f'0-255); {allowed}, e.g. (image * 255).astype(np.uint8)')
    channels = image.shape[2] if image.ndim == 3 else 1
    if image.ndim not in (2, 3) or channels not in (1, 3, 4):
        hint = (' (channels first? pass image.transpose(1, 2, 0))'
                if image.ndim == 3 and image.shape[0] in (1, 3, 4) else '')
        raise ImageError(f'image of shape {image.shape}{hint}; {allowed}')
    if image.size == 0:
        raise ImageError(f'image of shape {image.shape} is empty; {allowed}')
    if channels == 1:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if channels == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    return image


class Preprocess:
    """An image as the exported graph takes it: loaded and resized by the
    stored test pipeline, zero-padded at the bottom and right to the graph's
    input, as a ``[1, 3, H, W]`` float32 BGR 0-255 batch (normalisation is in
    the graph).

    Args:
        pipeline (list[dict]): The test pipeline stored in the file.
        input_shape (tuple[int, int]): (H, W) of the graph's input.
    """

    def __init__(self, pipeline: Sequence[dict], input_shape: Tuple[int, int]):
        self.input_shape = tuple(int(side) for side in input_shape)
        self.resize = None
        for step in pipeline:
            kind = _step_type(step)
            options = {k: v for k, v in step.items() if k != 'type'}
            if kind == 'LoadImageFromFile':
                if options.get('color_type', 'color') != 'color' or options.get(
                        'imdecode_backend', 'cv2') != 'cv2':
                    raise ValueError(f'test pipeline step {step} is not supported; '
                                     f'allowed: {SUPPORTED}')
            elif kind == 'Resize' and self.resize is None:
                self.resize = Resize(**options)
            elif kind not in IGNORED_STEPS:
                raise ValueError(f'test pipeline step {step} is not supported; '
                                 f'allowed: {SUPPORTED}')

    def __call__(self, image: Union[str, np.ndarray]) -> Tuple[np.ndarray, Dict]:
        """``image``: a file path, or an array (:func:`as_bgr_image`).
        Returns the batch and ``ori_shape``, ``img_shape`` (resized, (h, w))
        and ``scale_factor`` ((w, h), as mmdet's)."""
        image = read_image(image) if isinstance(image, str) else as_bgr_image(image)
        meta = dict(ori_shape=image.shape[:2], scale_factor=(1.0, 1.0))
        if self.resize is not None:
            image, meta['scale_factor'] = self.resize(image)
        height, width = meta['img_shape'] = image.shape[:2]
        if height > self.input_shape[0] or width > self.input_shape[1]:
            raise ImageError(
                f'the image resized to {height}x{width} does not fit the model '
                f'input {self.input_shape[0]}x{self.input_shape[1]}; allowed: '
                'images that fit after the test pipeline\'s Resize (export '
                'with a larger --shape H W)')
        batch = np.zeros((1, 3, *self.input_shape), np.float32)
        batch[0, :, :height, :width] = image.transpose(2, 0, 1)
        return batch, meta


def boxes_to_original(boxes: np.ndarray, meta: Dict) -> np.ndarray:
    """Boxes (N, 4: x1, y1, x2, y2) in graph-input pixels clipped to the
    resized image and divided by its scale factors, as mmdet's ``predict``
    with ``rescale=True`` returns them."""
    height, width = meta['img_shape']
    scale_x, scale_y = meta['scale_factor']
    boxes = boxes.clip(0, np.array([width, height, width, height], boxes.dtype))
    return boxes / np.array([scale_x, scale_y, scale_x, scale_y], np.float32)
