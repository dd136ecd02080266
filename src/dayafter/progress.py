"""Progress of long runs and cooperative cancellation: one protocol for every engine and front end.

A long run (an ensemble, an optimization, later uncertainty draws) reports what it has done by
calling a :data:`ProgressCallback` with a frozen :class:`ProgressEvent`, at least once a second
while it works and once when it ends. It checks a :class:`CancelToken` at *safe points*, places
where stopping leaves a consistent state (a chain at a checkpoint, an optimizer with its best plan
so far), and raises :class:`Cancelled` there once the token is set. Front ends are adapters over
this protocol: the CLI draws a rich bar on stderr, a notebook a ``tqdm`` bar, the web app streams
the events as server-sent events; the engines know none of them.

This module is the ground floor: it imports nothing of dayafter but :mod:`dayafter.errors`.

Examples
--------
>>> events = []
>>> token = CancelToken()
>>> def work(progress, cancel):
...     for i in range(3):
...         cancel.check("demo")
...         progress(ProgressEvent("demo", done=i + 1, total=3))
>>> work(events.append, token)
>>> [(e.done, e.fraction) for e in events]
[(1, 0.3333333333333333), (2, 0.6666666666666666), (3, 1.0)]
>>> token.cancel()
>>> try:
...     work(events.append, token)
... except Cancelled as exc:
...     print(exc.message)
demo cancelled
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from dayafter.errors import DayafterError

__all__ = [
    "CancelToken",
    "Cancelled",
    "ProgressCallback",
    "ProgressEvent",
    "Throttle",
    "check_cancel",
    "emit",
]


@dataclass(frozen=True)
class ProgressEvent:
    """What a long run has done so far.

    Parameters
    ----------
    task
        What runs, e.g. ``"ensemble"``, ``"optimize"`` (front ends may show it as the bar's label).
    done
        Units of work done (steps, draws, seconds of a time-limited search).
    total
        Units of work in all, or ``None`` when unknown.
    elapsed
        Seconds since the run started.
    message
        One short human-readable line (``"chain 2/4"``, ``"MIP gap 3.1%"``), or ``""``.
    extra
        Task-specific numbers (``moves``, ``best``, ``bound``, ``gap``...), JSON-ready; read only.
    final
        True for the last event of a run (done, cancelled or failed).
    """

    task: str
    done: float = 0
    total: float | None = None
    elapsed: float = 0.0
    message: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)
    final: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "extra", MappingProxyType(dict(self.extra)))

    @property
    def fraction(self) -> float | None:
        """``done / total`` in ``[0, 1]``, or ``None`` when the total is unknown."""
        if not self.total:
            return None
        return min(max(self.done / self.total, 0.0), 1.0)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (for server-sent events and logs)."""
        return {"task": self.task, "done": self.done, "total": self.total,
                "elapsed": self.elapsed, "message": self.message, "extra": dict(self.extra),
                "final": self.final, "fraction": self.fraction}


ProgressCallback = Callable[[ProgressEvent], None]
"""Called by a run with each :class:`ProgressEvent`; it must return quickly and not raise."""


class Cancelled(DayafterError, RuntimeError):
    """A run stopped at a safe point because its :class:`CancelToken` was set.

    What the run had done is kept where its documentation says (a run directory that can be
    resumed, the best plan so far); ``partial`` carries it when the run returns something.
    """

    exit_code = 130

    def __init__(self, message: str, *, hint: str = "", partial: Any = None) -> None:
        super().__init__(message, hint=hint)
        self.partial = partial


class CancelToken:
    """A flag a front end sets (Ctrl-C, a web request) and a run checks at safe points.

    Thread-safe (a ``threading.Event``): the web app sets it from a request thread while the run
    works in another. A token can be shared by the parts of one run; it cannot be reset.

    Examples
    --------
    >>> t = CancelToken()
    >>> t.cancelled
    False
    >>> t.cancel("stopped by the user")
    >>> t.cancelled, t.reason
    (True, 'stopped by the user')
    """

    def __init__(self) -> None:
        self._event = threading.Event()
        self.reason = ""

    @property
    def cancelled(self) -> bool:
        """True once :meth:`cancel` was called."""
        return self._event.is_set()

    def cancel(self, reason: str = "cancelled") -> None:
        """Ask the run to stop at its next safe point."""
        if not self._event.is_set():
            self.reason = reason
        self._event.set()

    def check(self, task: str = "run", *, partial: Any = None) -> None:
        """Raise :class:`Cancelled` when the token is set (call at safe points)."""
        if self._event.is_set():
            raise Cancelled(f"{task} cancelled", partial=partial,
                            hint="rerun it, or resume it where the run supports resuming")


def check_cancel(token: CancelToken | None, task: str, *, partial: Any = None) -> None:
    """:meth:`CancelToken.check` that accepts ``None`` (no token: never cancelled)."""
    if token is not None:
        token.check(task, partial=partial)


def emit(callback: ProgressCallback | None, event: ProgressEvent) -> None:
    """Call ``callback`` with ``event`` unless it is ``None``."""
    if callback is not None:
        callback(event)


class Throttle:
    """Calls a :data:`ProgressCallback` at most every ``interval`` seconds (and always for final
    events), filling ``elapsed`` from the time the throttle was made.

    Engines call it as often as convenient (after every chunk of kernel work); the front end sees
    a steady rate.

    Parameters
    ----------
    callback
        The front end's callback, or ``None`` (then nothing is called).
    task
        Task name of the events.
    total
        Work in all (``None``: unknown).
    interval
        Least seconds between two events (default 0.5, so that a front end refreshing once a
        second always has a fresh value).

    Examples
    --------
    >>> seen = []
    >>> th = Throttle(seen.append, "demo", total=10, interval=3600)
    >>> th(1); th(2); th(10, final=True)
    >>> [e.done for e in seen]
    [1, 10]
    """

    def __init__(self, callback: ProgressCallback | None, task: str, *,
                 total: float | None = None, interval: float = 0.5) -> None:
        self.callback = callback
        self.task = task
        self.total = total
        self.interval = float(interval)
        self.t0 = time.perf_counter()
        self._last = -float("inf")

    @property
    def elapsed(self) -> float:
        """Seconds since the throttle was made."""
        return time.perf_counter() - self.t0

    def due(self) -> bool:
        """True when the next call would reach the callback."""
        return self.callback is not None and \
            time.perf_counter() - self._last >= self.interval

    def __call__(self, done: float, *, message: str = "", final: bool = False,
                 total: float | None = None, **extra: Any) -> None:
        if self.callback is None:
            return
        now = time.perf_counter()
        if not final and now - self._last < self.interval:
            return
        self._last = now
        self.callback(ProgressEvent(self.task, done=done,
                                    total=self.total if total is None else total,
                                    elapsed=now - self.t0, message=message, extra=extra,
                                    final=final))
