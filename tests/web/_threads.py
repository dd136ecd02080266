"""Run async code from a test whatever the calling thread is doing.

Under ``make test`` a worker may have run the browser tests first, whose Playwright sync API keeps an
event loop running in the main thread: ``asyncio.run`` then refuses to start. These helpers run the
work in a thread of its own, with its own loop.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from typing import Any


def in_thread(fn: Callable[[], Any], timeout: float = 300.0) -> Any:
    """``fn()`` in a new thread; its result, or its exception raised here."""
    out: dict[str, Any] = {}

    def target() -> None:
        try:
            out["value"] = fn()
        except BaseException as exc:  # re-raised in the caller
            out["error"] = exc

    t = threading.Thread(target=target, daemon=True)
    t.start()
    t.join(timeout)
    if t.is_alive():
        raise TimeoutError(f"still running after {timeout} s")
    if "error" in out:
        raise out["error"]
    return out.get("value")


def run_async(make: Callable[[], Awaitable[Any]], timeout: float = 300.0) -> Any:
    """``asyncio.run(make())`` in a new thread (the coroutine is created there too)."""
    return in_thread(lambda: asyncio.run(make()), timeout)  # type: ignore[arg-type]
