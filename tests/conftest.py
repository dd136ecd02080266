"""Shared fixtures: seeds and small territories built in code."""

from __future__ import annotations

import os
from collections import Counter

import numpy as np
import pytest

_SEEDS = list(range(100)) if os.environ.get("DAYAFTER_TEST_SEED") == "all" else [
    int(os.environ.get("DAYAFTER_TEST_SEED", "0"))]


@pytest.fixture(params=_SEEDS)
def global_seed(request: pytest.FixtureRequest) -> int:
    """A seed for stochastic tests: they must pass for any seed 0..99 (DAYAFTER_TEST_SEED=all)."""
    return int(request.param)


def grid_gdf(rows: int, cols: int, *, size: float = 0.1, lon0: float = 44.0, lat0: float = 36.0,
             seed: int = 0, communities: int = 3):
    """A rows x cols grid of square cells in lon/lat with random populations (GeoDataFrame)."""
    import geopandas as gpd
    from shapely.geometry import box

    rng = np.random.default_rng(seed)
    recs = []
    for i in range(rows):
        for j in range(cols):
            rec = {"uid": f"C{i:02d}{j:02d}", "geometry": box(lon0 + j * size, lat0 + i * size,
                                                               lon0 + (j + 1) * size, lat0 + (i + 1) * size),
                   "prov": f"P{i // 2}", "dist": f"D{i // 2}{j // 2}"}
            for c in range(communities):
                rec[f"c{c}"] = float(rng.integers(0, 100))
                rec[f"c{c}_old"] = float(rng.integers(0, 100))
            recs.append(rec)
    return gpd.GeoDataFrame(recs, crs=4326)


@pytest.fixture
def grid4():
    """A 4x4 grid GeoDataFrame."""
    return grid_gdf(4, 4)


@pytest.fixture
def grid_territory():
    """A 4x4 grid territory with two censuses and two admin levels."""
    from dayafter.geo import build_territory

    g = grid_gdf(4, 4)
    return build_territory(
        g, id_col="uid",
        censuses={"now": {"a": "c0", "b": "c1", "c": "c2"}, "before": {"a": "c0_old", "b": "c1_old", "c": "c2_old"}},
        admin_cols={"province": "prov", "district": "dist"}, name="grid4")


@pytest.fixture(scope="session")
def iraq():
    """The built-in case (built once per test session)."""
    from dayafter import cases

    return cases.load("northern-iraq")


@pytest.fixture
def make_grid():
    """The grid_gdf factory, for tests that need other sizes."""
    return grid_gdf


# ------------------------------------------------------------------ closing summary of the run
# Tests that need something outside Python (Chromium, poppler, npm's axe-core) skip without it, and
# `-ra` lists each one; these lines count them by what is missing, so a fresh machine's run says
# plainly what it did not test and how to fix it (tools/setup-system.sh installs it all as root).
_SLOW_LIMIT = 10.0  # seconds: a test slower than this belongs behind @pytest.mark.slow
_KINDS = (("e2e", "browser test"), ("pdf", "PDF test"))


def _skip_reason(report: pytest.TestReport) -> str:
    lr = report.longrepr
    reason = lr[2] if isinstance(lr, tuple) and len(lr) == 3 else str(lr)
    return reason.removeprefix("Skipped: ")


def _kind(report: pytest.TestReport) -> str:
    for key, label in _KINDS:
        if key in report.keywords:
            return label
    return "test"


def skip_summary(reports: list[pytest.TestReport]) -> list[str]:
    """One line per reason: ``skipped: 16 browser tests (no system Chromium: apt-get install chromium)``."""
    counts = Counter((_kind(r), _skip_reason(r)) for r in reports)
    return [f"skipped: {n} {kind}{'s' if n != 1 else ''} ({reason})" for (kind, reason), n in
            sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def unmarked_slow(reports: list[pytest.TestReport], limit: float = _SLOW_LIMIT) -> list[str]:
    """Tests that took longer than ``limit`` seconds without the ``slow`` marker (they would make
    ``make test-fast`` slow): one line each, slowest first."""
    slow = [r for r in reports if r.when == "call" and r.duration > limit and "slow" not in r.keywords]
    return [f"{r.duration:5.1f} s  {r.nodeid}" for r in sorted(slow, key=lambda r: -r.duration)]


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    stats = terminalreporter.stats
    skipped = [r for r in stats.get("skipped", []) if isinstance(r, pytest.TestReport)]
    lines = skip_summary(skipped)
    if lines:
        terminalreporter.section("what this run did not test", sep="-", yellow=True, bold=True)
        for line in lines:
            terminalreporter.write_line(line, yellow=True)
        if any("apt-get" in line or "npm" in line for line in lines):
            terminalreporter.write_line("install what is missing: sudo bash tools/setup-system.sh")
    ran = [r for r in stats.get("passed", []) + stats.get("failed", []) if isinstance(r, pytest.TestReport)]
    slow = unmarked_slow(ran)
    if slow:
        terminalreporter.section(f"tests over {_SLOW_LIMIT:.0f} s without @pytest.mark.slow", sep="-",
                                 yellow=True)
        for line in slow:
            terminalreporter.write_line(line)
