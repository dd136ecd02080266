"""The progress protocol and the cancel token (dayafter.progress)."""

from __future__ import annotations

import doctest
import itertools
import threading
import time

import pytest

import dayafter.progress as progress_mod
from dayafter.errors import DayafterError
from dayafter.progress import Cancelled, CancelToken, ProgressEvent, Throttle, check_cancel, emit


def test_doctests() -> None:
    res = doctest.testmod(progress_mod)
    assert res.attempted > 0 and res.failed == 0


def test_event_is_frozen_and_json_ready() -> None:
    ev = ProgressEvent("ensemble", done=5, total=20, elapsed=1.5, message="chain 1/2",
                       extra={"moves": 3})
    with pytest.raises(AttributeError):
        ev.done = 6  # type: ignore[misc]
    with pytest.raises(TypeError):
        ev.extra["moves"] = 4  # type: ignore[index]
    d = ev.to_dict()
    assert d == {"task": "ensemble", "done": 5, "total": 20, "elapsed": 1.5,
                 "message": "chain 1/2", "extra": {"moves": 3}, "final": False, "fraction": 0.25}
    assert ProgressEvent("x", done=3).fraction is None
    assert ProgressEvent("x", done=30, total=20).fraction == 1.0


def test_cancelled_is_a_dayafter_error_with_partial() -> None:
    tok = CancelToken()
    check_cancel(None, "x")
    tok.check("x")
    tok.cancel("user pressed stop")
    tok.cancel("second reason is ignored")
    assert tok.reason == "user pressed stop"
    with pytest.raises(Cancelled) as info:
        check_cancel(tok, "optimize", partial={"best": 1})
    assert isinstance(info.value, DayafterError)
    assert info.value.partial == {"best": 1}
    assert "optimize cancelled" in str(info.value)


def test_token_set_from_another_thread() -> None:
    tok = CancelToken()
    th = threading.Thread(target=tok.cancel)
    th.start()
    th.join()
    assert tok.cancelled


def test_throttle_rate_and_final() -> None:
    seen: list[ProgressEvent] = []
    th = Throttle(seen.append, "t", total=100, interval=0.05)
    t0 = time.perf_counter()
    i = 0
    while time.perf_counter() - t0 < 0.3:
        th(i, moves=i)
        i += 1
    th(100, final=True)
    assert seen[-1].final and seen[-1].done == 100 and seen[-1].total == 100
    # at most one event per interval (plus the first and the final one)
    assert 2 <= len(seen) <= 0.3 / 0.05 + 3
    gaps = [b.elapsed - a.elapsed for a, b in itertools.pairwise(seen[:-1])]
    assert all(g >= 0.05 - 1e-6 for g in gaps)
    assert seen[0].extra["moves"] == 0
    # no callback: nothing happens, nothing is due
    quiet = Throttle(None, "t")
    quiet(1)
    assert not quiet.due()
    emit(None, ProgressEvent("x"))
