"""Train demo detectors over variants and seeds, time them beside
torchvision's in one benchmark run, and tabulate accuracy against speed.

A sweep file (read by mmengine, e.g. ``tools/sweeps/small_objects.py``)
holds ``seeds`` and ``variants``: each a ``name``, a demo ``config``, and
optionally ``max_iters`` and ``overrides`` (a dict merged into the config as
a child config would: ``dict(model=dict(neck=dict(out_channels=128)))``), or
``test_of``: the name of an earlier variant whose runs this one tests with its
own ``model.test_cfg`` instead of training (e.g. fewer test proposals).
Each variant becomes a config file of its own (``<out>/configs/``), which
``tools/demo.py`` trains per seed (``<out>/<variant>/seed<N>/``, held-out
mAP in its ``metrics.json``; a finished run of what the variant trains now
is not run again, so a killed sweep goes on where it stopped) and
``tools/benchmark_detector.py`` times in ONNX Runtime and OpenVINO at the
sweep's input (those with a finished run). The summary with its date,
command and machine (``sweep.json``, which ``tools/results_page.py`` makes a
docs page of), its table (``results.md``) and the picture of mAP against the
best engine's ms with the Pareto front (``pareto.png``) are written to
``<out>``; the first variant is the accuracy reference, torchvision's the
speed reference.

Not part of the package: a tool for the project's own measurements."""
import argparse
import json
import os
import os.path as osp
import re
import statistics
import subprocess
import sys

from mmengine.config import Config

from shufflenet_det.atomic import write_text_atomically
from shufflenet_det.tools.benchmark import Spread, plot_latency, provenance
from shufflenet_det.tools.demo import set_max_iters

TOOLS = osp.dirname(osp.abspath(__file__))
sys.path.insert(0, TOOLS)
from results_page import sweep_table  # noqa: E402

TORCHVISION = 'torchvision:fasterrcnn_mobilenet_v3_large_320_fpn'
VARIANT_KEYS = {'name', 'config', 'max_iters', 'overrides', 'test_of'}


def slug(name):
    """A variant's folder and file name: lower case, runs of other
    characters than letters and digits as one '-'."""
    return re.sub(r'[^a-z0-9]+', '-', name.lower()).strip('-')


def read_sweep(path):
    """(seeds, variants) of a sweep file; a ValueError naming what is wrong."""
    sweep = Config.fromfile(path)
    seeds, variants = sweep.get('seeds'), sweep.get('variants')
    if not seeds or not variants:
        raise ValueError(f'{path}: needs a list of seeds and a list of variants')
    folder, names, earlier = osp.dirname(osp.abspath(path)), set(), set()
    for variant in variants:
        unknown = set(variant) - VARIANT_KEYS
        if unknown or 'name' not in variant or 'config' not in variant:
            raise ValueError(f'{path}: variant {dict(variant)} has keys '
                             f'{sorted(variant)}'
                             f'; allowed: name, config (both needed), max_iters, '
                             'overrides, test_of')
        if variant.get('test_of') is not None and (
                variant['test_of'] not in earlier or 'max_iters' in variant):
            raise ValueError(f'{path}: variant {variant["name"]!r}: test_of '
                             f'{variant["test_of"]!r}; allowed: the name of an '
                             'earlier variant, without max_iters')
        if slug(variant['name']) in names:
            raise ValueError(f'{path}: two variants are named {variant["name"]!r}')
        names.add(slug(variant['name']))
        earlier.add(variant['name'])
        variant['config'] = osp.normpath(osp.join(folder, variant['config']))
        if not osp.isfile(variant['config']):
            raise ValueError(f'{path}: variant {variant["name"]!r}: no config '
                             f'{variant["config"]}')
    return list(seeds), [dict(variant) for variant in variants]


def write_variant_config(variant, out):
    """The variant's config file: its config where it changes nothing, else
    one under ``<out>/configs`` named ``<base config name>_<variant>.py``
    (the benchmark groups by name)."""
    if not variant.get('overrides'):
        return variant['config']
    base = osp.splitext(osp.basename(variant['config']))[0]
    path = osp.join(out, 'configs', f'{base}_{slug(variant["name"])}.py')
    text = (f'_base_ = {variant["config"]!r}\n'
            + Config(variant['overrides'].to_dict()).pretty_text)
    os.makedirs(osp.dirname(path), exist_ok=True)
    write_text_atomically(path, text)
    return path


def run_dir(out, variant, seed):
    """The folder of ``variant``'s run with ``seed``."""
    return osp.join(out, slug(variant['name']), f'seed{seed}')


def set_aside_stale_metrics(work_dir, variant, seed):
    """Move the metrics of an earlier run of another config or length in
    ``work_dir`` to ``metrics.previous.json`` before a new run writes its
    config there: a killed new run must not leave the old metrics beside the
    new config, where :func:`finished` would take them for its own."""
    path = osp.join(work_dir, 'metrics.json')
    if osp.isfile(path):
        os.replace(path, osp.join(work_dir, 'metrics.previous.json'))
        print(f'{variant["name"]}, seed {seed}: the run in {work_dir} was of '
              'another config or length (its metrics now metrics.previous.json): '
              'running again', flush=True)


def train(config, variant, seed, out):
    """The metrics of ``tools/demo.py`` on ``config`` with ``seed`` (read back
    when that run finished before), or None when it failed (its log says
    why)."""
    work_dir = run_dir(out, variant, seed)
    metrics = finished(work_dir, config, seed, variant.get('max_iters'))
    if metrics is not None:
        return metrics
    set_aside_stale_metrics(work_dir, variant, seed)
    command = [sys.executable, osp.join(TOOLS, 'demo.py'), '--config', config,
               '--seed', str(seed), '--work-dir', work_dir, '--no-onnx']
    if variant.get('max_iters'):
        command += ['--max-iters', str(variant['max_iters'])]
    os.makedirs(work_dir, exist_ok=True)
    print(f'{variant["name"]}, seed {seed}: training ({work_dir}/demo.log)',
          flush=True)
    with open(osp.join(work_dir, 'demo.log'), 'w') as log:
        if subprocess.run(command, stdout=log, stderr=subprocess.STDOUT).returncode:
            print(f'{variant["name"]}, seed {seed}: failed, see its demo.log')
            return None
    return finished(work_dir, config, seed, variant.get('max_iters'))


def what_trains(cfg):
    """What a config trains and evaluates: its model, optimizer, schedule,
    data and batch (not where its files go, nor its length and seed, which
    ``metrics.json`` records)."""
    loaders = {key: dict(batch_size=cfg[key].get('batch_size'),
                         pipeline=cfg[key].dataset.get('pipeline'))
               for key in ('train_dataloader', 'val_dataloader') if key in cfg}
    return dict(loaders, **{key: cfg.get(key) for key in (
        'model', 'optim_wrapper', 'param_scheduler', 'shapes_dataset')})


def finished(work_dir, config, seed, max_iters=None):
    """The metrics of the demo run in ``work_dir`` if it finished training
    what ``config`` trains (compared with the config the run wrote there,
    so an edited config or sweep file trains again) with ``seed`` (for
    ``max_iters``, where given), else None."""
    path = osp.join(work_dir, 'metrics.json')
    if not osp.isfile(path) or not osp.isfile(osp.join(work_dir, 'config.py')):
        return None
    with open(path) as f:
        metrics = json.load(f)
    if metrics.get('seed') != seed or max_iters not in (None, metrics.get('iters')):
        return None
    ran, now = (Config.fromfile(osp.join(work_dir, 'config.py')),
                Config.fromfile(config))
    if max_iters is not None:
        set_max_iters(now, max_iters)  # as tools/demo.py trains it
    return metrics if what_trains(ran) == what_trains(now) else None


def check_test_variant(config, source_config, name):
    """A ValueError unless ``config`` trains what ``source_config`` trains,
    its test settings aside (what a ``test_of`` variant may change)."""
    trains = []
    for path in (config, source_config):
        cfg = Config.fromfile(path)
        cfg.model.pop('test_cfg', None)
        trains.append(what_trains(cfg))
    if trains[0] != trains[1]:
        raise ValueError(f'variant {name!r} changes more than model.test_cfg of '
                         f'the variant it tests ({source_config})')


def test_runs_of(config, variant, seed, out, source, ran):
    """The metrics of ``source``'s run with ``seed`` (its metrics ``ran``)
    tested with ``config``'s test settings (nothing trains; read back when
    tested before), or None where that run has not finished."""
    work_dir = run_dir(out, variant, seed)
    metrics = finished(work_dir, config, seed)
    if metrics is not None or ran is None:
        return metrics
    set_aside_stale_metrics(work_dir, variant, seed)
    from mmengine.runner import Runner
    source_dir = run_dir(out, source, seed)
    cfg = Config.fromfile(osp.join(source_dir, 'config.py'))  # its data too
    cfg.model.test_cfg = Config.fromfile(config).model.test_cfg
    cfg.work_dir = work_dir
    cfg.load_from = osp.join(source_dir, f'iter_{ran["iters"]}.pth')
    print(f'{variant["name"]}, seed {seed}: testing {cfg.load_from}', flush=True)
    tested = Runner.from_cfg(cfg).test()  # the runner writes work_dir/config.py
    write_text_atomically(osp.join(work_dir, 'metrics.json'), json.dumps(
        dict(tested, seed=seed, iters=ran['iters'], config=config,
             tested_from=cfg.load_from), indent=1, default=float))
    return finished(work_dir, config, seed)


def time_configs(configs, out, threads, repeats):
    """``{config: Spread}`` of the fastest fp32 engine of each (and of
    torchvision's), from one ``tools/benchmark_detector.py`` run at 320x320."""
    path = osp.join(out, 'timing.json')
    subprocess.run([sys.executable, osp.join(TOOLS, 'benchmark_detector.py'),
                    *configs, TORCHVISION, '--engine', 'onnxruntime', 'openvino',
                    '--image-size', '320', '320', '--threads', str(threads),
                    '--repeats', str(repeats), '--json', path], check=True)
    best = {}
    for result in json.load(open(path))['results']:
        if result['precision'] == 'fp32':
            ms, model = Spread(*result['ms']), result['model']
            if model not in best or ms.median < best[model][0].median:
                best[model] = (ms, result['engine'])
    return best


def summarize(variants, seeds, metrics, timing):
    """One row per variant (JSON-ready): name, the seeds that finished and
    the mAP of each, their mean, mean AP50, ms [min, median, max] of the
    fastest engine and that engine (None where not timed), ratios to the
    reference's mean mAP and to torchvision's median ms."""
    reference = None
    rows = []
    fast = timing.get(TORCHVISION)
    for variant in variants:
        finished = [(seed, m) for seed, m in zip(seeds, metrics[variant['name']])
                    if m is not None]
        runs = [m for _, m in finished]
        maps = [m.get('coco/bbox_mAP', 0.0) for m in runs]
        mean = statistics.mean(maps) if maps else None
        if reference is None:
            reference = mean
        # timed by config file, which a schedule variant shares: no runs, no time
        ms = timing.get(variant['file']) if runs else None
        rows.append(dict(
            name=variant['name'], seeds=[seed for seed, _ in finished],
            maps=maps, mean=mean,
            ap50=statistics.mean(m.get('coco/bbox_mAP_50', 0.0) for m in runs)
            if runs else None,
            ms=list(ms[0]) if ms else None, engine=ms[1] if ms else None,
            to_reference=mean / reference if mean and reference else None,
            to_torchvision=ms[0].median / fast[0].median if ms and fast else None))
    return rows


def pareto_front(points):
    """The names of the points (name, mAP, ms) that no other point beats in
    both: faster and at least as accurate, or as fast and more accurate."""
    return [name for name, figure, ms in points
            if not any((m < ms and f >= figure) or (m <= ms and f > figure)
                       for _, f, m in points)]


def comparable_points(rows):
    """The picture's points ``(name, mAP, Spread)`` of the timed variants,
    each mAP the mean over the seeds that all of them finished (a mean of
    three seeds is not compared with one seed's figure), and those seeds."""
    timed = [row for row in rows if row['ms'] and row['maps']]
    common = (sorted(set.intersection(*(set(row['seeds']) for row in timed)))
              if timed else [])
    if not common:
        return [], common
    points = []
    for row in timed:
        by_seed = dict(zip(row['seeds'], row['maps']))
        figure = statistics.mean(by_seed[seed] for seed in common)
        points.append((row['name'], figure, Spread(*row['ms'])))
    return points, common


def target_lines(reference, torchvision_ms):
    """The picture's guides: torchvision's median ms and 0.3x of it, and 0.9x
    the reference's mAP (``(name, mAP)``), where measured."""
    lines = []
    if torchvision_ms:
        lines += [('torchvision', 'latency', torchvision_ms),
                  ('0.3x torchvision', 'latency', 0.3 * torchvision_ms)]
    if reference:
        lines.append((f'0.9x {reference[0]}', 'figure', 0.9 * reference[1]))
    return lines


def draw_pareto(path, summary):
    """The picture of a sweep summary (what ``sweep.json`` holds): mAP on
    shared seeds against the fastest engine's ms, the Pareto front as
    circles, the guides of :func:`target_lines`. False when nothing is both
    trained and timed."""
    rows, torchvision = summary['rows'], summary.get('torchvision')
    points, common = comparable_points(rows)
    if not points:
        return False
    front = set(pareto_front([(n, f, ms.median) for n, f, ms in points]))
    reference = points[0][:2] if points[0][0] == rows[0]['name'] else None
    seeds = (f'seed {common[0]}' if len(common) == 1
             else f'mean of seeds {", ".join(map(str, common))}')
    plot_latency(path, {'': [(name, figure, ms, 'o' if name in front else 'x')
                             for name, figure, ms in points]},
                 f'held-out bbox mAP ({seeds})', latency_on_x=True, annotate=True,
                 lines=target_lines(reference, Spread(*torchvision['ms']).median
                                    if torchvision else None))
    return True


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('sweep', help='sweep file (seeds, variants)')
    parser.add_argument('--out', help='default: work_dirs/sweep_<sweep file name>')
    parser.add_argument('--seeds', type=int, nargs='+', help="instead of the file's")
    parser.add_argument('--only', nargs='+', metavar='NAME',
                        help='variants to train (all are tabulated)')
    parser.add_argument('--no-training', action='store_true',
                        help='tabulate (and time) the finished runs only')
    parser.add_argument('--no-timing', action='store_true',
                        help='leave the benchmark out (its columns then read -)')
    parser.add_argument('--threads', type=int, default=2)
    parser.add_argument('--repeats', type=int, default=20)
    args = parser.parse_args(argv)
    try:
        seeds, variants = read_sweep(args.sweep)
        unknown = set(args.only or ()) - {v['name'] for v in variants}
        if unknown:
            raise ValueError(f'--only {sorted(unknown)}: allowed: '
                             f'{[v["name"] for v in variants]}')
    except ValueError as error:
        parser.exit(2, f'{parser.prog}: error: {error}\n')
    seeds = args.seeds or seeds
    out = osp.abspath(args.out or osp.join(
        'work_dirs', 'sweep_' + osp.splitext(osp.basename(args.sweep))[0]))
    by_name = {variant['name']: variant for variant in variants}
    try:
        for variant in variants:
            variant['file'] = write_variant_config(variant, out)
            if variant.get('test_of'):
                check_test_variant(variant['file'],
                                   by_name[variant['test_of']]['file'],
                                   variant['name'])
    except ValueError as error:
        parser.exit(2, f'{parser.prog}: error: {error}\n')
    metrics = {}
    for variant in variants:
        chosen = not args.no_training and (args.only is None
                                           or variant['name'] in args.only)
        source = by_name.get(variant.get('test_of'))
        runs = metrics[variant['name']] = []
        for index, seed in enumerate(seeds):
            if not chosen:
                runs.append(finished(run_dir(out, variant, seed), variant['file'],
                                     seed, variant.get('max_iters')))
            elif source:
                runs.append(test_runs_of(variant['file'], variant, seed, out, source,
                                         metrics[source['name']][index]))
            else:
                runs.append(train(variant['file'], variant, seed, out))
    done = [v['file'] for v in variants if any(metrics[v['name']])]
    timing = {} if args.no_timing or not done else time_configs(
        list(dict.fromkeys(done)), out, args.threads, args.repeats)
    rows = summarize(variants, seeds, metrics, timing)
    torchvision = timing.get(TORCHVISION)
    summary = dict(provenance(), tool='sweep_demo', seeds=seeds, rows=rows,
                   torchvision=dict(ms=list(torchvision[0]), engine=torchvision[1])
                   if torchvision else None)
    write_text_atomically(osp.join(out, 'sweep.json'), json.dumps(summary, indent=1))
    text = sweep_table(summary)
    write_text_atomically(osp.join(out, 'results.md'), text + '\n')
    print(text)
    draw_pareto(osp.join(out, 'pareto.png'), summary)
    return 0


if __name__ == '__main__':
    sys.exit(main())
