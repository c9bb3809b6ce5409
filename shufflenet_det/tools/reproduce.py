"""Table 7 of the ShuffleNet v1 paper, reproduced cell by cell: train and test
each config with the project's tools (train.py / test.py, or the dist_*
launchers), collect bbox mAP, and write a table beside the paper's figures.
Cells not run stay "not run"; a smoke mode runs the same pipeline on the
generated shapes dataset with a two-iteration schedule.

Run it as ``shufflenet-det-reproduce``, ``python -m shufflenet_det.tools.reproduce``
or ``python tools/reproduce_table7.py``. Data (``data/coco``), the converted
checkpoints the configs name, work and output folders are relative to the
current directory, as with mmdet's tools; configs and tools come with the
package (:mod:`shufflenet_det.paths`).
"""
import argparse
import functools
import glob
import json
import os
import os.path as osp
import subprocess
import sys
from dataclasses import asdict, dataclass
from typing import Optional

from mmengine.config import Config

from .. import __version__
from ..atomic import write_text_atomically
from ..datasets import generate_shapes_dataset
from ..paths import PACKAGE_DIR, config_path, resource_root
from .complexity import measure_complexity
from .demo import write_shapes_config


@dataclass(frozen=True)
class Cell:
    """One result: a backbone at one short side, its config, the paper's mAP."""
    backbone: str
    size: int
    config: str
    paper_map: Optional[float] = None
    note: str = ''

    @property
    def name(self):
        return osp.splitext(osp.basename(self.config))[0]

    @property
    def path(self):
        """Absolute path of the config, wherever the package's configs are."""
        return config_path(osp.relpath(self.config, 'configs'))


def _cells(family, backbone, c4_maps, note=''):
    return tuple(
        Cell(backbone, size,
             f'configs/{family}/faster-rcnn_{name}_c4-1x_coco-{size}.py', paper, note)
        for (name, size, paper) in c4_maps)


TABLE7 = (
    *_cells('shufflenet_v1', 'ShuffleNet 2x (g=3)',
            [('shufflenet-v1-2x-g3', 300, 18.7), ('shufflenet-v1-2x-g3', 600, 25.0)]),
    *_cells('shufflenet_v1', 'ShuffleNet 1x (g=3)',
            [('shufflenet-v1-1x-g3', 300, 14.5), ('shufflenet-v1-1x-g3', 600, 19.8)]),
    *_cells('mobilenet_v1', '1.0 MobileNet-224',
            [('mobilenet-v1-1.0', 300, 14.9), ('mobilenet-v1-1.0', 600, 19.3)],
            note='ShuffleNet paper re-implementation; MobileNets paper: 16.4 / 19.8'),
)
EXTRA = (
    *_cells('shufflenet_v2', 'ShuffleNet v2 1x',
            [('shufflenet-v2-1x', 300, None), ('shufflenet-v2-1x', 600, None)]),
    *_cells('shufflenet_v2', 'ShuffleNet v2 2x',
            [('shufflenet-v2-2x', 300, None), ('shufflenet-v2-2x', 600, None)]),
    *(Cell(f'{backbone} FPN', 600,
           f'configs/{family}/faster-rcnn_{name}_fpn-1x_coco-600.py')
      for family, backbone, name in (
          ('shufflenet_v1', 'ShuffleNet 1x (g=3)', 'shufflenet-v1-1x-g3'),
          ('shufflenet_v2', 'ShuffleNet v2 1x', 'shufflenet-v2-1x'),
          ('mobilenet_v1', '1.0 MobileNet-224', 'mobilenet-v1-1.0'))),
)

# On top of the cell's config on the shapes dataset (``shapes.py``, by
# tools.demo.write_shapes_config): 2 iterations from random weights, in the
# main process, every box kept so that the mAP is computed.
SMOKE_SETTINGS = """# Smoke run: {config} on the generated shapes dataset, 2 iterations.
_base_ = './shapes.py'
loader = dict(num_workers=0, persistent_workers=False)
train_dataloader = dict(batch_size=2, **loader)
val_dataloader = dict(**loader)
test_dataloader = val_dataloader
model = dict(
    backbone=dict(init_cfg=None),
    roi_head=dict({shared_head}),
    test_cfg=dict(rcnn=dict(score_thr=0.0)))
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=2,
                 val_interval=100)
# Seeded, and a step small enough that 2 iterations from random weights
# cannot diverge into a detector that predicts nothing.
randomness = dict(seed=0)
optim_wrapper = dict(optimizer=dict(lr=0.002))
param_scheduler = [dict(type='ConstantLR', factor=1.0, by_epoch=False)]
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=2),
                     logger=dict(interval=1))
log_processor = dict(by_epoch=False)
"""


def smoke_config(cell, work_dir, data_root):
    """Write the smoke variant of ``cell``'s config, SMOKE_SETTINGS on the
    cell's config on the shapes dataset in ``data_root``; return its path."""
    write_shapes_config(osp.join(work_dir, 'shapes.py'), data_root, cell.path)
    cfg = Config.fromfile(cell.path)
    shared_head = ('shared_head=dict(init_cfg=None)'
                   if cfg.model.roi_head.get('shared_head') else '')
    path = osp.join(work_dir, 'smoke_config.py')
    write_text_atomically(path, SMOKE_SETTINGS.format(config=cell.config,
                                                      shared_head=shared_head))
    return path


def pretrained_checkpoints(config_path):
    """Checkpoint files a config's init_cfg needs (backbone, shared head)."""
    model = Config.fromfile(config_path).model
    init_cfgs = [model.backbone.get('init_cfg'),
                 model.roi_head.get('shared_head', {}).get('init_cfg')]
    return sorted({c['checkpoint'] for c in init_cfgs
                   if c and c.get('type') == 'Pretrained'})


def tool(name):
    """Path of one of the project's tools (shipped with the package)."""
    return osp.join(resource_root(), 'tools', name)


def _tool_commands(config, work_dir, gpus):
    """Train and test commands: tools/*.py, or the dist_* launchers."""
    test_dir = osp.join(work_dir, 'test')
    if gpus > 1:
        launch = ['env', f'PYTHON={sys.executable}', 'bash']
        return ([*launch, tool('dist_train.sh'), config, str(gpus),
                 '--work-dir', work_dir],
                [*launch, tool('dist_test.sh'), config, '{checkpoint}', str(gpus),
                 '--work-dir', test_dir])
    return ([sys.executable, tool('train.py'), config, '--work-dir', work_dir],
            [sys.executable, tool('test.py'), config, '{checkpoint}',
             '--work-dir', test_dir])


def _run(command, log_path):
    with open(log_path, 'a') as log:
        result = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT)
    if result.returncode:
        raise RuntimeError(f'{" ".join(command)} failed ({result.returncode}); '
                           f'see {log_path}')


def test_metrics(test_dir):
    """The metrics mmengine's LoggerHook wrote for the newest test run."""
    logs = sorted(glob.glob(osp.join(test_dir, '*', '*.json')), key=osp.getmtime)
    if not logs:
        raise RuntimeError(f'no test log (*/*.json) under {test_dir}')
    with open(logs[-1]) as f:
        lines = [json.loads(line) for line in f if line.strip()]
    metrics = [line for line in lines if 'coco/bbox_mAP' in line]
    if not metrics:
        raise RuntimeError(f'{logs[-1]} holds no coco/bbox_mAP (no box predicted?)')
    return metrics[-1]


def run_cell(cell, work_root, gpus=1, smoke_data=None):
    """Train and test one cell; return its result record."""
    work_dir = osp.join(work_root, cell.name)
    os.makedirs(work_dir, exist_ok=True)
    config = cell.path
    if smoke_data is not None:
        config = smoke_config(cell, work_dir, smoke_data)
    else:
        # URLs and model-zoo names download on first use
        missing = [c for c in pretrained_checkpoints(config)
                   if '://' not in c and not osp.isfile(c)]
        if missing:
            raise FileNotFoundError(f'{cell.name} needs {missing}: download the '
                                    'published ImageNet weights there '
                                    '(docs/weights.md)')
    train, test = _tool_commands(config, work_dir, gpus)
    log_path = osp.join(work_dir, 'reproduce.log')
    _run(train, log_path)
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        checkpoint = f.read().strip()
    test = [part.replace('{checkpoint}', checkpoint) for part in test]
    _run(test, log_path)
    metrics = test_metrics(osp.join(work_dir, 'test'))
    return dict(measured_map=round(100 * metrics['coco/bbox_mAP'], 1),
                command=' && '.join(' '.join(c) for c in (train, test)),
                checkpoint=checkpoint)


def backbone_mflops(config_path):
    """Multiply-adds (M) of the config's full backbone in the papers' convention."""
    model = Config.fromfile(config_path).model
    backbone = model.roi_head.get('shared_head', {}).get('backbone') or model.backbone
    keep = ('type', 'arch', 'groups', 'widen_factor', 'variant', 'stem_channels',
            'act_cfg')
    return _mflops(json.dumps({k: backbone[k] for k in keep if k in backbone},
                              sort_keys=True))


@functools.lru_cache(maxsize=None)
def _mflops(backbone_json):
    """Measured once per backbone: the 300 and 600 cells share theirs. To
    0.1 M, as tools/analyze_complexity.py prints it."""
    return round(measure_complexity(json.loads(backbone_json))[0], 1)


def _commit():
    """The checkout's commit; an installed package has none, only a version."""
    root = resource_root()
    if root != osp.dirname(PACKAGE_DIR):
        return f'shufflenet_det {__version__}'
    result = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'], cwd=root,
                            capture_output=True, text=True)
    return result.stdout.strip() or 'unknown'


def reproduce(cells_to_run, out_dir, work_root, gpus=1, smoke=False):
    """Run ``cells_to_run`` and rewrite ``out_dir``/table7.{json,md}.

    Every cell of Table 7 and of the extra rows is listed; results of earlier
    runs in ``out_dir`` are kept, cells never run read "not run". Returns
    the records; a cell that failed has ``error`` set.
    """
    os.makedirs(out_dir, exist_ok=True)
    json_path = osp.join(out_dir, 'table7.json')
    previous = {}
    if osp.isfile(json_path):
        with open(json_path) as f:
            previous = {r['name']: r for r in json.load(f)['cells']}
    smoke_data = None
    if smoke:
        smoke_data = osp.join(osp.abspath(work_root), 'data')
        generate_shapes_dataset(smoke_data, num_train=8, num_val=4)
    run_names = {cell.name for cell in cells_to_run}
    commit = _commit()
    records = []
    for cell in TABLE7 + EXTRA:
        if cell.name not in run_names and 'measured_map' in previous.get(cell.name, {}):
            records.append(previous[cell.name])
            continue
        record = dict(asdict(cell), name=cell.name,
                      mflops=backbone_mflops(cell.path))
        if cell.name in run_names:
            try:
                record.update(run_cell(cell, work_root, gpus, smoke_data),
                              commit=commit)
            except (RuntimeError, FileNotFoundError) as error:
                record['error'] = str(error)
        records.append(record)
    mode = 'smoke' if smoke else 'coco'
    write_text_atomically(json_path,
                          json.dumps(dict(mode=mode, cells=records), indent=2))
    write_text_atomically(osp.join(out_dir, 'table7.md'), table_markdown(records, mode))
    return records


def table_markdown(records, mode):
    head = ('# ShuffleNet v1 paper, Table 7: Faster R-CNN on COCO, bbox mAP (%)\n\n'
            + ('**SMOKE RUN** on the generated shapes dataset with a 2-iteration '
               'schedule: it checks the pipeline; its mAP is not comparable with '
               "the paper's.\n\n" if mode == 'smoke' else
               'Trained on COCO 2017 train, tested on val2017 (minival).\n\n'))
    rows = ['| backbone | short side | MFLOPs (224) | paper mAP | measured mAP | '
            'difference | config | checkpoint | commit | command |',
            '|---|---|---|---|---|---|---|---|---|---|']
    for r in records:
        paper = '-' if r['paper_map'] is None else f"{r['paper_map']:.1f}"
        if 'measured_map' in r:
            measured = f"{r['measured_map']:.1f}"
            diff = ('-' if r['paper_map'] is None
                    else f"{r['measured_map'] - r['paper_map']:+.1f}")
            extra = [f"`{r['checkpoint']}`", r['commit'], f"`{r['command']}`"]
        else:
            measured = 'failed' if 'error' in r else 'not run'
            diff, extra = '-', ['-', '-', '-']
        rows.append(f"| {r['backbone']} | {r['size']} | {r['mflops']} | {paper} | "
                    f"{measured} | {diff} | `{r['config']}` | " + ' | '.join(extra)
                    + ' |')
    notes = [f"- {r['backbone']}: {r['note']}" for r in records
             if r.get('note') and r['size'] == 600]
    notes += [f"- {r['name']} failed: {r['error']}" for r in records if 'error' in r]
    footer = '\n' + '\n'.join(notes) + '\n' if notes else ''
    return head + '\n'.join(rows) + '\n' + footer


def main():
    cells = {cell.name: cell for cell in TABLE7 + EXTRA}
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('--cells', nargs='+', choices=sorted(cells),
                        help='run only these (default: the Table 7 cells)')
    parser.add_argument('--extra', action='store_true',
                        help='also run the ShuffleNet v2 and FPN rows')
    parser.add_argument('--gpus', type=int, default=1,
                        help='more than 1: through tools/dist_train.sh / dist_test.sh')
    parser.add_argument('--smoke', action='store_true',
                        help='generated dataset, 2 iterations: a pipeline check')
    parser.add_argument('--work-dir', default='work_dirs/table7')
    parser.add_argument('--out-dir', help='default: results, or results/smoke')
    args = parser.parse_args()
    selected = ([cells[name] for name in args.cells] if args.cells
                else list(TABLE7 + EXTRA if args.extra else TABLE7))
    out_dir = args.out_dir or ('results/smoke' if args.smoke else 'results')
    records = reproduce(selected, out_dir, args.work_dir, args.gpus, args.smoke)
    print(open(f'{out_dir}/table7.md').read())
    failed = [r['name'] for r in records if 'error' in r]
    if failed:
        print(f'failed: {failed}', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
