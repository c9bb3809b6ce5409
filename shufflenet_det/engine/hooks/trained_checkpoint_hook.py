"""Trained checkpoints a run loads (``load_from``, ``resume``) checked, and
those it saves written whole."""
import os.path as osp

from mmdet.registry import HOOKS
from mmengine.hooks import CheckpointHook, Hook

from ...checkpoints import check_trained_fit, read_trained_checkpoint
from ..atomic_backend import ATOMIC_BACKEND


class CheckpointError(ValueError):
    """A checkpoint a run cannot load as it is: one line for the user."""


def checkpoint_to_load(cfg):
    """The file a runner built from ``cfg`` loads: ``load_from``, or with
    ``resume`` and no ``load_from`` the one ``{work_dir}/last_checkpoint``
    names; None if none. A ``last_checkpoint`` naming no file is an error."""
    if cfg.get('load_from') or not cfg.get('resume'):
        return cfg.get('load_from') or None
    record = osp.join(cfg.work_dir, 'last_checkpoint')
    if not osp.isfile(record):
        return None  # mmengine starts afresh
    with open(record) as f:
        path = f.read().strip()
    if not osp.isfile(path):
        raise CheckpointError(f'{record} names {path!r}, which is not a file: '
                              'resume from another checkpoint (--resume PATH) or '
                              'delete it to start afresh')
    return path


@HOOKS.register_module()
class TrainedCheckpointHook(Hook):
    """Before a run loads a trained checkpoint, check it as every tool does:
    a file that is not a checkpoint, or whose weights leave tensors of the
    model unset or have them in another shape, is a :class:`CheckpointError`
    naming it, where mmengine would load what fits (only a warning) or fail
    with a traceback mid-resume. ``allow_partial_checkpoint = True`` in the
    config lets ``load_from`` (not a resume) load what fits.

    Also has mmengine's ``CheckpointHook`` save local checkpoints whole or
    not at all (``AtomicLocalBackend``), unless it is given a file backend
    of its own."""

    priority = 'VERY_HIGH'

    def before_run(self, runner):
        for hook in runner.hooks:  # its backend is built in before_train
            if (isinstance(hook, CheckpointHook) and hook.backend_args is None
                    and hook.file_client_args is None
                    and '://' not in (hook.out_dir or '')):
                hook.backend_args = dict(backend=ATOMIC_BACKEND)
        path = checkpoint_to_load(runner.cfg)
        if path is None:
            return
        resume = bool(runner.cfg.get('resume'))
        try:
            check_trained_fit(runner.model, read_trained_checkpoint(path), path,
                              not resume and runner.cfg.get(
                                  'allow_partial_checkpoint', False))
        except (ValueError, FileNotFoundError) as error:
            raise CheckpointError(str(error)) from error
