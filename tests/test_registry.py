import subprocess
import sys
import textwrap

import pytest

CONFIG = """
custom_imports = dict(imports=['shufflenet_det'], allow_failed_imports=False)
model = dict(type='{type}', {args})
"""

BUILD = textwrap.dedent("""
    import sys
    import torch
    from mmengine.config import Config
    from mmdet.registry import MODELS
    cfg = Config.fromfile(sys.argv[1])
    model = MODELS.build(cfg.model).eval()
    outs = model(torch.zeros(1, 3, 64, 64))
    print(type(model).__module__, [tuple(o.shape) for o in outs])
""")


@pytest.mark.parametrize('type_,args,shapes', [
    ('ShuffleNetV1', 'groups=3, out_indices=(1, 2)',
     '[(1, 480, 4, 4), (1, 960, 2, 2)]'),
    ('ShuffleNetV2', 'widen_factor=0.5, out_indices=(3,)', '[(1, 1024, 2, 2)]'),
    ('MobileNetV1', 'out_indices=(3,)', '[(1, 512, 4, 4)]'),
])
def test_build_from_config_with_custom_imports(tmp_path, type_, args, shapes):
    """A fresh interpreter: only the config's custom_imports registers us."""
    path = tmp_path / 'config.py'
    path.write_text(CONFIG.format(type=type_, args=args))
    result = subprocess.run([sys.executable, '-c', BUILD, str(path)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split(' ', 1) == ['shufflenet_det.models.backbones.'
                                           f'{module_of(type_)}', shapes + '\n']


def test_without_custom_imports_the_type_is_unknown(tmp_path):
    path = tmp_path / 'config.py'
    path.write_text("model = dict(type='ShuffleNetV1')\n")
    result = subprocess.run([sys.executable, '-c', BUILD, str(path)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    assert 'ShuffleNetV1 is not in the' in result.stderr


def module_of(type_):
    return {'ShuffleNetV1': 'shufflenet_v1', 'ShuffleNetV2': 'shufflenet_v2',
            'MobileNetV1': 'mobilenet_v1'}[type_]
