"""How every tool reads a config: the file with one clear error
(:func:`read_config`), and ``--cfg-options key=value`` parsed by mmengine's
``DictAction`` with a one-line error for a malformed item, and checked
against the config before mmengine merges it, which would silently add a
misspelled key (``score_th=0.9`` beside ``score_thr``). A key that is meant
to be new is written with a leading ``+`` (``+model.init_cfg=...``), as
Hydra's overrides add keys."""
import argparse
import difflib
import os.path as osp
from typing import Optional

from mmengine.config import DictAction

NEW_KEY = '+'


class ConfigOptionsAction(DictAction):
    """mmengine's ``DictAction`` whose malformed items (no ``=``, an
    unclosed bracket) end in ``parser.error`` naming them."""

    def __call__(self, parser, namespace, values, option_string=None):
        for item in values:
            key, equals, value = item.partition('=')
            if not equals or not key.lstrip(NEW_KEY):
                parser.error(f'{option_string} {item!r}: allowed: key=value items, '
                             'e.g. model.test_cfg.rcnn.score_thr=0.5')
            try:
                self._parse_iterable(value)
            except Exception:  # mmengine's parser has no error type of its own
                parser.error(f'{option_string} {item!r}: the value {value!r} is not '
                             'a number, string, list or tuple (an unclosed '
                             'bracket?)')
        super().__call__(parser, namespace, values, option_string)


def add_config_options(parser: argparse.ArgumentParser):
    """The ``--cfg-options`` argument of the project's tools."""
    parser.add_argument(
        '--cfg-options', nargs='+', action=ConfigOptionsAction, metavar='KEY=VALUE',
        help='override config settings (dotted keys, list items by index); a key '
        f'the config does not have is refused unless written as {NEW_KEY}key=value')


def _missing_part(cfg, key: str) -> Optional[str]:
    """The first part of the dotted ``key`` that ``cfg`` does not have (the
    part's path and a close match, as text), or None."""
    node, path = cfg, []
    for part in key.split('.'):
        if isinstance(node, (list, tuple)):
            found = part.isdigit() and int(part) < len(node)
            choices = [str(index) for index in range(len(node))]
        elif isinstance(node, dict):
            found, choices = part in node, list(node)
        else:
            return f'{".".join(path)} is a {type(node).__name__}, not a dict'
        if not found:
            close = difflib.get_close_matches(part, choices, n=1)
            hint = f' (did you mean {".".join(path + close)}?)' if close else ''
            return f'{".".join(path + [part])} is not in the config{hint}'
        node = node[int(part)] if isinstance(node, (list, tuple)) else node[part]
        path.append(part)
    return None


def merge_options(cfg, options: Optional[dict]):
    """Merge ``options`` (``--cfg-options``) into ``cfg``; a ValueError
    naming the first key that matches nothing in it, before anything is
    merged, unless the key starts with ``+`` (a new key)."""
    if not options:
        return cfg
    merged = {}
    for key, value in options.items():
        if key.startswith(NEW_KEY):
            key = key[len(NEW_KEY):]
        else:
            problem = _missing_part(dict(cfg.items()), key)
            if problem:
                raise ValueError(f'--cfg-options {key}: {problem}; allowed: keys of '
                                 f'the config, or {NEW_KEY}{key}=... to add it')
        merged[key] = value
    cfg.merge_from_dict(merged)
    return cfg


def read_config(path):
    """The mmengine ``Config`` of the file ``path``, or a one-line ValueError
    naming it and what it is instead (missing, empty, not Python, binary,
    no ``model``): how every tool reads its config, before any work."""
    from mmengine.config import Config
    if not osp.isfile(path):
        raise ValueError(f'config {path}: ' + ('a folder, not a file' if osp.isdir(path)
                                               else 'no such file'))
    try:
        cfg = Config.fromfile(path)
    except SyntaxError as error:
        raise ValueError(f'config {path} is not valid Python: {error.msg} '
                         f'(line {error.lineno})') from None
    except UnicodeDecodeError:
        raise ValueError(f'config {path} is not a text file') from None
    except Exception as error:  # whatever running the config raises
        detail = (str(error).strip().splitlines() or [''])[0][:200]
        raise ValueError(f'config {path} cannot be read: '
                         f'{type(error).__name__}: {detail}') from None
    if 'model' not in cfg:
        raise ValueError(f'config {path} defines no model (empty, or not a '
                         'detector config)')
    return cfg
