"""Files written whole or not at all, on the standard library alone (the
torch-free runtime writes its outputs with it too)."""
import os
import os.path as osp
import tempfile
from contextlib import contextmanager


@contextmanager
def atomic_path(path: str):
    """Yield a temporary path beside ``path``, unique to this writer, moved
    onto ``path`` when the block ends without an error; removed otherwise.
    Readers of ``path`` see the old file or the whole new one, never a part,
    and two writers never share a temporary file. The folder is created if
    needed."""
    folder, name = osp.split(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    # the final extension kept last: writers that pick a format by it work
    handle, partial = tempfile.mkstemp(
        prefix=f'.{name}.', suffix=f'.partial{osp.splitext(name)[1]}', dir=folder)
    os.close(handle)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(partial, 0o666 & ~umask)  # as open() would make it, not mkstemp's 0600
    try:
        yield partial
        os.replace(partial, path)
    finally:
        if osp.exists(partial):
            os.remove(partial)


def write_bytes_atomically(path: str, data: bytes):
    with atomic_path(path) as partial:
        with open(partial, 'wb') as f:
            f.write(data)


def write_text_atomically(path: str, text: str):
    write_bytes_atomically(path, text.encode())


def check_writable_folder(folder: str, what: str):
    """A one-line ValueError, before any work, where files cannot be made in
    ``folder`` (created if missing): a file stands in its path, or the
    nearest existing folder is not writable. ``what`` names it (e.g.
    '--out-dir')."""
    existing = osp.abspath(folder or '.')
    while not osp.exists(existing):
        existing = osp.dirname(existing)
    if not osp.isdir(existing):
        raise ValueError(f'{what} {folder}: {existing} is a file, not a folder; '
                         'allowed: a folder path (made if missing)')
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ValueError(f'{what} {folder}: {existing} is not writable '
                         '(permission denied or a read-only file system); '
                         'allowed: a folder you can write')


def check_output_path(out, *inputs):
    """Refuse, before any work, an output path that is a folder, one of
    the ``inputs`` (which writing it would replace), or in a folder that
    cannot be made or written: a one-line ValueError."""
    if osp.isdir(out):
        raise ValueError(f'output {out} is a folder; allowed: the path of a file '
                         'to write')
    check_writable_folder(osp.dirname(out), f'output {out}: folder')
    for path in inputs:
        if osp.abspath(out) == osp.abspath(path) or (
                osp.exists(out) and osp.exists(path) and osp.samefile(out, path)):
            raise ValueError(f'output {out} is the input file {path}; allowed: '
                             'another path (writing it would replace the input)')
