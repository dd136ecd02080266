"""Runs first when dayafter is imported: a chain worker started by an ensemble run dies with it.

Kept free of imports beyond the standard library, so that it runs before the seconds of imports
that follow in a freshly spawned worker.
"""

from __future__ import annotations

__all__: list[str] = []


def _die_with_parent_if_asked() -> None:
    """A chain worker started by an ensemble run dies with the run, from its first moment.

    The run names itself in ``DAYAFTER_DIE_WITH_PARENT`` while it starts its worker processes
    (:mod:`dayafter.ensemble._procs`). A process that imports dayafter with that variable set asks
    the kernel for SIGKILL when its parent dies (Linux ``prctl(PR_SET_PDEATHSIG)``), before the
    seconds of imports that follow, and exits at once when the run is gone already.
    """
    import os

    pid = os.environ.get("DAYAFTER_DIE_WITH_PARENT", "")
    if not pid.isdigit() or int(pid) == os.getpid():
        return
    import sys

    if os.getppid() == int(pid) and sys.platform.startswith("linux"):
        try:
            import ctypes

            ctypes.CDLL(None).prctl(1, 9, 0, 0, 0)  # PR_SET_PDEATHSIG, SIGKILL
        except (OSError, AttributeError):
            pass
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        os._exit(1)  # the run that started this worker is dead: do nothing in its folder
    except OSError:
        pass


_die_with_parent_if_asked()
