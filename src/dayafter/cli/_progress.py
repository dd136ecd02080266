"""The CLI's adapter over :mod:`dayafter.progress`: a rich progress line on stderr, and Ctrl-C as a
cooperative cancel.

>>> with cli_progress(False) as (report, token):   # --no-progress: no callback; Ctrl-C still cancels
...     print(report is None, token.cancelled)
True False
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from dayafter.progress import CancelToken, ProgressCallback, ProgressEvent

__all__ = ["cli_progress"]


class _RichLine:
    """A rich bar (or a spinner when the total is unknown) with the event's message."""

    def __init__(self, label: str) -> None:
        from rich.progress import (
            BarColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        from dayafter.cli._common import console

        self.progress = Progress(
            SpinnerColumn(), TextColumn("[bold]{task.description}[/bold]"), BarColumn(),
            TextColumn("{task.fields[message]}"), TimeElapsedColumn(), TimeRemainingColumn(),
            console=console(stderr=True), transient=False, refresh_per_second=4)
        self.task = self.progress.add_task(label, total=None, message="")

    def __enter__(self) -> _RichLine:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.progress.__exit__(None, None, None)

    def __call__(self, ev: ProgressEvent) -> None:
        kw: dict[str, Any] = {"message": ev.message, "description": ev.task}
        if ev.total:
            kw["total"] = ev.total
            kw["completed"] = ev.done
        self.progress.update(self.task, **kw)


@contextmanager
def cli_progress(enabled: bool, label: str = "working"
                 ) -> Iterator[tuple[ProgressCallback | None, CancelToken]]:
    """``(callback, token)`` for one long command.

    With ``enabled`` the callback draws a rich progress line on stderr (refreshed four times a
    second; the engines call it at least once a second); otherwise it is ``None``. While the
    block runs, the first Ctrl-C sets ``token`` (the engine stops at its next safe point and
    keeps what it did); a second Ctrl-C raises ``KeyboardInterrupt`` as usual.
    """
    token = CancelToken()
    previous = None
    main = threading.current_thread() is threading.main_thread()

    def on_sigint(signum: int, frame: Any) -> None:
        if token.cancelled:
            raise KeyboardInterrupt
        token.cancel("Ctrl-C")

    if main:
        previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        if enabled:
            with _RichLine(label) as line:
                yield line, token
        else:
            yield None, token
    finally:
        if main:
            signal.signal(signal.SIGINT, previous)
