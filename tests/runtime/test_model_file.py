"""What shufflenet_det.runtime reads from an exported file without the onnx
package: the metadata, and one clear error for files that are no detector."""
import re

import pytest

from shufflenet_det.runtime import Detector, ModelFileError
from shufflenet_det.runtime.model_file import read_export_metadata, read_metadata

onnx = pytest.importorskip('onnx')


def test_metadata_is_read_as_onnx_reads_it(c4_model):
    model = onnx.load(c4_model[1])
    assert read_metadata(c4_model[1]) == {p.key: p.value for p in model.metadata_props}
    pipeline, classes = read_export_metadata(c4_model[1])
    assert [step['type'] for step in pipeline] == [
        'LoadImageFromFile', 'Resize', 'PackDetInputs']
    assert len(classes) == 80


def test_files_that_are_no_exported_detector_are_named(c4_model, tmp_path):
    data = open(c4_model[1], 'rb').read()
    (tmp_path / 'truncated.onnx').write_bytes(data[:len(data) // 2])
    (tmp_path / 'text.onnx').write_text('hello, this is not a model\n' * 10)
    (tmp_path / 'empty.onnx').write_bytes(b'')
    (tmp_path / 'folder.onnx').mkdir()
    plain = onnx.load(c4_model[1])
    del plain.metadata_props[:]
    onnx.save(plain, str(tmp_path / 'plain.onnx'))
    for name, what in (('truncated.onnx', 'is a truncated ONNX file'),
                       ('text.onnx',
                        "is not an ONNX model file (it starts with b'hello"),
                       ('empty.onnx', 'is an empty file'),
                       ('folder.onnx', 'is a folder'),
                       ('missing.onnx', 'no such file'),
                       ('plain.onnx', 'has no shufflenet_det.test_pipeline and no '
                        'shufflenet_det.classes in its metadata')):
        for engine in ('onnxruntime', 'openvino'):
            with pytest.raises(ModelFileError, match=re.escape(what)) as error:
                Detector(str(tmp_path / name), engine)
            message = str(error.value)
            assert message.startswith(str(tmp_path / name)) and '\n' not in message
            assert 'allowed: an ONNX file written by tools/export_onnx.py' in message
