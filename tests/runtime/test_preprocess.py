"""The runtime's preprocessing (shufflenet_det.runtime.preprocess) against
its reference, mmdet's own test pipeline: the same batch, bit for bit, and
the same metainfo, for images of several sizes and aspect ratios and every
kind of test-time Resize the configs use."""
import cv2
import numpy as np
import pytest

from shufflenet_det.runtime import ImageError, Preprocess
from pipeline_reference import LOAD, PACK, RESIZES, mmdet_reference

SIZES = [(480, 640), (640, 480), (37, 401), (333, 333), (1, 7)]


@pytest.mark.parametrize('resize', RESIZES)
def test_batch_and_scale_match_mmdet_bit_for_bit(resize, tmp_path):
    pipeline = [LOAD, RESIZES[resize], PACK]
    preprocess = Preprocess(pipeline, (2048, 2048))
    rng = np.random.default_rng(0)
    for height, width in SIZES:
        for ext in ('.png', '.jpg'):
            path = str(tmp_path / f'{height}x{width}{ext}')
            cv2.imwrite(path, rng.integers(0, 256, (height, width, 3), np.uint8))
            if resize == 'scale_factor, area' and height == 1:  # mmdet: cv2 error
                with pytest.raises(ImageError, match='an image of 1x7 resizes to '
                                   r'0x0; allowed'):
                    preprocess(path)
                continue
            batch, meta = preprocess(path)
            expected, expected_meta = mmdet_reference(pipeline, path)
            h, w = expected.shape[1:]
            assert meta['img_shape'] == expected_meta['img_shape'] == (h, w)
            assert meta['ori_shape'] == expected_meta['ori_shape']
            assert meta['scale_factor'] == pytest.approx(
                expected_meta['scale_factor'], abs=0), (resize, height, width)
            np.testing.assert_array_equal(batch[0, :, :h, :w], expected)
            assert not batch[0, :, h:].any() and not batch[0, :, :, w:].any()


@pytest.mark.parametrize('kind', ['gray', 'bgra', 'uint16', 'uint16 gray'])
def test_arrays_are_converted_as_the_same_file_would_be_read(kind, tmp_path):
    """An array in place of a file gives what LoadImageFromFile gives for
    that file: 16-bit, gray and BGRA PNGs are what cv2 writes from them."""
    rng = np.random.default_rng(1)
    shape = {'gray': (50, 70), 'bgra': (50, 70, 4), 'uint16': (50, 70, 3),
             'uint16 gray': (50, 70)}[kind]
    dtype = np.uint16 if 'uint16' in kind else np.uint8
    image = rng.integers(0, np.iinfo(dtype).max + 1, shape, dtype)
    path = str(tmp_path / 'image.png')
    cv2.imwrite(path, image)
    pipeline = [LOAD, RESIZES['keep_ratio 300'], PACK]
    batch, meta = Preprocess(pipeline, (320, 512))(image)
    from_file, file_meta = Preprocess(pipeline, (320, 512))(path)
    np.testing.assert_array_equal(batch, from_file)
    expected, _ = mmdet_reference(pipeline, path)
    h, w = expected.shape[1:]
    np.testing.assert_array_equal(batch[0, :, :h, :w], expected)


@pytest.mark.parametrize('image, message', [
    (np.zeros((20, 20, 3), np.float32), 'dtype float32: floats are ambiguous'),
    (np.zeros((3, 40, 60), np.uint8), r'shape \(3, 40, 60\) \(channels first\?'),
    (np.zeros((0, 10, 3), np.uint8), r'shape \(0, 10, 3\) is empty'),
    (np.zeros((4, 4, 2), np.uint8), r'shape \(4, 4, 2\)'),
    (None, 'image NoneType None: not a numpy array or a path'),
    (np.full((8, 8, 3), 255, np.uint16), r'uint16 with every value below 256 \(max '
     r'255\): read as 16-bit it is black; pass image.astype\(np.uint8\)'),
])
def test_bad_arrays_are_refused_with_what_is_allowed(image, message):
    preprocess = Preprocess([LOAD, RESIZES['fixed 320'], PACK], (320, 320))
    with pytest.raises(ImageError, match=message) as error:
        preprocess(image)
    assert 'allowed: an HxWx3 BGR uint8 array' in str(error.value)


def test_unreadable_files_are_named(tmp_path):
    preprocess = Preprocess([LOAD, RESIZES['fixed 320'], PACK], (320, 320))
    (tmp_path / 'text.jpg').write_text('not an image')
    (tmp_path / 'empty.png').write_bytes(b'')
    for name, what in (('text.jpg', 'not an image OpenCV can decode'),
                       ('empty.png', 'an empty file'),
                       ('missing.png', 'cannot be read')):
        with pytest.raises(ImageError, match=what) as error:
            preprocess(str(tmp_path / name))
        assert str(error.value).startswith(str(tmp_path / name))


def test_unsupported_pipelines_are_refused():
    for step, message in ((dict(type='Resize', scale=(9, 9), backend='pillow'),
                           "backend 'pillow'"),
                          (dict(type='Resize', scale=(9, 9), interpolation='cubic'),
                           "interpolation 'cubic'"),
                          (dict(type='RandomFlip', prob=0.5), 'RandomFlip')):
        with pytest.raises(ValueError, match=message):
            Preprocess([LOAD, step, PACK], (320, 320))
