"""Atomic writes: a reader sees the old file or the whole new one, never half a file.

Caches, checkpoints, released notebooks and grade sheets are all written this way, so an
interrupted run (Ctrl-C, a full disk, a crash) loses nothing that was there before.
"""
import contextlib
import os
import tempfile
from pathlib import Path


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_write(path, mode="w", **open_kwargs):
    """Open a temporary file next to ``path``; on a clean exit it replaces ``path``.

    Any exception inside the ``with`` block removes the temporary file and leaves ``path`` as
    it was. The new file gets the usual permissions (0666 less the umask), not mkstemp's 0600.
    """
    path = Path(path)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(handle, mode, **open_kwargs) as file:
            yield file
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_text(path, text, encoding="utf-8"):
    """Write ``text`` to ``path`` atomically."""
    with atomic_write(path, "w", encoding=encoding) as file:
        file.write(text)
