"""tools/check_anchors.py (shufflenet_det.tools.check_anchors), as a user
runs it: anchors too big for the boxes warn and say what would cover them,
anchors that fit do not, and input it cannot read is named."""
import os.path as osp
import subprocess
import sys

import pytest

from shufflenet_det.tools.check_anchors import main
from helpers import ROOT, write_boxes

THUNDERNET_COCO = osp.join(ROOT, 'configs', 'thundernet',
                           'thundernet_snet146_cem-80e_coco-320.py')
THUNDERNET_DEMO = osp.join(ROOT, 'configs', 'demo', 'thundernet_snet146_shapes.py')


@pytest.mark.slow
def test_anchors_too_big_for_tiny_boxes_warn(tmp_path):
    """8-16 px boxes in 640x480 images are 3-16 px at ThunderNet's 240-480
    training inputs: its 32-512 px anchors on stride 16 reach none."""
    boxes = write_boxes(tmp_path / 'tiny.json', [8, 12, 16] * 20)
    result = subprocess.run(
        [sys.executable, 'tools/check_anchors.py', THUNDERNET_COCO,
         '--ann-file', boxes], cwd=ROOT, capture_output=True, text=True,
        timeout=300)
    assert result.returncode == 1, result.stderr[-3000:]
    out = result.stdout
    assert 'fixed size 240x240 / 360x360 / 480x480 (pooled, each equally)' in out
    assert 'WARNING: 100.0% of the 60 training boxes get no positive anchor ' \
        '(best anchor IoU < 0.3)' in out
    assert 'COCO small (original)' in out
    assert 'they need a finer feature map' in out


def test_anchors_that_fit_do_not_warn(tmp_path, capsys):
    boxes = write_boxes(tmp_path / 'fit.json', [64, 96, 128] * 20)
    assert main([THUNDERNET_COCO, '--ann-file', boxes]) == 0
    out = capsys.readouterr().out
    assert 'WARNING' not in out
    assert '0.0% of the 60 training boxes get no positive anchor' in out


def test_a_suggestion_that_covers_the_boxes(tmp_path, capsys):
    """16-24 px objects at the demo's 256 input: its 32-128 px anchors miss
    the 16 px ones, 24 px anchors on stride 16 reach most of those."""
    boxes = write_boxes(tmp_path / 'small.json', [8, 10, 12] * 20,
                        image_size=(128, 128))
    assert main([THUNDERNET_DEMO, '--ann-file', boxes]) == 1
    out = capsys.readouterr().out
    assert 'most of those are 16 px at the input' in out
    assert ('Adding scales [1.5] to the anchor generator would give 75% of them a '
            'positive anchor') in out


NO_ANCHORS = """_base_ = '{base}'
model = dict(rpn_head=dict(anchor_generator=None))
"""
UNREADABLE_RESIZE = """_base_ = '{base}'
train_dataloader = dict(dataset=dict(pipeline=[
    dict(type='LoadImageFromFile'),
    dict(type='FixShapeResize', width=320, height=320)]))
"""


@pytest.mark.parametrize('config,boxes,message', [
    (NO_ANCHORS, [16], 'the config has no anchor generator '
     '(model.rpn_head.anchor_generator or model.bbox_head.anchor_generator)'),
    (None, [], 'has no boxes'),
    (UNREADABLE_RESIZE, [16], 'the train pipeline resizes with FixShapeResize, '
     'which the check cannot read'),
])
def test_input_it_cannot_read_is_named(tmp_path, capsys, config, boxes, message):
    path = THUNDERNET_DEMO
    if config:
        path = tmp_path / 'config.py'
        path.write_text(config.format(base=THUNDERNET_DEMO))
    ann_file = write_boxes(tmp_path / 'boxes.json', boxes)
    assert main([str(path), '--ann-file', ann_file]) == 2
    lines = [line for line in capsys.readouterr().err.splitlines()
             if 'Warning' not in line and not line.startswith('  ')]  # warnings
    assert len(lines) == 1 and lines[0].startswith('error: ') and message in lines[0]


@pytest.mark.parametrize('problem', ['syntax error', 'onnx file', 'width 0',
                                     'width null', 'no width'])
def test_bad_configs_and_images_are_errors_not_misses(tmp_path, capsys, problem):
    """Exit status 2 with one line (1 means: anchors miss boxes)."""
    import json
    path, ann_file = THUNDERNET_DEMO, write_boxes(tmp_path / 'boxes.json', [16])
    if problem == 'syntax error':
        path = tmp_path / 'config.py'
        path.write_text('model = dict(\n')
        message = 'is not valid Python'
    elif problem == 'onnx file':
        path = tmp_path / 'model.onnx'
        path.write_bytes(b'\x08\x07\x12\x07pytorch')
        message = f'config {path} cannot be read'
    else:
        data = json.loads(open(ann_file).read())
        if problem == 'no width':
            del data['images'][0]['width']
        else:
            data['images'][0]['width'] = 0 if problem == 'width 0' else None
        open(ann_file, 'w').write(json.dumps(data))
        message = 'has no positive width and height'
    assert main([str(path), '--ann-file', ann_file]) == 2
    lines = [line for line in capsys.readouterr().err.splitlines()
             if 'Warning' not in line and not line.startswith('  ')]  # warnings
    assert len(lines) == 1 and lines[0].startswith('error: ') and message in lines[0]
