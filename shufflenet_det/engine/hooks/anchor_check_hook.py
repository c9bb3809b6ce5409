"""Before training, warn when the anchors miss many training boxes."""
from mmdet.registry import HOOKS
from mmengine.dist import is_main_process
from mmengine.hooks import Hook

from ..anchor_check import AnchorCheckError, check_config


@HOOKS.register_module()
class AnchorCheckHook(Hook):
    """Run the anchor check (:mod:`shufflenet_det.engine.anchor_check`) once before
    training and log its result, as a warning with the command that shows
    the details when more than 10 % of the boxes get no positive anchor: such
    boxes train nothing, and the loss does not show it. Input the check
    cannot read skips it with a log line; training goes on."""

    def before_train(self, runner):
        if not is_main_process():
            return
        try:
            report = check_config(runner.cfg)
        except AnchorCheckError as e:
            runner.logger.info(f'anchor check skipped: {e}')
            return
        if report.warns:
            command = f'python tools/check_anchors.py {runner.cfg.filename or "CONFIG"}'
            runner.logger.warning(f'anchor check: {report.summary()}; see '
                                  f'`{command}` for details')
        else:
            runner.logger.info(f'anchor check: {report.summary()}')
