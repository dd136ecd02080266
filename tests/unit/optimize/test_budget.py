"""The composition model of a negotiation (dayafter.optimize.budget) against brute force.

The reference enumerates every assignment of the movable units of a small grid, keeps those
within the budget, the population bounds and contiguity, and scores them with
dayafter.metrics.evaluate through Objective.score (tests/unit/optimize/test_negotiation.py): it
shares no code with the enumeration kernel, the set-partitioning model or the duals.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.optimize.test_negotiation import SPEC, _start, _territory

from dayafter.metrics import evaluate
from dayafter.optimize import MIPOptimizer, Problem
from dayafter.optimize.budget import (
    _column_lp,
    _columns_of,
    _lagrangian,
    columns_apply,
    region_columns,
    solve_columns,
    subset_count,
)
from dayafter.plan import Plan


def _feasible(p: Problem, t) -> list[tuple[np.ndarray, float, dict[str, float]]]:
    """Every plan within the budget, bounds and contiguity: (assignment, objective, by census)."""
    cp = p.compile(t)
    movable = np.flatnonzero(cp.movable)
    out = []
    for labels in itertools.product(range(cp.k), repeat=movable.size):
        a = cp.start.copy()
        a[movable] = labels
        changed = cp.region_class[a] != cp.home
        if changed.sum() > cp.budget_units:
            continue
        pops = np.bincount(a, weights=cp.pop, minlength=cp.k)
        if np.any(pops < cp.lo - 1e-9) or np.any(pops > cp.hi + 1e-9):
            continue
        pieces = t.graph.components(a.astype(np.int32))
        if any(np.unique(pieces[a == r]).size != 1 for r in range(cp.k)):
            continue
        ev = evaluate(t, Plan(a, p.regions, t.content_hash), censuses=list(cp.censuses),
                      threshold=cp.threshold)
        out.append((a, p.objective.score(ev), p.objective.census_scores(ev)))
    return out


def _problem(seed: int, units: int, combine: str = "worst", tolerance: float = 0.6):
    t = _territory(seed)
    spec = {**SPEC, "combine": combine, "budget": {"units": units},
            "constraints": {"tolerance": tolerance}}
    if combine != "worst":
        spec["weights"] = [0.3, 0.7]
    return Problem.from_dict(spec, start=_start(t)), t


@pytest.mark.parametrize(("units", "combine"), [(1, "worst"), (2, "worst"), (3, "worst"),
                                                (2, "weighted")])
def test_every_feasible_region_is_a_column_with_its_value(units, combine, global_seed):
    p, t = _problem(global_seed, units, combine)
    cp = p.compile(t)
    assert columns_apply(cp)
    cols = region_columns(cp)
    assert cols is not None and cols.subsets == subset_count(cp)
    plans = _feasible(p, t)
    assert len(plans) > 1
    for a, _obj, by_census in plans:
        chosen = _columns_of(cp, cols, a.astype(np.int64))
        assert chosen is not None  # each region of a feasible plan is enumerated
        tot = cols.values[chosen].sum(axis=0)
        assert tot == pytest.approx([by_census[c] for c in cp.censuses], abs=1e-9)
        moved = int((a != cp.start).sum())
        assert int(cols.joins[chosen].sum()) == moved


@pytest.mark.parametrize(("units", "combine"), [
    (1, "worst"), (2, "weighted"),
    pytest.param(2, "worst", marks=pytest.mark.slow), pytest.param(3, "worst", marks=pytest.mark.slow),
    pytest.param(4, "worst", marks=pytest.mark.slow)])
def test_the_model_reaches_the_brute_force_optimum_and_bounds_it(units, combine, global_seed):
    p, t = _problem(global_seed, units, combine)
    cp = p.compile(t)
    best = max(v for _a, v, _c in _feasible(p, t))
    cols = region_columns(cp)
    for warm in (None, cp.start):  # with a warm start, the reduced costs prune the columns
        sol = solve_columns(cp, cols, time_limit=30, mip_rel_gap=0.0, warm_start=warm)
        assert sol.status == "optimal"
        assert sol.objective == pytest.approx(best, abs=1e-9)
        assert sol.bound >= best - 1e-9
        assert sol.kept <= sol.columns
        if sol.lp_bound is not None:
            assert sol.lp_bound >= best - 1e-9
    res = MIPOptimizer(time_limit=30, mip_rel_gap=0.0).run(p, t)
    assert "compositions" in res.stats
    assert res.objective == pytest.approx(best, abs=1e-9) and res.status == "optimal"
    assert res.bound >= best - 1e-9 and res.feasible
    flow = MIPOptimizer(time_limit=60, mip_rel_gap=0.0, columns=False).run(p, t)
    assert "compositions" not in flow.stats
    assert flow.objective == pytest.approx(res.objective, abs=1e-9)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 5), units=st.integers(1, 3),
       duals=st.lists(st.floats(-2.0, 2.0, allow_nan=False), min_size=32, max_size=32))
def test_any_duals_give_a_valid_bound(seed, units, duals):
    """Weak duality: whatever the row multipliers, the Lagrangian bound is at least the
    optimum, and a composition's ``L + d`` bounds every plan that uses it."""
    p, t = _problem(seed, units)
    cp = p.compile(t)
    cols = region_columns(cp)
    n_rows = cols.members.shape[1] + cp.k + 1 + len(cp.censuses)
    y = np.resize(np.asarray(duals), n_rows)
    lag = _lagrangian(cp, cols, True, np.ones(1), y)
    if lag is None:
        return
    L, d = lag
    for a, v, _c in _feasible(p, t):
        assert L >= v - 1e-9
        chosen = _columns_of(cp, cols, a.astype(np.int64))
        assert np.all(L + np.minimum(d[chosen], 0.0) >= v - 1e-9)


def test_the_model_does_not_apply_or_gives_up():
    p, t = _problem(0, 2)
    cp = p.compile(t)
    assert region_columns(cp, max_subsets=3) is None
    assert not columns_apply(replace(cp, start=None))
    q = Problem.from_dict({**SPEC, "budget": {"units": 2, "change": "authority"}},
                          start=_start(t)).compile(t)
    assert not columns_apply(q) and subset_count(q) == 0 and region_columns(q) is None
    assert not columns_apply(replace(cp, budget_people=100.0))
    lock = cp.lock.copy()
    lock[np.flatnonzero(cp.movable)[0]] = (cp.start[np.flatnonzero(cp.movable)[0]] + 1) % cp.k
    assert not columns_apply(replace(cp, lock=lock))
    assert _column_lp(cp, region_columns(cp), True, np.ones(1), integer=False).num_row_ == \
        int(cp.movable.sum()) + cp.k + 1 + 2


@pytest.mark.slow
def test_the_built_in_negotiation_agrees_with_the_flow_model():
    """The Nineveh bench spec with a budget of two units: the composition model and the flow
    model (an independent formulation) prove the same optimum."""
    from pathlib import Path

    import yaml

    from dayafter import cases
    from dayafter.optimize.problem import split_start

    case = cases.load("northern-iraq")
    t = case.territory
    spec = yaml.safe_load((Path(__file__).resolve().parents[3] / "src" / "dayafter" / "optimize"
                           / "specs" / "nineveh-negotiation.yaml").read_text())
    st_ = spec.pop("start")
    start = split_start(case.plans[st_["from"]], t, st_["split"])
    p = Problem.from_dict({**spec, "budget": {"units": 2}}, start=start)
    res = MIPOptimizer(time_limit=120, mip_rel_gap=0.0).run(p, t)
    assert res.status == "optimal" and "compositions" in res.stats and res.change["units"] <= 2
    flow = MIPOptimizer(time_limit=600, mip_rel_gap=0.0, columns=False).run(p, t)
    assert flow.status == "optimal"
    assert res.objective == pytest.approx(flow.objective, abs=1e-7)
    assert res.bound >= flow.objective - 1e-7 and flow.bound >= res.objective - 1e-7
