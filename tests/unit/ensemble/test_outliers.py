"""Outlier analysis: percentiles against scipy, sorted-region data against a direct computation."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import percentileofscore

from dayafter.ensemble import store
from dayafter.ensemble.outliers import mid_percentile, where_in_ensemble
from dayafter.ensemble.sampler import ReComSampler
from dayafter.errors import InputDataError
from dayafter.plan import Plan, Region
from dayafter.testing.grids import grid_territory, stripes


def test_mid_percentile_matches_scipy(global_seed):
    rng = np.random.default_rng(global_seed)
    v = rng.integers(0, 10, size=200).astype(float)
    for x in (-1.0, 0.0, 3.0, 4.5, 9.0, 12.0):
        assert mid_percentile(v, x) == pytest.approx(percentileofscore(v, x, kind="mean"))


def test_where_in_ensemble(tmp_path):
    rng = np.random.default_rng(1)
    table = rng.integers(1, 20, size=(36, 2)).astype(float)
    t = grid_territory(6, 6, communities=table)
    plan = Plan(stripes(6, 6, 3), tuple(Region(f"R{j}") for j in range(3)), t.content_hash,
                name="stripes")
    ReComSampler(steps=400, chains=2, seed=3, n_jobs=1, thin=20, metrics=["theil_h"],
                 constraints={"tolerance": 0.3}).run(t, plan, tmp_path / "r")
    rep = where_in_ensemble(t, plan, tmp_path / "r")
    cut = np.concatenate([store.load_chain(tmp_path / "r", i, "npz")["cut_edges"]
                          for i in range(2)])
    assert rep["scalars"]["cut_edges"]["value"] == 12.0  # stripes of a 6x6 grid
    assert rep["scalars"]["cut_edges"]["percentile"] == pytest.approx(
        percentileofscore(cut, 12.0, kind="mean"))
    assert rep["scalars"]["cut_edges"]["percentile"] < 50  # stripes are compact
    share = rep["regions"]["census/share:a"]
    mine = np.bincount(plan.assignment, weights=table[:, 0], minlength=3) / np.bincount(
        plan.assignment, weights=table.sum(axis=1), minlength=3)
    assert share["plan"] == pytest.approx(np.sort(mine).tolist())
    samples = np.concatenate([store.load_assignments(tmp_path / "r", i, "npz")[0]
                              for i in range(2)]).astype(int)
    direct = np.array([np.sort(np.bincount(s, weights=table[:, 0], minlength=3)
                               / np.bincount(s, weights=table.sum(axis=1), minlength=3))
                       for s in samples])
    assert share["median"] == pytest.approx(np.median(direct, axis=0).tolist())
    assert len(share["percentile"]) == 3
    other = grid_territory(6, 6)
    with pytest.raises(InputDataError):
        where_in_ensemble(other, Plan(plan.assignment, plan.regions, other.content_hash),
                          tmp_path / "r")
