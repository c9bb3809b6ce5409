"""The user's documentation as the tests read it: its files, their fenced
code blocks, and the complexity table."""
import glob
import os.path as osp
import re

from helpers import ROOT


def markdown_files():
    """The user's documentation, relative to the checkout: the README, docs/
    and the config folders' READMEs."""
    return ['README.md', *(osp.relpath(path, ROOT) for pattern in (
        'docs/*.md', 'configs/*/README.md')
        for path in sorted(glob.glob(osp.join(ROOT, pattern))))]


def markdown_blocks(path, *languages):
    """The code blocks of ``path`` (relative to the checkout) fenced as one of
    ``languages`` (```python, ```bash ...), in order."""
    with open(osp.join(ROOT, path)) as f:
        text = f.read()
    fences = '|'.join(map(re.escape, languages))
    return re.findall(rf'^```(?:{fences})\n(.*?)^```', text, re.M | re.S)


def readme_python_blocks():
    """The ```python code blocks of the README, in order."""
    return markdown_blocks('README.md', 'python')


def documented_complexity():
    """docs/complexity.md's table: model name -> (MFLOPs, params in M) as
    printed there."""
    with open(osp.join(ROOT, 'docs', 'complexity.md')) as f:
        rows = [line.split('|')[1:-1] for line in f
                if line.startswith('| ') and not line.startswith('| model ')]
    return {cells[0].strip(): (cells[1].strip(), cells[5].strip())
            for cells in rows if len(cells) == 9}
