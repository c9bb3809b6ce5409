import subprocess
import sys
import textwrap

import pytest

CONFIG = """
custom_imports = dict(imports=['shufflenet_det'], allow_failed_imports=False)
model = dict(type='{type}', {args})
"""

# One line per config file, built in turn in one interpreter.
BUILD = textwrap.dedent("""
    import sys
    import torch
    from mmengine.config import Config
    from mmdet.registry import MODELS
    for path in sys.argv[1:]:
        try:
            model = MODELS.build(Config.fromfile(path).model).eval()
        except KeyError as error:
            print('KeyError', ' '.join(error.args[0].split()))
            continue
        outs = model(torch.zeros(1, 3, 64, 64))
        print(type(model).__module__, [tuple(o.shape) for o in outs])
""")

# type: (arguments, output shapes)
BACKBONES = {
    'ShuffleNetV1': ('groups=3, out_indices=(1, 2)',
                     '[(1, 480, 4, 4), (1, 960, 2, 2)]'),
    'ShuffleNetV2': ('widen_factor=0.5, out_indices=(3,)', '[(1, 1024, 2, 2)]'),
    'MobileNetV1': ('out_indices=(3,)', '[(1, 512, 4, 4)]'),
}


@pytest.fixture(scope='module')
def built(tmp_path_factory):
    """BUILD's line per config in a fresh interpreter: first a config without
    custom_imports (nothing has imported us yet), then one per backbone."""
    folder = tmp_path_factory.mktemp('registry')
    (folder / 'plain.py').write_text("model = dict(type='ShuffleNetV1')\n")
    for type_, (args, _) in BACKBONES.items():
        (folder / f'{type_}.py').write_text(CONFIG.format(type=type_, args=args))
    names = ['plain', *BACKBONES]
    result = subprocess.run([sys.executable, '-c', BUILD,
                             *[str(folder / f'{name}.py') for name in names]],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == len(names), result.stdout
    return dict(zip(names, lines))


@pytest.mark.parametrize('type_', BACKBONES)
def test_build_from_config_with_custom_imports(built, type_):
    """A fresh interpreter: only the config's custom_imports registers us."""
    assert built[type_].split(' ', 1) == ['shufflenet_det.models.backbones.'
                                          f'{module_of(type_)}', BACKBONES[type_][1]]


def test_without_custom_imports_the_type_is_unknown(built):
    assert built['plain'].startswith('KeyError ShuffleNetV1 is not in the')


def module_of(type_):
    return {'ShuffleNetV1': 'shufflenet_v1', 'ShuffleNetV2': 'shufflenet_v2',
            'MobileNetV1': 'mobilenet_v1'}[type_]
