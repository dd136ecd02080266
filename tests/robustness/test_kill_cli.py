"""kill -9 of the real CLI writers, a short version of ``bench/kill.py`` (which runs 30 trials per
writer): each writer is killed twice (once at a random moment, once while it writes), and the
files it leaves are read the way the program reads them; a killed ensemble run leaves no worker
behind and resumes to the uninterrupted result."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest

_BENCH = Path(__file__).resolve().parents[2] / "bench" / "kill.py"
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


@pytest.fixture(scope="module")
def kill():
    spec = importlib.util.spec_from_file_location("dayafter_bench_kill", _BENCH)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = mod
    spec.loader.exec_module(mod)
    return mod


@pytest.fixture(scope="module")
def setup(kill, tmp_path_factory):
    return kill.setup(tmp_path_factory.mktemp("kill"), n_plans=4)


@pytest.mark.parametrize("writer", [pytest.param("export-json", marks=pytest.mark.slow), "export-project",
                                    pytest.param("build", marks=pytest.mark.slow)])
def test_killed_writers_lose_nothing(kill, setup, writer, global_seed):
    out = kill.TRIALS[writer](setup, 2, np.random.default_rng(global_seed))
    assert out.trials == 2
    assert out.ok, out.line()


@pytest.mark.slow
def test_killed_ensemble_leaves_no_orphans_and_resumes(kill, setup, global_seed):
    out = kill.TRIALS["ensemble"](setup, 2, np.random.default_rng(global_seed))
    assert out.ok, out.line()


def test_the_next_write_removes_temporaries_of_dead_writers(tmp_path):
    import os
    import subprocess

    from dayafter._util.atomic import atomic_write_text

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True)
    pid = int(dead.stdout)
    target = tmp_path / "x.json"
    stale = tmp_path / f".x.json.{pid}.abc123.json.tmp"
    live = tmp_path / f".x.json.{os.getppid()}.def456.json.tmp"  # a writer that still runs
    other = tmp_path / ".x.json.notapid.json.tmp"
    for q in (stale, live, other):
        q.write_text("half")
    atomic_write_text(target, "whole")
    assert target.read_text() == "whole"
    assert not stale.exists() and live.exists() and other.exists()
