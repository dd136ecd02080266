"""Ensembles for a province question: a subset with the rest fixed, null models, k from a range,
and comparisons refused across questions."""

from __future__ import annotations

import json

import numpy as np
import pytest

from dayafter.ensemble import ChainConstraints, store
from dayafter.ensemble.outliers import where_in_ensemble
from dayafter.ensemble.sampler import ReComSampler
from dayafter.ensemble.seed import seed_subset
from dayafter.errors import ConfigError, InfeasibleError, InputDataError
from dayafter.plan import Plan, Region
from dayafter.testing.grids import grid_territory

ROWS, COLS = 6, 8


@pytest.fixture(scope="module")
def case():
    """An 6x8 grid: province P0 is the left half (columns 0-3), P1 the right half. The plan has
    two regions inside P0, a region straddling both provinces and one region inside P1."""
    rng = np.random.default_rng(7)
    table = rng.integers(1, 30, size=(ROWS * COLS, 2)).astype(float)
    col = np.tile(np.arange(COLS), ROWS)
    row = np.repeat(np.arange(ROWS), COLS)
    admin = {"prov": np.where(col < 4, "P0", "P1").astype(object)}
    t = grid_territory(ROWS, COLS, communities=table, admin=admin)
    a = np.where(col >= 6, 3, np.where(col >= 3, 2, np.where(row < 3, 0, 1)))
    regions = (Region("North", "federal"), Region("South", "federal"),
               Region("Middle", "krg"), Region("East", "krg"))
    plan = Plan(a.astype(np.int32), regions, t.content_hash, name="plan")
    return t, plan, col < 4


def _run(t, plan, out, **kw):
    base = dict(steps=240, chains=2, seed=3, n_jobs=1, thin=10, checkpoint_every=100,
                metrics=["community"],
                constraints={"subset": "prov=P0", "balance": "wide", "census": "census"})
    base.update(kw)
    return ReComSampler(**base).run(t, plan, out)


def test_subset_chain_changes_only_the_subset(case, tmp_path):
    t, plan, mask = case
    res = _run(t, plan, tmp_path / "r")
    assert not res.interrupted and res.counts["moved"] > 20
    man = json.loads((tmp_path / "r" / "manifest.json").read_text())
    assert man["question"]["subset"] == "prov=P0" and man["question"]["subset_units"] == 24
    assert man["question"]["regions_taking_part"] == [3, 3]
    a = np.concatenate([store.load_assignments(tmp_path / "r", i, "npz")[0] for i in range(2)])
    start = plan.assignment
    assert np.all(a[:, ~mask] == start[~mask])  # the rest of the plan stays
    assert np.array_equal(a == 3, np.broadcast_to(start == 3, a.shape))  # East never changes
    assert len({r.tobytes() for r in a}) > 5
    cols = store.load_chain(tmp_path / "r", 0, "npz")
    # three regions take part: the ranked largest shares have three columns per census
    assert "census/largest_share@3" in cols and "census/largest_share@4" not in cols


def test_balance_plan_bounds_come_from_the_plan(case):
    t, plan, mask = case
    pop = t.population()
    rp = np.bincount(plan.assignment, weights=pop, minlength=4)
    cons = ChainConstraints(subset="prov=P0", balance="plan", tolerance=0.1)
    c = cons.compile(t, plan.assignment, 4, plan.region_names)
    inside = rp[:3]
    assert np.allclose(c.lo[:3], inside.min() * 0.9) and np.allclose(c.hi[:3], inside.max() * 1.1)
    assert c.lo[3] == -np.inf and c.hi[3] == np.inf and c.region_locked.tolist() == [
        False, False, False, True]
    equal = ChainConstraints(subset="prov=P0", balance="equal", tolerance=0.1).bounds(
        t, 4, assignment=plan.assignment, taking_part=np.array([True, True, True, False]))
    assert np.allclose(equal[0][:3], inside.sum() / 3 * 0.9)
    wide = ChainConstraints(subset="prov=P0", balance="wide").bounds(t, 4)
    assert np.all(wide[0] <= 0) and np.all(np.isinf(wide[1]))
    with pytest.raises(ConfigError, match="balance"):
        ChainConstraints.from_dict({"balance": "nope"})
    with pytest.raises(ConfigError, match="unknown or missing prov codes"):
        ChainConstraints(subset="prov=P9").subset_mask(t)
    with pytest.raises(InfeasibleError, match="lies in 1 region"):
        ChainConstraints(subset="prov=P1").compile(
            t, np.where(mask, 0, 1), 2, ("a", "b"))


def test_seed_subset_keeps_the_rest(case, global_seed):
    t, plan, mask = case
    rng = np.random.default_rng(global_seed)
    cons = ChainConstraints(subset="prov=P0", balance="equal", tolerance=0.5)
    p = seed_subset(t, plan, mask, 4, rng=rng, constraints=cons)
    # North and South lie wholly in the subset and disappear; Middle keeps its units outside
    assert p.region_names == ["Middle", "East", "R 1", "R 2", "R 3", "R 4"]
    assert p.regions[0].authority == "krg"
    a = p.assignment
    assert np.array_equal(a[~mask], np.where(plan.assignment[~mask] == 2, 0, 1))
    assert set(a[mask].tolist()) == {2, 3, 4, 5}
    pop = t.population()
    share = pop[mask].sum() / 4
    rp = np.bincount(a, weights=pop, minlength=6)[2:]
    assert np.all(rp >= share * 0.5 - 1e-9) and np.all(rp <= share * 1.5 + 1e-9)
    pieces = t.graph.components(a.astype(np.int32))
    for r in range(2, 6):
        assert np.unique(pieces[a == r]).size == 1


def test_regions_from_a_range_and_comparisons(case, tmp_path):
    t, plan, mask = case
    res = _run(t, plan, tmp_path / "k", chains=4, regions=(2, 3),
               constraints={"subset": "prov=P0", "balance": "equal", "tolerance": 0.6,
                            "census": "census"})
    assert not res.interrupted
    man = json.loads((tmp_path / "k" / "manifest.json").read_text())
    assert man["question"]["regions"] == [4, 5, 4, 5]  # Middle and East kept, 2 or 3 new
    assert man["question"]["regions_taking_part"] == [2, 3, 2, 3]
    assert any(key.endswith("@k=2") for key in res.diagnostics)  # by regions taking part
    starts = store.load_starts(tmp_path / "k", 4)
    for i in range(4):
        a = store.load_assignments(tmp_path / "k", i, "npz")[0]
        assert np.all(a[:, ~mask] == starts[i][0][~mask])
    cols = store.load_chain(tmp_path / "k", 0, "npz")
    assert np.all(np.isnan(cols["census/largest_share@3"]))  # two regions take part in chain 0
    # the plan splits the subset among 3 regions (one straddling): in the run's range
    rep = where_in_ensemble(t, plan, tmp_path / "k")
    assert rep["regions_taking_part"] == 3 and rep["subset"] == "prov=P0"
    assert 0 <= rep["scalars"]["census/stranded:a"]["percentile"] <= 100
    rep2 = where_in_ensemble(t, plan, tmp_path / "k", subset="prov=P0")
    assert rep2["scalars"] == rep["scalars"]
    # another subset, or a plan that differs outside the subset: refused with a clear message
    with pytest.raises(InputDataError, match="same subset"):
        where_in_ensemble(t, plan, tmp_path / "k", subset="prov=P1")
    moved_outside = plan.with_moves([7], 2)  # a unit of P1 (column 7) from East to Middle
    with pytest.raises(InputDataError, match="outside the subset"):
        where_in_ensemble(t, moved_outside, tmp_path / "k")
    # a plan with 4 regions in the subset is outside the run's range
    four = plan.with_moves(np.flatnonzero(mask & (np.tile(np.arange(COLS), ROWS) == 0)), 3)
    with pytest.raises(InputDataError, match="regions in the subset"):
        where_in_ensemble(t, four, tmp_path / "k")


def test_compare_refuses_a_subset_for_a_whole_run(case, tmp_path):
    t, plan, _ = case
    ReComSampler(steps=30, chains=1, seed=1, n_jobs=1, constraints={"tolerance": None}).run(
        t, plan, tmp_path / "w")
    with pytest.raises(InputDataError, match="not made on a subset"):
        where_in_ensemble(t, plan, tmp_path / "w", subset="prov=P0")
