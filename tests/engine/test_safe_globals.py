import os
import pickle
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub

import shufflenet_det  # noqa: F401  registers the safe globals
from shufflenet_det.engine.safe_globals import allow_mmengine_training_checkpoints


def test_message_hub_state_loads_with_weights_only(tmp_path):
    hub = MessageHub.get_instance('test_checkpoint')
    hub.update_scalar('train/loss', np.float64(0.5))
    hub.update_info('iter', 7)
    path = tmp_path / 'checkpoint.pth'
    torch.save({'message_hub': hub.state_dict(), 'meta': {'seed': np.int64(3)},
                'state_dict': {'w': torch.ones(2)}}, path)
    loaded = torch.load(path, weights_only=True)
    buffer = loaded['message_hub']['log_scalars']['train/loss']
    assert isinstance(buffer, HistoryBuffer)
    assert buffer.current() == 0.5 and buffer.mean() == 0.5
    assert loaded['meta']['seed'] == 3


class GetattrPayload:
    """Pickles as getattr(target, name), as a hostile checkpoint could."""

    def __init__(self, target, name):
        self.target, self.name = target, name

    def __reduce__(self):
        return getattr, (self.target, self.name)


@pytest.mark.parametrize('target,name', [
    (HistoryBuffer, '__init__'),  # its __globals__ lead to builtins
    (HistoryBuffer, '__class__'),
    (np.ndarray, 'tofile'),
])
def test_other_getattr_calls_are_refused(tmp_path, target, name):
    path = tmp_path / 'hostile.pth'
    torch.save({'x': GetattrPayload(target, name)}, path)
    with pytest.raises(pickle.UnpicklingError, match='is not allowed'):
        torch.load(path, weights_only=True)


OLD_TORCH_RESUME = '''
import sys
import torch
from mmdet.models import TwoStageDetector  # torch modules that need it, first
from mmengine.logging import HistoryBuffer
from mmengine.runner import CheckpointLoader
# torch < 2.4: no add_safe_globals; torch < 2.6: torch.load's weights_only=False
del torch.serialization.add_safe_globals
import shufflenet_det
from shufflenet_det.engine.safe_globals import allow_mmengine_training_checkpoints
assert allow_mmengine_training_checkpoints() is False
checkpoint = CheckpointLoader.load_checkpoint(sys.argv[1], map_location='cpu')
buffer = checkpoint['message_hub']['log_scalars']['train/loss']
assert isinstance(buffer, HistoryBuffer) and buffer.current() == 0.5
print('resumed', int(checkpoint['meta']['seed']))
'''


def save_training_checkpoint(path):
    """What mmengine's Runner saves: message hub state, numpy values in meta."""
    hub = MessageHub.get_instance(f'test_checkpoint_{path.stem}')
    hub.update_scalar('train/loss', np.float64(0.5))
    torch.save({'message_hub': hub.state_dict(), 'meta': {'seed': np.int64(3)},
                'state_dict': {'w': torch.ones(2)}}, path)


def test_import_and_resume_on_a_torch_without_add_safe_globals(tmp_path):
    path = tmp_path / 'iter_2.pth'
    save_training_checkpoint(path)
    env = dict(os.environ, TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD='1')
    result = subprocess.run([sys.executable, '-c', OLD_TORCH_RESUME, str(path)],
                            env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.splitlines()[-1] == 'resumed 3'


def test_torch_before_2_6_registers_nothing(monkeypatch):
    """torch 2.4 and 2.5 have add_safe_globals, but not its (obj, name) form,
    and do not load with weights_only by default."""
    calls = []
    monkeypatch.setattr(torch.serialization, 'add_safe_globals', calls.append)
    monkeypatch.setattr(torch, '__version__', '2.5.1+cpu')
    assert allow_mmengine_training_checkpoints() is False and calls == []
    monkeypatch.setattr(torch, '__version__', '2.6.0')
    assert allow_mmengine_training_checkpoints() is True and len(calls) == 1
