"""Regressions for defects found in review (each failed before its fix)."""

from __future__ import annotations

import numpy as np
import pytest
from numba import njit

from dayafter._kernels.recom import below, below_table
from dayafter.councils.simulate import VotingModel
from dayafter.ensemble.outliers import where_in_ensemble
from dayafter.ensemble.sampler import ReComSampler
from dayafter.errors import ConfigError, InputDataError
from dayafter.plan import Plan, Region
from dayafter.testing.grids import grid_territory, stripes


@njit
def _draws(d, n, rng):
    tmod = below_table(max(d, 1))
    out = np.empty(n, dtype=np.int64)
    for i in range(n):
        out[i] = below(rng, d, tmod)
    return out


@pytest.mark.parametrize("d", [3, 1000, 1024, 3000])
def test_bounded_draws_stay_in_range_for_high_degrees(d):
    x = _draws(d, 20000, np.random.default_rng(1))
    assert x.min() >= 0 and x.max() < d
    assert len(np.unique(x)) > min(d, 20000) // 3


def test_ensemble_compare_rejects_other_region_counts_and_unassigned(tmp_path):
    rng = np.random.default_rng(0)
    t = grid_territory(6, 6, communities=rng.integers(1, 20, size=(36, 2)).astype(float))
    plan4 = Plan(stripes(6, 6, 3), tuple(Region(f"R{j}") for j in range(3)), t.content_hash, name="s")
    ReComSampler(steps=50, chains=1, seed=1, n_jobs=1, thin=0, checkpoint_every=50,
                 constraints={"tolerance": 0.3}).run(t, plan4, tmp_path / "run")
    plan2 = Plan((np.arange(36) >= 18).astype(np.int32), (Region("a"), Region("b")), t.content_hash, name="two")
    with pytest.raises(InputDataError, match="has 2 regions, the ensemble"):
        where_in_ensemble(t, plan2, tmp_path / "run")
    with pytest.raises(InputDataError, match="unassigned"):
        where_in_ensemble(t, plan4.with_moves([0], -1), tmp_path / "run")


def test_nan_turnout_is_rejected():
    with pytest.raises(ConfigError, match="between 0 and 1"):
        VotingModel(turnout=float("nan")).votes(np.array([[1000.0, 500.0]]), ["A", "B"])
