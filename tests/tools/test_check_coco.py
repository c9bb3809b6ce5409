"""tools/check_coco.py (shufflenet_det.tools.check_coco), as a user runs it."""
import subprocess
import sys

import pytest

from helpers import ROOT


@pytest.mark.slow
def test_check_coco_cli_on_an_empty_folder(tmp_path):
    result = subprocess.run([sys.executable, 'tools/check_coco.py', str(tmp_path)],
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert 'instances_train2017.json' in result.stdout
    assert 'instances_val2017.json' in result.stdout
