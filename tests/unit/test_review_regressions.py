"""Regressions for defects found in review (each failed before its fix)."""

from __future__ import annotations

import numpy as np
import pytest

from dayafter.councils.simulate import VotingModel
from dayafter.ensemble.outliers import where_in_ensemble
from dayafter.ensemble.sampler import ReComSampler
from dayafter.errors import ConfigError, InputDataError
from dayafter.plan import Plan, Region
from dayafter.testing.grids import grid_territory, stripes


@pytest.mark.parametrize("d", [3, 1000, 1024, 3000, 5000])
def test_wilson_draws_stay_in_range_for_high_degrees(d):
    """A wheel whose hub has ``d`` neighbours: Wilson's draws at the hub stay among them (above
    the table's 4095, the generator's own bounded draw) and every tree spans the wheel."""
    from dayafter._kernels import tree as kt
    from dayafter.graph import UnitGraph
    from dayafter.territory import Territory

    n = d + 1
    rim = np.arange(1, n)
    u = np.concatenate([np.zeros(d, np.int64), rim[:-1]])
    v = np.concatenate([rim, rim[1:]])
    g = UnitGraph.from_edges(n, u, v, np.ones(u.size))
    t = Territory.from_arrays([f"x{i:05d}" for i in range(n)], ["p"], {"c": np.ones((n, 1))}, g)
    indptr = t.graph.indptr.astype(np.int64)
    ws = kt.make_tree_work(n, t.graph.indices.size, int(np.diff(indptr).max()))
    m = kt.load_merged(indptr, t.graph.indices.astype(np.int64), np.zeros(n, np.int64), 0, 0,
                       np.ones(n), np.full(n, -1, np.int64), ws)
    rng = np.random.default_rng(1)
    hub_children = set()
    for _ in range(20):
        kt.wilson(ws, m, d, rng)  # rooted on the rim: walks from the hub draw among d
        par = ws.parent[:m]
        assert (par == -1).sum() == 1 and par.min() >= -1 and par.max() < m
        assert sorted(ws.order[:m].tolist()) == list(range(m))
        hub_children.add(int(par[0]))
    assert len(hub_children) > 1


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
