"""tools/convert_weights.py (shufflenet_det.tools.convert_weights), as a user
runs it."""
import subprocess
import sys

import pytest

from helpers import ROOT, tool_exit


@pytest.mark.slow
def test_cli_converts_and_never_overwrites(megvii_v1_checkpoint, tmp_path):
    dst = tmp_path / 'converted.pth'
    command = [sys.executable, 'tools/convert_weights.py', 'megvii',
               str(megvii_v1_checkpoint), str(dst), '--groups', '3']
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    assert "'groups': 3, 'widen_factor': 1.0" in result.stdout
    assert "'bgr_to_rgb': False" in result.stdout
    before = dst.read_bytes()
    # the refusals, in this process
    status, stderr = tool_exit(*command[1:])
    assert status == 1 and 'converted.pth exists' in stderr
    assert dst.read_bytes() == before
    status, stderr = tool_exit(*command[1:-1], '8')
    assert status == 1
    assert 'groups=8 requested, checkpoint has 3' in stderr
