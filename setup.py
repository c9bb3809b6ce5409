"""Build hook; metadata and dependencies are in setup.cfg.

configs/ and tools/ stay at the repository's top level and are copied into
the built package as ``shufflenet_det/.mim/{configs,tools}``, the way
OpenMMLab packages ship theirs, so that a wheel install finds them
(``shufflenet_det.paths``); the project's own set-up and measurement scripts
stay out. An editable install reads them from the checkout.
"""
import os.path as osp
import shutil

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = osp.dirname(osp.abspath(__file__))
MIM_FOLDERS = ('configs', 'tools')
# tools/ of the project, not of its users: set-up, the wheels the install
# tests use, the project's speed targets and accuracy sweeps.
PROJECT_ONLY = ('setup_env.sh', 'check_runtime_wheels.py', 'check_speed_targets.py',
                'sweep_demo.py', 'sweeps', 'results_page.py', 'check_arm64.py')


class BuildPyWithMim(build_py):
    """build_py that also copies MIM_FOLDERS into the package's .mim/."""

    def run(self):
        super().run()
        if getattr(self, 'editable_mode', False):
            return
        for folder in MIM_FOLDERS:
            target = osp.join(self.build_lib, 'shufflenet_det', '.mim', folder)
            shutil.rmtree(target, ignore_errors=True)  # no stale files from build/
            shutil.copytree(osp.join(HERE, folder), target,
                            ignore=shutil.ignore_patterns('__pycache__', '*.pyc',
                                                          *PROJECT_ONLY))


setup(cmdclass={'build_py': BuildPyWithMim})
