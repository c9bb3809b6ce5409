"""--cfg-options as every tool takes it (shufflenet_det.config_options):
keys the config does not have refused before the merge unless marked new,
malformed items one line, exit status 2."""
import argparse

import pytest
from mmengine.config import Config

from shufflenet_det.config_options import add_config_options, merge_options

CONFIG = dict(model=dict(backbone=dict(widen_factor=1.0),
                         test_cfg=dict(rcnn=dict(score_thr=0.05))),
              pipeline=[dict(type='Load'), dict(type='Resize', scale=(320, 320))])


def parse(*items):
    parser = argparse.ArgumentParser(prog='tool')
    add_config_options(parser)
    return parser.parse_args(['--cfg-options', *items]).cfg_options


def test_known_keys_merge_and_new_ones_need_a_plus():
    cfg = Config(CONFIG)
    merge_options(cfg, parse('model.test_cfg.rcnn.score_thr=0.9',
                             'pipeline.1.scale=(256,256)', '+model.init_cfg.type=x'))
    assert cfg.model.test_cfg.rcnn.score_thr == 0.9
    assert cfg.pipeline[1].scale == (256, 256)
    assert cfg.model.init_cfg.type == 'x'


@pytest.mark.parametrize('item,message', [
    ('model.test_cfg.rcnn.score_th=0.9', 'model.test_cfg.rcnn.score_th is not in the '
     'config (did you mean model.test_cfg.rcnn.score_thr?)'),
    ('model.backbone.widen_factr=1.0', 'did you mean model.backbone.widen_factor?'),
    ('pipeline.2.scale=1', 'pipeline.2 is not in the config'),
    ('model.backbone.widen_factor.x=1', 'model.backbone.widen_factor is a float, not '
     'a dict'),
])
def test_keys_that_match_nothing_are_refused_before_the_merge(item, message):
    cfg = Config(CONFIG)
    with pytest.raises(ValueError, match='allowed: keys of the config, or ') as error:
        merge_options(cfg, parse('model.test_cfg.rcnn.score_thr=0.5', item))
    assert message in str(error.value)
    assert cfg.model.test_cfg.rcnn.score_thr == 0.05  # nothing merged


@pytest.mark.parametrize('item', ['model.backbone', 'x=[1,', '=3'])
def test_malformed_items_are_one_line_errors(item, capsys):
    with pytest.raises(SystemExit) as status:
        parse(item)
    assert status.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith(f"tool: error: --cfg-options '{item}'"), err
