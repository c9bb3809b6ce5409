"""shufflenet-det-predict (shufflenet_det.runtime.predict): images, folders
and a video in, MMDetection's DetInferencer layout out; bad inputs named and
skipped; nothing half-written when interrupted."""
import json
import os
import os.path as osp

import cv2
import numpy as np
import pytest

from shufflenet_det.runtime import Detector
from shufflenet_det.runtime import predict as predict_module
from shufflenet_det.runtime.predict import main

pytest.importorskip('onnxruntime')


@pytest.fixture
def inputs(tmp_path):
    """Two images in a folder, one beside it, a corrupt one, a 5-frame video."""
    rng = np.random.default_rng(0)
    folder = tmp_path / 'in'
    folder.mkdir()
    for name, size in (('a.jpg', (120, 160)), ('b.png', (90, 60))):
        cv2.imwrite(str(folder / name), rng.integers(0, 256, (*size, 3), np.uint8))
    (folder / 'notes.txt').write_text('skipped: not an image extension')
    single = tmp_path / 'c.jpg'
    cv2.imwrite(str(single), rng.integers(0, 256, (100, 100, 3), np.uint8))
    corrupt = tmp_path / 'corrupt.jpg'
    corrupt.write_bytes(b'\xff\xd8 not really a jpeg')
    video = str(tmp_path / 'clip.mp4')
    writer = cv2.VideoWriter(video, cv2.VideoWriter_fourcc(*'mp4v'), 10, (80, 64))
    for _ in range(5):
        writer.write(rng.integers(0, 256, (64, 80, 3), np.uint8))
    writer.release()
    return folder, single, corrupt, video


def test_images_folders_and_video_in_detinferencer_layout(thundernet_model, inputs,
                                                          tmp_path, capsys):
    folder, single, corrupt, video = inputs
    out = tmp_path / 'out'
    with pytest.raises(SystemExit) as status:
        main([thundernet_model[1], str(folder), str(single), str(corrupt), video,
              '--out-dir', str(out), '--threads', '2', '--score-thr', '0'])
    assert status.value.code == 1  # one input failed
    captured = capsys.readouterr()
    assert f'failed: {corrupt}: not an image OpenCV can decode' in captured.err
    assert '1 of 5 inputs failed' in captured.err
    assert '4 of 5 inputs predicted' in captured.out
    assert 'images/s' in captured.err
    assert sorted(os.listdir(out / 'vis')) == ['a.jpg', 'b.png', 'c.jpg', 'clip.mp4']
    assert sorted(os.listdir(out / 'preds')) == ['a.json', 'b.json', 'c.json',
                                                 'clip.jsonl']
    detector = Detector(thundernet_model[1])
    for name in ('a.jpg', 'b.png'):
        preds = json.loads((out / 'preds' / f'{name[0]}.json').read_text())
        expected = detector(str(folder / name))
        assert set(preds) == {'labels', 'scores', 'bboxes'}
        np.testing.assert_allclose(preds['bboxes'], expected['bboxes'], atol=1e-4)
        assert preds['labels'] == expected['labels'].tolist()
        drawn = cv2.imread(str(out / 'vis' / name))
        assert drawn.shape == cv2.imread(str(folder / name)).shape
    frames = [json.loads(line) for line in
              (out / 'preds' / 'clip.jsonl').read_text().splitlines()]
    assert [frame['frame'] for frame in frames] == list(range(5))
    capture = cv2.VideoCapture(str(out / 'vis' / 'clip.mp4'))
    assert int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == 5
    assert (capture.get(cv2.CAP_PROP_FRAME_WIDTH),
            capture.get(cv2.CAP_PROP_FRAME_HEIGHT)) == (80, 64)


def test_interrupted_run_leaves_no_partial_file(thundernet_model, inputs, tmp_path,
                                                monkeypatch, capsys):
    folder, single, _, video = inputs
    out = tmp_path / 'out'
    drawn = []

    def draw_then_interrupt(image, *args):
        drawn.append(image)
        if len(drawn) == 4:  # the second frame of the video
            raise KeyboardInterrupt
        return image

    monkeypatch.setattr(predict_module, 'draw', draw_then_interrupt)
    with pytest.raises(SystemExit) as status:
        main([thundernet_model[1], str(folder), video, '--out-dir', str(out),
              '--mode', 'latency'])
    assert status.value.code == 130
    written = sorted(os.listdir(out / 'vis')) + sorted(os.listdir(out / 'preds'))
    assert written == ['a.jpg', 'b.png', 'a.json', 'b.json']  # no video, no partial


def test_bad_model_and_arguments_are_one_line_errors(c4_model, inputs, tmp_path,
                                                     capsys):
    folder = str(inputs[0])
    plain = tmp_path / 'text.onnx'
    plain.write_text('not a model')
    empty = tmp_path / 'empty'
    empty.mkdir()
    for args, message in (
            ([str(plain), folder], 'text.onnx is not an ONNX model file'),
            ([c4_model[1], str(empty)], 'no images or videos in'),
            ([c4_model[1], folder, '--threads', '0'],
             '--threads 0: allowed: 1 or more'),
            ([c4_model[1], folder, '--precision', 'bf16'], 'allowed with --engine '
             'openvino')):
        with pytest.raises(SystemExit) as status:
            main([*args, '--out-dir', str(tmp_path / 'out')])
        assert status.value.code == 2
        assert message in capsys.readouterr().err
    assert not osp.exists(tmp_path / 'out')
    blocked = plain / 'out'  # a file stands where a folder would be made
    with pytest.raises(SystemExit) as status:
        main([c4_model[1], folder, '--out-dir', str(blocked)])
    assert status.value.code == 2
    assert f'--out-dir {blocked}: {plain} is a file, not a folder' in \
        capsys.readouterr().err


def test_no_result_replaces_another(thundernet_model, tmp_path, capsys):
    """Inputs sharing a stem in one folder, and a name in two folders (one
    given twice): every input keeps its own outputs, named as the module's
    docstring says; the others keep DetInferencer's names."""
    rng = np.random.default_rng(0)
    for folder, name in (('cam1', 'x.jpg'), ('cam2', 'x.jpg'), ('cam1', 'a.jpg'),
                         ('cam1', 'a.png'), ('cam1', 'solo.png')):
        (tmp_path / folder).mkdir(exist_ok=True)
        cv2.imwrite(str(tmp_path / folder / name),
                    rng.integers(0, 256, (64, 80, 3), np.uint8))
    out = tmp_path / 'out'
    main([thundernet_model[1], str(tmp_path / 'cam1'), str(tmp_path / 'cam2' / 'x.jpg'),
          str(tmp_path / 'cam1' / 'x.jpg'), '--out-dir', str(out)])
    assert '5 of 5 inputs predicted' in capsys.readouterr().out  # x.jpg given twice
    vis = sorted(str(p.relative_to(out / 'vis')) for p in (out / 'vis').rglob('*.*'))
    preds = sorted(str(p.relative_to(out / 'preds'))
                   for p in (out / 'preds').rglob('*.*'))
    assert vis == ['a.jpg', 'a.png', 'cam1/x.jpg', 'cam2/x.jpg', 'solo.png']
    assert preds == ['a.jpg.json', 'a.png.json', 'cam1/x.jpg.json', 'cam2/x.jpg.json',
                     'solo.json']
    detector = Detector(thundernet_model[1])
    for name, pred in (('cam1/a.png', 'a.png.json'), ('cam2/x.jpg', 'cam2/x.jpg.json')):
        expected = detector(str(tmp_path / name))['scores']
        found = json.loads((out / 'preds' / pred).read_text())['scores']
        np.testing.assert_allclose(found, expected, atol=1e-5)


@pytest.mark.slow
def test_sigterm_leaves_no_partial_file(thundernet_model, inputs, tmp_path):
    """SIGTERM mid-video ends the run as Ctrl-C does: exit 130, the images
    whole, no video, no hidden partial file."""
    import signal
    import subprocess
    import sys
    import time
    folder, _, _, _ = inputs
    video = str(tmp_path / 'long.mp4')
    writer = cv2.VideoWriter(video, cv2.VideoWriter_fourcc(*'mp4v'), 10, (80, 64))
    rng = np.random.default_rng(0)
    for _ in range(600):
        writer.write(rng.integers(0, 256, (64, 80, 3), np.uint8))
    writer.release()
    out = tmp_path / 'out'
    process = subprocess.Popen(
        [sys.executable, '-m', 'shufflenet_det.runtime.predict', thundernet_model[1],
         str(folder), video, '--out-dir', str(out), '--mode', 'latency'],
        stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while not (out / 'preds' / 'b.json').exists() and time.time() < deadline:
        time.sleep(0.1)
    time.sleep(1)  # into the video
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=60)
    assert process.returncode == 130, err
    assert 'interrupted' in err
    written = sorted(os.listdir(out / 'vis')) + sorted(os.listdir(out / 'preds'))
    assert written == ['a.jpg', 'b.png', 'a.json', 'b.json']  # no partial files


def test_truncated_video_is_reported(thundernet_model, tmp_path, capsys):
    """A video whose header lists more frames than it holds: its frames are
    written, and it counts as failed (exit 1)."""
    video = tmp_path / 'clip.avi'
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*'MJPG'), 10, (80, 64))
    rng = np.random.default_rng(0)
    for _ in range(40):
        writer.write(rng.integers(0, 256, (64, 80, 3), np.uint8))
    writer.release()
    data = video.read_bytes()
    video.write_bytes(data[:len(data) // 2])
    out = tmp_path / 'out'
    with pytest.raises(SystemExit) as status:
        main([thundernet_model[1], str(video), '--out-dir', str(out)])
    assert status.value.code == 1
    err = capsys.readouterr().err
    assert f'{video}: ended after ' in err and 'of the 40 frames its header' in err
    lines = (out / 'preds' / 'clip.jsonl').read_text().splitlines()
    assert 0 < len(lines) < 40
