"""Test runs with the CPU fast path (``tools/test.py --fast``)."""
from mmdet.registry import HOOKS
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from ...deploy.optimize import optimize_for_inference


@HOOKS.register_module()
class FastInferenceHook(Hook):
    """Applies :func:`optimize_for_inference` to the runner's model once the
    test checkpoint is loaded (``tools/test.py --fast``). Test runs only: a
    folded model cannot train, so it stays out of training's validation."""

    def __init__(self, **kwargs):
        self.kwargs = kwargs  # optimize_for_inference's switches

    def before_test(self, runner):
        model = runner.model.module if is_model_wrapper(runner.model) else runner.model
        optimize_for_inference(model, **self.kwargs)
        runner.logger.info(f'optimize_for_inference applied to '
                           f'{type(model).__name__} ({self.kwargs or "defaults"})')
