"""Shared fixtures: seeds and small territories built in code."""

from __future__ import annotations

import os

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
