"""AnchorCheckHook logs the anchor check's warning with the command that
shows the details before training starts (every shipped config runs it:
tests/test_configs.py)."""
import logging
import os.path as osp
from types import SimpleNamespace

from mmengine.config import Config
from mmengine.logging import MMLogger

from shufflenet_det.engine import AnchorCheckHook
from helpers import ROOT, log_messages, write_boxes

THUNDERNET_DEMO = osp.join(ROOT, 'configs', 'demo', 'thundernet_snet146_shapes.py')
ON_BOXES = """_base_ = '{base}'
train_dataloader = dict(dataset=dict(data_root='{root}', ann_file='boxes.json'))
"""


def before_train(tmp_path, sides):
    """What the hook logs at INFO and above for a demo ThunderNet reading
    boxes of ``sides`` px in 128x128 images (256x256 at the input)."""
    write_boxes(tmp_path / 'boxes.json', sides, image_size=(128, 128))
    path = tmp_path / 'config.py'
    path.write_text(ON_BOXES.format(base=THUNDERNET_DEMO, root=tmp_path))
    runner = SimpleNamespace(cfg=Config.fromfile(str(path)),
                             logger=MMLogger.get_current_instance())
    return log_messages(lambda: AnchorCheckHook().before_train(runner),
                        logging.INFO), str(path)


def test_hook_warns_with_the_command(tmp_path):
    (message, ), path = before_train(tmp_path, [6, 8, 30, 40])
    assert message.startswith('anchor check: 50.0% of the 4 training boxes get no '
                              'positive anchor')
    assert message.endswith(f'see `python tools/check_anchors.py {path}` for details')


def test_hook_is_quiet_when_anchors_fit_and_skips_what_it_cannot_read(tmp_path):
    (message, ), _ = before_train(tmp_path, [30, 40])
    assert message == ('anchor check: 0.0% of the 2 training boxes get no positive '
                       'anchor (best anchor IoU < 0.3)')
    (message, ), _ = before_train(tmp_path, [])
    assert message.startswith('anchor check skipped: annotation file ')
