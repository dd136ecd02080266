"""Writes that never leave a half-written file: a temporary file next to the target, flushed to disk
(``fsync``), then renamed over it (``os.replace`` is atomic on POSIX and Windows).

A reader sees the old file or the new one, never a mix; a crash or ``SIGKILL`` mid-write leaves the
old content. The folder is synced after the rename so the new name survives a power cut too. The
temporary file names its writer's pid; the next write of the same target removes the temporary
files of writers that no longer run (:func:`clean_stale_temporaries`).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

__all__ = ["atomic_path", "atomic_savez", "atomic_write_bytes", "atomic_write_json", "atomic_write_text",
           "clean_stale_temporaries"]


def _fsync_file(path: Path) -> None:
    with open(path, "rb+") as fh:
        os.fsync(fh.fileno())


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):  # not every platform opens folders
        dfd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], *, suffix: str | None = None,
                durable: bool = True) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; on success it replaces ``path`` atomically.

    Parameters
    ----------
    path
        The file to write; its folder is created if needed.
    suffix
        Suffix of the temporary file (writers such as GDAL choose the format by it); default
        ``<suffix of path>.tmp``.
    durable
        Flush the file and the folder to disk (``fsync``) before and after the rename. ``False``
        for files rewritten many times a second whose loss costs nothing (progress notes).

    Notes
    -----
    The temporary path does not exist when it is yielded: writers that create the file
    themselves (GDAL, SQLite) can. On any error the temporary file is removed and ``path`` keeps
    its previous content.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
    >>> with atomic_path(target) as tmp:
    ...     _ = tmp.write_text("done")
    >>> target.read_text()
    'done'
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    clean_stale_temporaries(target)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=suffix or target.suffix + ".tmp",
                               dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    tmp_path.unlink()
    try:
        yield tmp_path
        if durable and tmp_path.exists():
            _fsync_file(tmp_path)
        os.replace(tmp_path, target)
        if durable:
            _fsync_dir(target.parent)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # someone else's process: alive
    return True


def clean_stale_temporaries(path: str | os.PathLike[str]) -> list[Path]:
    """Remove the temporary files that killed writers of ``path`` left next to it.

    A temporary file is named ``.<name>.<pid>.<random><suffix>``; it is stale when the process
    ``pid`` no longer runs (a writer killed before its rename). Files of live writers, and names
    without a pid, are left alone.

    Returns
    -------
    list of Path
        The files removed.
    """
    target = Path(path)
    head = f".{target.name}."
    removed: list[Path] = []
    try:
        names = [q for q in target.parent.iterdir() if q.name.startswith(head)]
    except OSError:
        return removed
    for q in names:
        pid_text = q.name[len(head):].split(".", 1)[0]
        if not pid_text.isdigit() or int(pid_text) == os.getpid() or _alive(int(pid_text)):
            continue
        with contextlib.suppress(OSError):
            if q.is_file() and not q.is_symlink():
                q.unlink()
                removed.append(q)
    return removed


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes, *, durable: bool = True) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_path`)."""
    with atomic_path(path, durable=durable) as tmp:
        tmp.write_bytes(data)


def atomic_write_text(path: str | os.PathLike[str], text: str, *, durable: bool = True) -> None:
    """Write UTF-8 ``text`` to ``path`` atomically (see :func:`atomic_path`)."""
    atomic_write_bytes(path, text.encode("utf-8"), durable=durable)


def atomic_write_json(path: str | os.PathLike[str], data: Any, *, indent: int | None = 2,
                      durable: bool = True) -> None:
    """Write ``data`` as strict JSON (NaN and infinities as ``null``) atomically, newline-ended.

    >>> import json, tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "m.json"
    >>> atomic_write_json(p, {"x": float("nan")}, indent=None)
    >>> json.loads(p.read_text())
    {'x': None}
    """
    from dayafter._util.jsonable import json_dumps

    atomic_write_text(path, json_dumps(data, indent=indent, default=None) + "\n", durable=durable)


def atomic_savez(path: str | os.PathLike[str], arrays: dict[str, Any], *, durable: bool = True) -> None:
    """``numpy.savez`` of ``arrays`` to ``path`` atomically (uncompressed)."""
    import numpy as np

    with atomic_path(path, suffix=".npz", durable=durable) as tmp, open(tmp, "wb") as fh:
        np.savez(fh, **arrays)
