"""Files written whole or not at all: an interrupted write leaves the
previous file (or none), never half of one."""
import os
from contextlib import contextmanager


@contextmanager
def atomic_path(path):
    """Yield a temporary path beside ``path``, moved onto it on success."""
    partial = f'{path}.partial'
    try:
        yield partial
        os.replace(partial, path)
    finally:
        if os.path.exists(partial):
            os.remove(partial)


def write_text_atomically(path, text):
    with atomic_path(path) as partial:
        with open(partial, 'w') as f:
            f.write(text)
