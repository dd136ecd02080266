"""Big inputs: a synthetic 100,000-unit territory builds and evaluates within modest memory."""

from __future__ import annotations

import resource

import geopandas as gpd
import numpy as np
import pytest
import shapely

from dayafter.geo import build_territory
from dayafter.metrics import evaluate
from dayafter.plan import Plan, Region


@pytest.mark.slow
def test_hundred_thousand_units():
    side = 317
    edges = 40.0 + np.arange(side + 1) * 0.01  # shared vertices are bit-identical between neighbours
    xs, ys = np.meshgrid(np.arange(side), np.arange(side))
    i, j = xs.ravel(), ys.ravel()
    geoms = shapely.box(edges[i], 30.0 + (edges[j] - 40.0), edges[i + 1], 30.0 + (edges[j + 1] - 40.0))
    rng = np.random.default_rng(0)
    n = side * side
    gdf = gpd.GeoDataFrame({"uid": [f"U{x:06d}" for x in range(n)],
                            "a": rng.integers(0, 100, n).astype(float), "b": 1.0},
                           geometry=geoms, crs=4326)
    t = build_territory(gdf, id_col="uid", censuses={"c": {"a": "a", "b": "b"}}, check_coverage=False)
    assert t.n_units == n and t.graph.n_edges == 2 * side * (side - 1)
    assert t.graph.components().max() == 0
    a = np.minimum(np.arange(n) // (n // 200), 199)
    ev = evaluate(t, Plan(a, tuple(Region(f"R{k}") for k in range(200)), t.content_hash))
    assert ev.census().population.sum() == pytest.approx(t.census("c").sum())
    assert ev.geometry.pieces.max() == 1
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert peak_mib < 4096, peak_mib
