"""tools/train.py and tools/test.py, as a user runs them."""
import os.path as osp
import pickle
import re
import subprocess
import sys

import pytest
import torch

from helpers import C4_CONFIG, ROOT, run_tool, tool_error, tool_exit


@pytest.mark.slow
def test_train_resume_and_test(tiny_config):
    root, config = tiny_config
    work_dir = str(root / 'work')
    run_tool('tools/train.py', config, '--work-dir', work_dir)
    assert osp.isfile(osp.join(work_dir, 'iter_2.pth'))

    log = run_tool('tools/train.py', config, '--work-dir', work_dir, '--resume',
                   '--cfg-options', 'train_cfg.max_iters=4')
    assert 'resumed epoch: 0, iter: 2' in log
    assert 'Iter(train) [3/4]' in log
    assert osp.isfile(osp.join(work_dir, 'iter_4.pth'))

    out = str(root / 'predictions.pkl')
    log = run_tool('tools/test.py', config, osp.join(work_dir, 'iter_4.pth'),
                   '--work-dir', work_dir, '--out', out)
    assert 'coco/bbox_mAP' in log
    with open(out, 'rb') as f:
        predictions = pickle.load(f)
    assert len(predictions) == 5 and 'pred_instances' in predictions[0]

    # --fast: BN folded, channels_last, separable RoIAlign; the same boxes
    fast_out = str(root / 'predictions_fast.pkl')
    log = run_tool('tools/test.py', config, osp.join(work_dir, 'iter_4.pth'),
                   '--work-dir', work_dir, '--out', fast_out, '--fast')
    assert 'optimize_for_inference applied to FasterRCNN' in log
    with open(fast_out, 'rb') as f:
        fast_predictions = pickle.load(f)
    assert sum(len(p['pred_instances']['scores']) for p in predictions) > 0
    assert len(fast_predictions) == len(predictions)
    # Box for box (label, score within 1e-3, corners within 0.05 px): near-ties
    # of a 4-iteration model may swap the last of the 100 kept boxes.
    for fast, plain in zip(fast_predictions, predictions):
        fast, plain = fast['pred_instances'], plain['pred_instances']
        assert len(fast['scores']) == len(plain['scores'])
        assert matched_fraction(fast, plain) >= 0.98
        assert matched_fraction(plain, fast) >= 0.98


def matched_fraction(instances, reference):
    """Fraction of ``instances`` with a same-label box in ``reference`` of
    nearly the same score and corners."""
    if not len(instances['scores']):
        return 1.0
    same = ((instances['labels'][:, None] == reference['labels'][None])
            & ((instances['scores'][:, None] - reference['scores'][None]).abs() <= 1e-3)
            & ((instances['bboxes'][:, None] - reference['bboxes'][None]).abs()
               .amax(-1) <= 0.05))
    return same.any(1).float().mean().item()


@pytest.mark.slow
def test_test_rejects_bad_out_file(tiny_config):
    result = subprocess.run(
        [sys.executable, 'tools/test.py', tiny_config[1], 'x.pth', '--out', 'x.json'],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    assert '--out x.json: the dump file must end in .pkl' in result.stderr


@pytest.fixture(scope='module')
def c4_checkpoint(tmp_path_factory):
    """A checkpoint of another architecture than the tiny config's FPN
    detector: a C4 one, as training saves it."""
    from mmdet.apis import init_detector
    path = tmp_path_factory.mktemp('c4') / 'c4.pth'
    model = init_detector(C4_CONFIG, None, device='cpu')
    torch.save(dict(state_dict=model.state_dict(), meta={}), path)
    return str(path)


@pytest.mark.slow
def test_train_refuses_to_resume_what_cannot_be_resumed(tiny_config, c4_checkpoint,
                                                        tmp_path):
    """A 0-byte, truncated, text or other-architecture checkpoint, and a
    last_checkpoint naming a deleted file: one line naming the file, exit
    status 2, before training (mmengine: EOFError, a miniz RuntimeError,
    IndexError, an optimizer ValueError; "can not be found")."""
    config, work = tiny_config[1], tmp_path / 'work'
    whole = tmp_path / 'whole.pth'
    torch.save(dict(state_dict={'w': torch.zeros(1000)}), whole)
    files = {'empty.pth': (b'', 'an empty file'),
             'truncated.pth': (whole.read_bytes()[:600],
                               "a truncated or damaged zip archive"),
             'text.pth': (b'iteration 2\n', 'neither a torch.save zip archive')}
    for name, (content, what) in files.items():
        (tmp_path / name).write_bytes(content)
        message = tool_error('tools/train.py', config, '--work-dir', work,
                             '--resume', tmp_path / name)
        assert message.startswith(f'{tmp_path / name} is not a loadable PyTorch '
                                  f'checkpoint: it is {what}'), message
    message = tool_error('tools/train.py', config, '--work-dir', work, '--resume',
                         c4_checkpoint)
    assert message.startswith(f'{c4_checkpoint} does not fit this FasterRCNN of '
                              'the config'), message
    assert tool_error('tools/train.py', config, '--work-dir', work, '--resume') == (
        f'--resume: nothing to resume from in {work} (no last_checkpoint); allowed: '
        'the work dir of an earlier run (--work-dir), --resume PATH, or no --resume '
        'to train from the start')
    deleted = tmp_path / 'iter_2.pth'
    work.mkdir(exist_ok=True)
    (work / 'last_checkpoint').write_text(str(deleted))
    assert tool_error('tools/train.py', config, '--work-dir', work, '--resume') == (
        f"{work / 'last_checkpoint'} names '{deleted}', which is not a file: "
        'resume from another checkpoint (--resume PATH) or delete it to start '
        'afresh')
    assert not list(work.glob('*.pth'))


def test_a_dataset_that_is_not_on_disk_is_one_line(tmp_path):
    """The README's COCO training without COCO: the missing annotation file
    named, exit status 2, before anything is built."""
    thundernet = osp.join(ROOT, 'configs', 'thundernet',
                          'thundernet_snet146_cem-80e_coco-320.py')
    work = tmp_path / 'work'
    message = tool_error('tools/train.py', thundernet, '--work-dir', work)
    assert message.startswith("the train dataset's annotation file "), message
    assert 'is not a file; allowed: the dataset laid out as the config says' in message
    assert not work.exists()


@pytest.mark.slow
def test_a_checkpoint_of_another_architecture_is_refused_unless_partial_is_allowed(
        tiny_config, c4_checkpoint, tmp_path):
    """tools/test.py and load_from (where mmengine loaded what fits, with a
    warning): one line; ``--allow-partial`` loads what fits and trains."""
    config, work = tiny_config[1], tmp_path / 'work'
    for tool, args in (('test.py', [c4_checkpoint, '--work-dir', work]),
                       ('train.py', ['--work-dir', work, '--cfg-options',
                                     f'load_from={c4_checkpoint}'])):
        message = tool_error(f'tools/{tool}', config, *args)
        assert re.fullmatch(
            rf'{c4_checkpoint} does not fit this FasterRCNN of the config '
            r'\(\d+ tensors\): \d+ missing: .*Likely cause: a checkpoint of another '
            r'config .*--allow-partial.*', message), message
    status, _ = tool_exit('tools/train.py', config, '--work-dir', work,
                          '--allow-partial', '--cfg-options',
                          f'load_from={c4_checkpoint}')
    assert status == 0 and (work / 'iter_2.pth').is_file()
