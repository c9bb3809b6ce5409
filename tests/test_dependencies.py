"""The package's modules depend one way: model_zoo <- checkpoints <- models
(networks, no file I/O) <- converters (state dict to state dict) <- weights
(read, recognise, check, load) <- engine, deploy, tools. Read from every
import statement, those inside functions too, so that no import closes a
circle unseen."""
import ast
import textwrap
from pathlib import Path

import pytest

import shufflenet_det

PACKAGE = Path(shufflenet_det.__file__).parent
# What each lower layer may import of the package, besides itself; the
# layers above (engine, deploy, tools, datasets) may use all.
ALLOWED = {
    'atomic': set(),
    'paths': set(),
    'runtime': {'atomic'},
    'model_zoo': set(),
    'checkpoints': {'model_zoo'},
    'ops': set(),
    'models': {'ops'},
    'converters': {'models'},
    'weights': {'atomic', 'checkpoints', 'models', 'converters'},
}


def imported_parts(source, package):
    """The package's top-level modules (``models``, ``checkpoints``, ...) that
    ``source``, a module of ``package`` (``('shufflenet_det', 'models')``),
    imports anywhere in it."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name.split('.') for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = list(package[:len(package) + 1 - node.level]) if node.level else []
            module = base + (node.module.split('.') if node.module else [])
            names = ([module] if node.module else
                     [module + [alias.name] for alias in node.names])
        else:
            continue
        found.update(name[1] for name in names
                     if name[0] == 'shufflenet_det' and len(name) > 1)
    return found


def modules_of(part):
    path = PACKAGE / part
    return sorted(path.rglob('*.py')) if path.is_dir() else [path.with_suffix('.py')]


def test_imports_are_read_from_every_statement():
    source = textwrap.dedent("""
        import torch
        from .. import layers
        from ... import checkpoints
        from ...ops import PSRoIAlign
        import shufflenet_det.weights

        def load():
            from ...converters import CONVERTERS
    """)
    assert imported_parts(source, ('shufflenet_det', 'models', 'roi_heads')) == {
        'models', 'checkpoints', 'ops', 'weights', 'converters'}
    weights = (PACKAGE / 'weights.py').read_text()
    assert imported_parts(weights, ('shufflenet_det', )) == {
        'atomic', 'converters', 'checkpoints', 'models'}


@pytest.mark.parametrize('part', sorted(ALLOWED))
def test_each_layer_imports_only_those_below_it(part):
    wrong = []
    for path in modules_of(part):
        package = path.relative_to(PACKAGE.parent).parent.parts
        for other in imported_parts(path.read_text(), package) - {part} - ALLOWED[part]:
            wrong.append(f'{path.relative_to(PACKAGE.parent)} imports {other}')
    assert not wrong, wrong
