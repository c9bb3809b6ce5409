import pickle

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub

import shufflenet_det  # noqa: F401  registers the safe globals


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
