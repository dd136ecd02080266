"""A short run of bench/load.py: a real server on loopback, 8 clients for 3 s, and no errors.

The latency target is checked by the bench itself (python bench/load.py), never by a timed test.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from tests.web._threads import in_thread

_BENCH = Path(__file__).resolve().parents[2] / "bench" / "load.py"


def _load_module():
    spec = importlib.util.spec_from_file_location("dayafter_bench_load", _BENCH)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod  # its dataclasses look their module up
    spec.loader.exec_module(mod)
    return mod


@pytest.mark.slow
@pytest.mark.bench
def test_short_load_has_no_errors(capsys):
    load = _load_module()
    result = in_thread(lambda: load.run_load(duration=3.0, clients=8))  # it runs its own event loop
    ok = load.report(result, p99_target=float("inf"))
    out = capsys.readouterr().out
    assert result.errors == [], out
    assert ok, out
    counts = {k: len(v) for k, v in result.latencies_ms.items()}
    assert all(n > 0 for n in counts.values()), counts  # every kind of request was made
    assert "p99" in out and "PASS" in out
