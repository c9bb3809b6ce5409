"""The metrics of a run's last validation, for whoever started the run."""
from mmdet.registry import HOOKS
from mmengine.hooks import Hook


@HOOKS.register_module()
class KeepMetricsHook(Hook):
    """Keep the metrics of the last validation, to report them."""

    def __init__(self):
        self.metrics = {}

    def after_val_epoch(self, runner, metrics=None):
        self.metrics = dict(metrics or {})
