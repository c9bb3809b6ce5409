"""The package as a user installs it: a wheel built from the checkout, pip's
verdict on installing it into other MMDetection stacks, and the wheel
installed into a fresh virtual environment and used from outside the
checkout. Offline: stacks are stub distributions (a ``*.dist-info/METADATA``
is all pip looks at), the fresh environment reaches the real dependencies
through a ``.pth`` file naming this environment's site-packages."""
import glob
import json
import os
import os.path as osp
import shutil
import subprocess
import sys
import sysconfig
import zipfile

import pytest

from shufflenet_det.datasets import generate_shapes_dataset
from helpers import ROOT, write_tiny_config

pytestmark = pytest.mark.slow  # a wheel build, pip runs, fresh environments

TABLE7_CONFIG = 'shufflenet_v1/faster-rcnn_shufflenet-v1-1x-g3_c4-1x_coco-600.py'
CONSOLE_SCRIPTS = ('shufflenet-det-demo', 'shufflenet-det-train', 'shufflenet-det-test',
                   'shufflenet-det-export', 'shufflenet-det-quantize',
                   'shufflenet-det-convert-weights', 'shufflenet-det-check-coco',
                   'shufflenet-det-reproduce', 'shufflenet-det-complexity',
                   'shufflenet-det-predict', 'shufflenet-det-check-anchors',
                   'shufflenet-det-to-mnn', 'shufflenet-det-benchmark-backbone',
                   'shufflenet-det-benchmark-detector',
                   'shufflenet-det-benchmark-runtime')
# tools/ of the project alone, left out of the wheel
PROJECT_TOOLS = ('setup_env.sh', 'check_runtime_wheels.py', 'check_speed_targets.py',
                 'sweep_demo.py', 'results_page.py', 'check_arm64.py')
# where tools/setup_env.sh downloads the runtime extra's wheels
RUNTIME_WHEELS = osp.join(os.environ.get('SHUFFLENET_DET_CACHE', osp.expanduser(
    '~/.cache/shufflenet_det')), 'runtime-wheels')
TRAINING_STACK = ('torch', 'torchvision', 'mmcv', 'mmengine', 'mmdet')
NOT_SOURCES = ('.git', '.venv', 'build', 'dist', 'work_dirs', 'data', 'results',
               'checkpoints', '*.egg-info', '__pycache__', '.pytest_cache')


def run(command, **kwargs):
    result = subprocess.run(command, capture_output=True, text=True, timeout=300,
                            **kwargs)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    return result.stdout


@pytest.fixture(scope='module')
def wheel(tmp_path_factory):
    """The wheel of a clean copy of the checkout (no stale build/ folder)."""
    tmp = tmp_path_factory.mktemp('wheel')
    source = tmp / 'source'
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*NOT_SOURCES))
    run([sys.executable, '-m', 'pip', 'wheel', '--no-deps', '--no-build-isolation',
         '--no-index', '--quiet', '-w', str(tmp), str(source)])
    (path, ) = glob.glob(str(tmp / 'shufflenet_det-*.whl'))
    return path


def fresh_venv(path):
    """A virtual environment without pip; returns (python, site-packages)."""
    run([sys.executable, '-m', 'venv', '--without-pip', str(path)])
    python = str(path / 'bin' / 'python')
    site = run([python, '-c',
                'import sysconfig; print(sysconfig.get_paths()["purelib"])'])
    return python, site.strip()


def pip_into(python, *args):
    """This environment's pip, acting on another interpreter's environment."""
    return subprocess.run([sys.executable, '-m', 'pip', '--python', python,
                           *args], capture_output=True, text=True, timeout=300)


def test_wheel_carries_configs_tools_license_and_no_tests(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = archive.read(next(n for n in names if n.endswith('/METADATA')))
        entry_points = archive.read(
            next(n for n in names if n.endswith('/entry_points.txt')))
    configs = {osp.relpath(p, ROOT) for p in
               glob.glob(osp.join(ROOT, 'configs', '**', '*.*'), recursive=True)}
    assert configs and {f'shufflenet_det/.mim/{c}' for c in configs} <= set(names)
    assert 'shufflenet_det/.mim/tools/train.py' in names
    assert not {f'shufflenet_det/.mim/tools/{t}' for t in PROJECT_TOOLS} & set(names)
    assert any(n.endswith('.dist-info/licenses/LICENSE') or
               n.endswith('.dist-info/LICENSE') for n in names)
    assert not [n for n in names if n.startswith('tests/') or '/tests/' in n]
    requires = [line for line in metadata.decode().splitlines()
                if line.startswith('Requires-Dist:') and 'extra ==' not in line]
    assert requires and not [r for r in requires if '==' in r]
    assert {line.split(' = ')[0] for line in entry_points.decode().splitlines()
            if ' = ' in line} == set(CONSOLE_SCRIPTS)


# name: (versions, whether pip accepts the wheel beside them)
STACKS = {
    'mmdet 3.0': (dict(torch='1.13.1', torchvision='0.14.1', mmcv='2.0.0rc4',
                       mmengine='0.7.1', mmdet='3.0.0'), True),
    'mmdet 3.1': (dict(torch='2.0.1', torchvision='0.15.2', mmcv='2.0.1',
                       mmengine='0.8.4', mmdet='3.1.0'), True),
    'mmdet 3.3': (dict(torch='2.1.2', torchvision='0.16.2', mmcv='2.1.0',
                       mmengine='0.10.3', mmdet='3.3.0'), True),
    # mmdet 3.x itself refuses mmcv 2.2: pip would have to replace it
    'mmcv 2.2': (dict(torch='2.3.1', torchvision='0.18.1', mmcv='2.2.0',
                      mmengine='0.10.4', mmdet='3.3.0'), False),
}


@pytest.mark.parametrize('stack', STACKS)
def test_pip_installs_into_an_existing_stack_without_changing_it(
        stack, wheel, tmp_path):
    versions, accepted = STACKS[stack]
    python, site = fresh_venv(tmp_path / 'venv')
    for name, version in dict(versions, pycocotools='2.0.6', numpy='1.26.4').items():
        dist_info = osp.join(site, f'{name}-{version}.dist-info')
        os.makedirs(dist_info)
        with open(osp.join(dist_info, 'METADATA'), 'w') as f:
            f.write(f'Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n')
    result = pip_into(python, 'install', '--dry-run', '--no-index', '--quiet',
                      '--report', '-', f'{wheel}[mmdet]')
    if not accepted:
        assert result.returncode != 0
        assert 'mmcv<2.2.0,>=2.0.0rc4' in result.stderr
        return
    assert result.returncode == 0, result.stderr[-3000:]
    report = json.loads(result.stdout)
    assert [item['metadata']['name'] for item in report['install']] == [
        'shufflenet_det']


INSTALLED_USE = f'''
import os.path as osp
import sys
from importlib.metadata import entry_points

import shufflenet_det
from mmdet.registry import MODELS
from mmdet.utils import register_all_modules
from mmengine.config import Config
from shufflenet_det.tools.demo import DEMO_CONFIG
from shufflenet_det.paths import config_path, resource_root
from shufflenet_det.tools.reproduce import tool

package = osp.dirname(shufflenet_det.__file__)
assert package == osp.join(sys.argv[1], 'shufflenet_det'), package
assert resource_root() == osp.join(package, '.mim'), resource_root()
assert DEMO_CONFIG.startswith(resource_root()) and osp.isfile(DEMO_CONFIG)
assert osp.isfile(tool('train.py'))
register_all_modules()
cfg = Config.fromfile(config_path({TABLE7_CONFIG!r}))
cfg.model.backbone.init_cfg = cfg.model.roi_head.shared_head.init_cfg = None
model = MODELS.build(cfg.model)
print(type(model).__name__, type(model.backbone).__name__)
scripts = [e for e in entry_points(group='console_scripts')
           if e.name.startswith('shufflenet-det-')]
assert all(callable(e.load()) for e in scripts)
print(*sorted(e.name for e in scripts))
'''


# Each installed console script (the file pip wrote) run with --help, all in
# one interpreter (a process each would import the stack again, 6 s each)
HELP_OF_EACH = '''
import contextlib, io, json, runpy, sys
usages = {}
for script in sys.argv[1:]:
    sys.argv, out = [script, '--help'], io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            runpy.run_path(script, run_name='__main__')
        except SystemExit as done:
            assert done.code in (0, None), (script, done.code)
    usages[script] = out.getvalue()
print(json.dumps(usages))
'''


def test_installed_wheel_works_from_outside_the_checkout(wheel, tmp_path):
    """Configs found from the installed package, a Table 7 config built, the
    demo's console script, and mmdet's own tools/train.py on our config."""
    python, site = fresh_venv(tmp_path / 'venv')
    with open(osp.join(site, 'dependencies.pth'), 'w') as f:
        f.write(sysconfig.get_paths()['purelib'] + '\n')
    result = pip_into(python, 'install', '--no-deps', '--no-index', '--quiet', wheel)
    assert result.returncode == 0, result.stderr[-3000:]
    elsewhere = tmp_path / 'elsewhere'
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    out = run([python, '-c', INSTALLED_USE, site], cwd=elsewhere, env=env)
    assert out.split()[:2] == ['FasterRCNN', 'ShuffleNetV1']
    assert out.split()[2:] == sorted(CONSOLE_SCRIPTS)
    for script in CONSOLE_SCRIPTS:
        assert osp.isfile(tmp_path / 'venv' / 'bin' / script)
    bin_dir = tmp_path / 'venv' / 'bin'
    called = ('train', 'test', 'export', 'quantize', 'predict', 'check-anchors')
    helped = sorted(set(CONSOLE_SCRIPTS) - {f'shufflenet-det-{c}' for c in called})
    usages = json.loads(run([python, '-c', HELP_OF_EACH,
                             *(str(bin_dir / script) for script in helped)],
                            cwd=elsewhere, env=env).splitlines()[-1])
    for script in helped:
        help_text = usages[str(bin_dir / script)]
        assert help_text.startswith(f'usage: {script}'), help_text[:200]

    import mmdet
    mmdet_train = osp.join(osp.dirname(mmdet.__file__), '.mim', 'tools', 'train.py')
    generate_shapes_dataset(str(elsewhere / 'data'), num_train=4, num_val=2,
                            image_size=64)
    demo_config = osp.join(site, 'shufflenet_det', '.mim', 'configs', 'demo',
                           'faster-rcnn_shufflenet-v1-1x-g3_fpn_shapes.py')
    write_tiny_config(elsewhere, demo_config)
    log = run([python, mmdet_train, 'tiny.py', '--work-dir', 'work'],
              cwd=elsewhere, env=env)
    assert osp.isfile(elsewhere / 'work' / 'iter_2.pth'), log[-2000:]

    # the user's chain on the installed commands alone (the commands above
    # answer --help)
    def command(script, *args):
        return run([str(bin_dir / f'shufflenet-det-{script}'), *args], cwd=elsewhere,
                   env=env)
    command('train', 'tiny.py', '--work-dir', 'mine')
    command('test', 'tiny.py', 'mine/iter_2.pth', '--out', 'predictions.pkl')
    assert 'input [1, 3, 128, 128]' in command('export', 'tiny.py', 'mine/iter_2.pth',
                                               'model.onnx')
    command('quantize', 'tiny.py', 'model.onnx', 'int8.onnx', '--calib-images', '2')
    command('predict', 'int8.onnx', 'data/val', '--out-dir', 'out')
    anchors = subprocess.run([str(bin_dir / 'shufflenet-det-check-anchors'), 'tiny.py'],
                             cwd=elsewhere, env=env, capture_output=True, text=True,
                             timeout=300)
    assert anchors.returncode in (0, 1) and 'anchor' in anchors.stdout, anchors.stderr
    assert osp.isfile(elsewhere / 'predictions.pkl')
    assert len(os.listdir(elsewhere / 'out' / 'preds')) == 2


def test_runtime_extra_installs_alone_and_predicts(wheel, thundernet_model, tmp_path):
    """pip install "shufflenet_det[runtime]" from local wheels, offline, into
    an empty environment: no training stack comes with it, it stays under
    400 MB, and shufflenet-det-predict runs an exported detector."""
    assert osp.isdir(RUNTIME_WHEELS), (
        f'{RUNTIME_WHEELS} is missing: tools/setup_env.sh downloads the runtime '
        'extra\'s wheels there')
    venv = tmp_path / 'venv'
    python, site = fresh_venv(venv)
    result = pip_into(python, 'install', '--no-index', '--find-links', RUNTIME_WHEELS,
                      '--quiet', f'{wheel}[runtime]')
    assert result.returncode == 0, result.stderr[-3000:]
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    found = run([python, '-c', 'import importlib.util as u, sys; print([m for m in '
                 'sys.argv[1:] if u.find_spec(m)])', *TRAINING_STACK],
                cwd=tmp_path, env=env)
    assert found.strip() == '[]'
    files = [osp.join(folder, name) for folder, _, names in os.walk(venv)
             for name in names]
    size = sum(osp.getsize(path) for path in files if not osp.islink(path))
    assert size < 400 * 2**20, f'{size / 2**20:.0f} MB'
    image = tmp_path / 'image.jpg'
    import cv2
    import numpy as np
    cv2.imwrite(str(image), np.random.default_rng(0).integers(0, 256, (96, 128, 3),
                                                              np.uint8))
    log = run([str(venv / 'bin' / 'shufflenet-det-predict'), thundernet_model[1],
               str(image), '--out-dir', 'out'], cwd=tmp_path, env=env)
    assert '1 of 1 inputs predicted' in log
    preds = json.loads((tmp_path / 'out' / 'preds' / 'image.json').read_text())
    assert len(preds['bboxes']) == len(preds['scores']) > 0
