"""TrainedCheckpointHook: checkpoints saved whole (what it loads is checked
through the tools: tests/tools/test_runner.py)."""
from types import SimpleNamespace

from mmengine.config import Config
from mmengine.hooks import CheckpointHook

from shufflenet_det.engine import TrainedCheckpointHook
from shufflenet_det.engine.atomic_backend import AtomicLocalBackend


def test_checkpoints_are_saved_whole_or_not_at_all(tmp_path):
    """mmengine's CheckpointHook gets the atomic local backend, unless it
    was given a backend or a remote folder; that backend writes through
    :func:`shufflenet_det.atomic.atomic_path`."""
    hooks = [CheckpointHook(interval=1), CheckpointHook(out_dir='s3://bucket'),
             CheckpointHook(backend_args=dict(backend='local'))]
    runner = SimpleNamespace(hooks=hooks, cfg=Config(dict(work_dir=str(tmp_path))))
    TrainedCheckpointHook().before_run(runner)
    assert [hook.backend_args for hook in hooks] == [
        dict(backend='shufflenet_det_atomic_local'), None, dict(backend='local')]
    path = tmp_path / 'iter_1.pth'
    backend = AtomicLocalBackend()
    backend.put(b'weights', path)
    assert path.read_bytes() == b'weights'
    assert [p.name for p in tmp_path.iterdir()] == ['iter_1.pth']
