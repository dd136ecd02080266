"""Processes that die together, and one writer per run folder.

- :func:`die_with_parent` runs first in every local chain worker: on Linux the kernel kills the
  worker when the process that started it dies (``prctl(PR_SET_PDEATHSIG, SIGKILL)``), elsewhere a
  thread watches the parent and exits; either way a killed ``ensemble run`` leaves no orphan chain
  still writing into its run folder or holding the caller's pipes.
- :class:`FolderLock` is an exclusive ``flock`` on a lock file holding the writer's pid, host and
  start time. The main process holds ``.lock`` of the run folder for the whole run and each worker
  holds ``chain_XXX.lock`` while it runs its chain, so a second run or a ``--resume`` refuses to
  start while any live process still writes there, naming it. The kernel drops the lock when its
  holder dies, so a lock file left by a killed run is stale and taken over without asking.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sys
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import IO, Any

from dayafter.errors import ConfigError

__all__ = ["FolderLock", "check_no_live_writer", "die_with_parent", "workers_die_with_this_process"]

ENV_PARENT = "DAYAFTER_DIE_WITH_PARENT"
"""Names the run's pid to the worker processes it starts (read by ``dayafter/__init__.py``)."""

_PR_SET_PDEATHSIG = 1


@contextlib.contextmanager
def workers_die_with_this_process() -> Any:
    """While the block runs, processes started from here (spawned chain workers) die with this
    process from their first moment: :data:`ENV_PARENT` names it, and ``import dayafter`` in the
    child arms the parent-death signal before the child's other imports (seconds, during which a
    killed run would otherwise leave workers running)."""
    old = os.environ.get(ENV_PARENT)
    os.environ[ENV_PARENT] = str(os.getpid())
    try:
        yield
    finally:
        if old is None:
            os.environ.pop(ENV_PARENT, None)
        else:
            os.environ[ENV_PARENT] = old


def die_with_parent(parent_pid: int) -> None:
    """Make this process exit when ``parent_pid`` (the process that started it) dies.

    Parameters
    ----------
    parent_pid
        The pid of the parent, read in the parent before the child was started (a parent that
        died in the meantime is then noticed at once).
    """
    armed = False
    if sys.platform.startswith("linux"):
        try:
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            armed = libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0
        except (OSError, AttributeError):
            armed = False
    if os.getppid() != parent_pid:  # the parent died before the signal was armed
        os._exit(1)
    if not armed:
        threading.Thread(target=_watch_parent, args=(parent_pid,), daemon=True,
                         name="dayafter-parent-watch").start()


def _watch_parent(parent_pid: int, every: float = 0.5) -> None:
    while True:
        if os.getppid() != parent_pid:
            os._exit(1)
        time.sleep(every)


class FolderLock:
    """An exclusive lock on ``path`` (a lock file) naming its holder; see the module notes.

    Parameters
    ----------
    path
        The lock file (created if missing; never removed, so that two processes always lock the
        same file).
    what
        What is locked, for the message (``"run folder runs/a"``).

    Raises
    ------
    ConfigError
        On :meth:`acquire`, when a live process holds the lock: the message names its pid, host
        and start time and the fix.
    """

    def __init__(self, path: str | os.PathLike[str], *, what: str) -> None:
        self.path = Path(path)
        self.what = what
        self._fh: IO[str] | None = None

    def acquire(self) -> FolderLock:
        """Take the lock (non-blocking) and write this process's pid into the file."""
        import fcntl

        fh = open(self.path, "a+", encoding="utf-8")  # held until release()
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fh)
            fh.close()
            raise ConfigError(
                f"the {self.what} is being written by another live process ({_describe(holder)})",
                hint=f"wait for it to finish, or stop it (kill {holder.get('pid', 'PID')}) and resume",
                source=str(self.path.parent)) from None
        except OSError:  # a file system without locks (some network mounts): go on unlocked
            pass
        fh.seek(0)
        fh.truncate()
        fh.write(json.dumps({"pid": os.getpid(), "host": socket.gethostname(),
                             "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}) + "\n")
        fh.flush()
        self._fh = fh
        return self

    def release(self) -> None:
        """Drop the lock (the file stays)."""
        if self._fh is not None:
            with contextlib.suppress(OSError):
                self._fh.close()
            self._fh = None

    def __enter__(self) -> FolderLock:
        return self.acquire()

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()


def _read_holder(fh: IO[str]) -> dict[str, Any]:
    try:
        fh.seek(0)
        data = json.loads(fh.read() or "{}")
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def _describe(holder: dict[str, Any]) -> str:
    if not holder:
        return "pid unknown"
    return f"pid {holder.get('pid')} on {holder.get('host')}, since {holder.get('started')}"


def check_no_live_writer(run_dir: str | os.PathLike[str], chains: int) -> None:
    """Refuse when a live process still holds a chain lock of ``run_dir`` (an orphaned worker).

    Each lock is tried and released at once; the run folder's own lock is taken by the caller.
    """
    rd = Path(run_dir)
    for i in range(chains):
        p = rd / f"chain_{i:03d}.lock"
        if p.exists():
            FolderLock(p, what=f"chain {i} of run folder {rd}").acquire().release()
