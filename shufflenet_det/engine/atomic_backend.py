"""mmengine's local file backend with whole-or-nothing writes."""
from mmengine.fileio import LocalBackend, register_backend

from ..atomic import atomic_path

# mmengine file backend name of AtomicLocalBackend.
ATOMIC_BACKEND = 'shufflenet_det_atomic_local'


@register_backend(ATOMIC_BACKEND)
class AtomicLocalBackend(LocalBackend):
    """mmengine's local file backend, writing each file whole or not at all
    (:func:`atomic_path`): what checkpoints are saved with
    (``TrainedCheckpointHook``)."""

    def put(self, obj, filepath):
        with atomic_path(filepath) as partial:
            super().put(obj, partial)

    def put_text(self, obj, filepath, encoding='utf-8'):
        with atomic_path(filepath) as partial:
            super().put_text(obj, partial, encoding)
