"""Let torch >= 2.6 resume mmengine training runs with ``weights_only`` on.

mmengine 0.10.7 calls ``torch.load`` without ``weights_only``, and torch now
defaults to True, so ``--resume`` fails: a training checkpoint's message hub
holds ``HistoryBuffer`` objects, numpy arrays, and the buffer's statistics
methods, pickled as ``getattr(HistoryBuffer, 'min')``. This allows exactly
those, instead of switching the protection off: ``builtins.getattr`` is mapped
to a stand-in that resolves HistoryBuffer's statistics methods and nothing else.

Older torch needs nothing: before 2.6 ``torch.load`` defaults to
``weights_only=False``, and ``add_safe_globals`` exists only from 2.4 (its
``(obj, name)`` form only from 2.6).
"""
import pickle

import numpy as np
import torch
from mmengine.logging import HistoryBuffer
from mmengine.utils import digit_version

_DEFAULT_STATISTICS = ('min', 'max', 'current', 'mean')


def history_buffer_method(owner, name):
    """``getattr`` restricted to ``HistoryBuffer``'s statistics methods."""
    allowed = set(_DEFAULT_STATISTICS) | set(HistoryBuffer._statistics_methods)
    if owner is HistoryBuffer and name in allowed:
        return getattr(owner, name)
    raise pickle.UnpicklingError(
        f'weights_only load: getattr({owner!r}, {name!r}) is not allowed; only '
        f'HistoryBuffer statistics methods {sorted(allowed)} are')


def allow_mmengine_training_checkpoints():
    """Add the types of mmengine training checkpoints to torch's safe globals
    where torch loads with ``weights_only=True`` by default; return whether
    it did (False on torch < 2.6, which resumes without them)."""
    add_safe_globals = getattr(torch.serialization, 'add_safe_globals', None)
    if add_safe_globals is None or digit_version(torch.__version__)[:2] < (2, 6):
        return False
    reconstruct = np.zeros(1).__reduce__()[0]  # numpy's ndarray rebuilder
    scalar = np.float64(0).__reduce__()[0]  # numpy's scalar rebuilder
    add_safe_globals([
        HistoryBuffer, np.ndarray, np.dtype, reconstruct, scalar,
        *{type(np.dtype(t)) for t in (np.float64, np.float32, np.int64, np.int32)},
        (history_buffer_method, 'builtins.getattr'),
    ])
    return True
