"""tools/train.py and tools/test.py, as a user runs them."""
import os.path as osp
import pickle
import subprocess
import sys

from helpers import ROOT, run_tool


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


def test_test_rejects_bad_out_file(tiny_config):
    result = subprocess.run(
        [sys.executable, 'tools/test.py', tiny_config[1], 'x.pth', '--out', 'x.json'],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    assert '--out x.json: the dump file must end in .pkl' in result.stderr
