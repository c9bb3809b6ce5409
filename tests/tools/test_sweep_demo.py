"""tools/sweep_demo.py: sweep files read and checked, variants written as
configs that build what they say, finished runs found again, the table and
the Pareto front; the shipped sweeps are valid."""
import importlib.util
import json
import os.path as osp
import runpy

import pytest
import torch
from mmengine.config import Config

from shufflenet_det.tools.demo import set_max_iters
from helpers import ROOT

spec = importlib.util.spec_from_file_location(
    'sweep_demo', osp.join(ROOT, 'tools', 'sweep_demo.py'))
sweep_demo = importlib.util.module_from_spec(spec)
spec.loader.exec_module(sweep_demo)

LIGHT = osp.join(ROOT, 'configs', 'demo',
                 'faster-rcnn_shufflenet-v1-1x-g3_fpn_shapes-small.py')
THUNDERNET_S8 = osp.join(ROOT, 'configs', 'demo',
                         'thundernet_snet146_cem-s8_shapes-small.py')


def write_sweep(tmp_path, variants, seeds=(0, 1)):
    path = tmp_path / 'sweep.py'
    path.write_text(f'seeds = {list(seeds)}\nvariants = {variants!r}\n')
    return str(path)


def test_shipped_sweep_reads_and_each_variant_config_builds_its_change(tmp_path):
    seeds, variants = sweep_demo.read_sweep(
        osp.join(ROOT, 'tools', 'sweeps', 'small_objects.py'))
    assert seeds == [0, 1, 2] and variants[0]['name'] == 'stock'
    files = {v['name']: sweep_demo.write_variant_config(v, str(tmp_path))
             for v in variants}
    # the light and ThunderNet rows change the detectors without the BN the
    # shipped ones have in their FPN and CEM
    assert files['light, BN in FPN'] == LIGHT  # a variant changing nothing
    assert files['ThunderNet s8, BN in CEM'] == THUNDERNET_S8
    for with_bn, without in (('light, BN in FPN', 'light FPN'),
                             ('ThunderNet s8, BN in CEM', 'ThunderNet s8')):
        shipped, unnormalised = (Config.fromfile(files[name]).model
                                 for name in (with_bn, without))
        assert shipped.neck.pop('norm_cfg') == dict(type='BN')
        assert shipped == unnormalised
    cfg = Config.fromfile(files['light, FPN 256'])
    model = cfg.model
    assert (model.neck.out_channels, model.rpn_head.in_channels,
            model.roi_head.bbox_roi_extractor.out_channels,
            model.roi_head.bbox_head.in_channels) == (256, 256, 256, 256)
    assert model.roi_head.bbox_head.fc_out_channels == 256  # the rest as based
    stock = Config.fromfile(files['stock, 100 test proposals']).model.test_cfg.rpn
    assert (stock.max_per_img, stock.nms_pre) == (100, 1000)
    # the shipped light FPN with its RPN normalised, or its norms not decayed
    light, normed_rpn, no_decay = (Config.fromfile(files[name]) for name in (
        'light, BN in FPN', 'light, BN in FPN and RPN',
        'light, BN in FPN, norms without weight decay'))
    assert (light.model.rpn_head.pop('type'),
            normed_rpn.model.rpn_head.pop('type')) == ('RPNHead', 'NormRPNHead')
    assert normed_rpn.model == light.model
    assert no_decay.optim_wrapper.pop('paramwise_cfg') == dict(norm_decay_mult=0)
    assert no_decay.optim_wrapper == light.optim_wrapper


def test_shipped_cem_norm_sweep_changes_only_the_cem_norm(tmp_path):
    seeds, variants = sweep_demo.read_sweep(
        osp.join(ROOT, 'tools', 'sweeps', 'thundernet_cem_norm.py'))
    plain, normed = (Config.fromfile(sweep_demo.write_variant_config(v, str(tmp_path)))
                     for v in variants)
    assert plain.model.neck.get('norm_cfg') is None
    assert normed.model.neck.norm_cfg == dict(type='BN')
    normed.model.neck.pop('norm_cfg')
    assert normed.model == plain.model and seeds == [0, 1, 2]


@pytest.mark.parametrize('variants, message', [
    ([dict(name='a')], 'name, config'),
    ([dict(name='a', config=LIGHT, iters=3)], "['config', 'iters', 'name']"),
    ([dict(name='A b', config=LIGHT), dict(name='a-b', config=LIGHT)],
     "two variants are named 'a-b'"),
    ([dict(name='a', config='missing.py')], 'no config'),
    ([dict(name='a', config=LIGHT, test_of='b'), dict(name='b', config=LIGHT)],
     "test_of 'b'; allowed: the name of an earlier variant"),
    ([dict(name='b', config=LIGHT),
      dict(name='a', config=LIGHT, test_of='b', max_iters=2)], 'without max_iters'),
])
def test_bad_sweep_files_are_refused_by_name(tmp_path, variants, message):
    with pytest.raises(ValueError, match=message.replace('[', r'\[')):
        sweep_demo.read_sweep(write_sweep(tmp_path, variants))


def test_finished_runs_are_found_only_for_what_they_trained(tmp_path):
    """A run counts for a config that trains the same (by content, not by
    file name), with its seed and length; not for an edited config."""
    (tmp_path / 'metrics.json').write_text(json.dumps(
        {'config': LIGHT, 'seed': 1, 'iters': 800, 'coco/bbox_mAP': 0.4}))
    assert sweep_demo.finished(str(tmp_path), LIGHT, 1) is None  # no config.py
    Config.fromfile(LIGHT).dump(str(tmp_path / 'config.py'))
    assert sweep_demo.finished(str(tmp_path), LIGHT, 1)['coco/bbox_mAP'] == 0.4
    assert sweep_demo.finished(str(tmp_path), LIGHT, 1, 800) is not None
    assert sweep_demo.finished(str(tmp_path), LIGHT, 1, 1600) is None
    assert sweep_demo.finished(str(tmp_path), LIGHT, 0) is None
    assert sweep_demo.finished(str(tmp_path / 'none'), LIGHT, 1) is None
    same, edited = tmp_path / 'same.py', tmp_path / 'edited.py'
    same.write_text(f'_base_ = {LIGHT!r}\n')
    assert sweep_demo.finished(str(tmp_path), str(same), 1) is not None
    for change in ('model = dict(neck=dict(norm_cfg=None))',
                   'optim_wrapper = dict(optimizer=dict(lr=0.1))',
                   'train_dataloader = dict(batch_size=2)'):
        edited.write_text(f'_base_ = {LIGHT!r}\n{change}\n')
        assert sweep_demo.finished(str(tmp_path), str(edited), 1) is None, change
    # a longer run: its schedule stretched as tools/demo.py stretches it
    longer = tmp_path / 'longer'
    longer.mkdir()
    cfg = Config.fromfile(LIGHT)
    set_max_iters(cfg, 1600)
    cfg.dump(str(longer / 'config.py'))
    (longer / 'metrics.json').write_text(json.dumps({'seed': 1, 'iters': 1600}))
    assert sweep_demo.finished(str(longer), LIGHT, 1, 1600) is not None
    assert sweep_demo.finished(str(tmp_path), LIGHT, 1, 1600) is None


def test_a_test_variant_may_change_only_the_test_settings(tmp_path):
    fewer, wider = tmp_path / 'fewer.py', tmp_path / 'wider.py'
    fewer.write_text(f'_base_ = {LIGHT!r}\n'
                     'model = dict(test_cfg=dict(rpn=dict(max_per_img=30)))\n')
    sweep_demo.check_test_variant(str(fewer), LIGHT, 'fewer')
    wider.write_text(f'_base_ = {str(fewer)!r}\n'
                     'model = dict(neck=dict(out_channels=128))\n')
    with pytest.raises(ValueError, match="'wider' changes more than model.test_cfg"):
        sweep_demo.check_test_variant(str(wider), LIGHT, 'wider')


def test_a_test_variant_tests_the_finished_run_with_its_test_settings(
        tiny_config, tmp_path):
    """Nothing trains: the source variant's checkpoint is tested on its data
    with the variant's test_cfg; the result is found again by content. An
    earlier test of other settings there is set aside, not taken for it."""
    from mmdet.apis import init_detector
    folder, config = tiny_config
    out = tmp_path / 'out'
    source = dict(name='ref', file=config)
    run = out / 'ref' / 'seed0'
    run.mkdir(parents=True)
    Config.fromfile(config).dump(str(run / 'config.py'))
    model = init_detector(config, None, device='cpu')
    torch.save(dict(state_dict=model.state_dict()), run / 'iter_2.pth')
    ran = {'seed': 0, 'iters': 2}
    (run / 'metrics.json').write_text(json.dumps(ran))
    tested = out / 'ref-7-proposals' / 'seed0'
    tested.mkdir(parents=True)
    Config.fromfile(config).dump(str(tested / 'config.py'))  # its test_cfg, not 7
    stale = dict(ran, **{'coco/bbox_mAP': 0.9})
    (tested / 'metrics.json').write_text(json.dumps(stale))
    fewer = tmp_path / 'fewer.py'
    fewer.write_text(f'_base_ = {config!r}\n'
                     'model = dict(test_cfg=dict(rpn=dict(max_per_img=7)))\n')
    variant = dict(name='ref, 7 proposals', file=str(fewer), test_of='ref')
    metrics = sweep_demo.test_runs_of(str(fewer), variant, 0, str(out), source, ran)
    assert 'coco/bbox_mAP' in metrics and metrics['iters'] == 2
    assert metrics['coco/bbox_mAP'] != 0.9  # tested, not the stale figure
    assert json.loads((tested / 'metrics.previous.json').read_text()) == stale
    assert metrics['tested_from'] == str(run / 'iter_2.pth')
    assert Config.fromfile(tested / 'config.py').model.test_cfg.rpn.max_per_img == 7
    assert sweep_demo.finished(str(tested), str(fewer), 0) == metrics
    assert sweep_demo.test_runs_of(str(fewer), variant, 1, str(out), source,
                                   None) is None


def test_pareto_front_keeps_what_nothing_beats():
    points = [('a', 0.5, 10), ('b', 0.4, 5), ('c', 0.3, 8), ('d', 0.5, 12),
              ('e', 0.4, 5)]
    assert sweep_demo.pareto_front(points) == ['a', 'b', 'e']


def test_sweep_tabulates_finished_runs_without_training(tmp_path, capsys):
    """Every run finished (metrics.json in place): nothing trains, the table
    has each variant's seeds, mean and ratio to the first variant."""
    sweep = write_sweep(tmp_path, [
        dict(name='ref', config=LIGHT),
        dict(name='wide', config=LIGHT,
             overrides=dict(model=dict(neck=dict(out_channels=128))))])
    out = tmp_path / 'out'
    _, variants = sweep_demo.read_sweep(sweep)
    for variant, maps in zip(variants, ([0.4, 0.6], [0.25, 0.25])):
        config = sweep_demo.write_variant_config(variant, str(out))
        for seed, value in enumerate(maps):
            folder = out / sweep_demo.slug(variant['name']) / f'seed{seed}'
            folder.mkdir(parents=True)
            Config.fromfile(config).dump(str(folder / 'config.py'))
            (folder / 'metrics.json').write_text(json.dumps(
                {'config': config, 'seed': seed, 'iters': 800,
                 'coco/bbox_mAP': value, 'coco/bbox_mAP_50': 2 * value}))
    # seed 2 has no run: --no-training leaves it out instead of training it
    assert sweep_demo.main([sweep, '--out', str(out), '--no-timing', '--seeds', '0',
                            '1', '2', '--no-training']) == 0
    rows = [line for line in capsys.readouterr().out.splitlines()
            if line.startswith('| ref') or line.startswith('| wide')]
    assert rows == [
        '| ref | 0.400 / 0.600 | 0.500 (0.400-0.600) | 1.000 | 1.00 | - | - |',
        '| wide | 0.250 / 0.250 | 0.250 (0.250-0.250) | 0.500 | 0.50 | - | - |']
    assert (out / 'results.md').read_text().splitlines()[2:] == rows
    # the summary a docs page is written from: the same table, where and when
    summary = json.loads((out / 'sweep.json').read_text())
    assert summary['tool'] == 'sweep_demo' and summary['seeds'] == [0, 1, 2]
    assert [row['seeds'] for row in summary['rows']] == [[0, 1], [0, 1]]
    assert {'date', 'command', 'machine'} <= set(summary)
    page_tool = runpy.run_path(osp.join(ROOT, 'tools', 'results_page.py'))
    page = page_tool['render']('Small objects', [str(out / 'sweep.json')])
    assert all(row in page.splitlines() for row in rows)


def test_picture_compares_on_shared_seeds_and_marks_the_targets(tmp_path):
    """Points are means over the seeds every timed variant finished; guides
    at torchvision's median ms, 0.3x of it and 0.9x the reference's mAP."""
    ms = [9.0, 10.0, 11.0]
    rows = [dict(name='stock', seeds=[0], maps=[0.4], ms=ms),
            dict(name='light', seeds=[0, 1, 2], maps=[0.5, 0.3, 0.1], ms=ms),
            dict(name='untimed', seeds=[1], maps=[0.9], ms=None)]
    points, common = sweep_demo.comparable_points(rows)
    assert common == [0]
    assert [point[:2] for point in points] == [('stock', 0.4), ('light', 0.5)]
    assert sweep_demo.target_lines(points[0][:2], 40.0) == [
        ('torchvision', 'latency', 40.0), ('0.3x torchvision', 'latency', 12.0),
        ('0.9x stock', 'figure', pytest.approx(0.36))]
    assert sweep_demo.target_lines(None, None) == []
    path = tmp_path / 'pareto.png'
    summary = dict(rows=rows,
                   torchvision=dict(ms=[30.0, 40.0, 50.0], engine='openvino'))
    assert sweep_demo.draw_pareto(str(path), summary)
    assert path.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'
    assert not sweep_demo.draw_pareto(str(tmp_path / 'none.png'),
                                      dict(rows=rows[2:], torchvision=None))
