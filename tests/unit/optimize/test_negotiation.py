"""Optimizing a negotiation: a start plan, movable units, a move budget and several censuses.

The reference is brute force: every assignment of the movable units, filtered by the budget, the
population bounds and contiguity, scored with dayafter.metrics.evaluate through
Objective.score (independent of the kernels and of the MIP).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from dayafter.errors import ConfigError
from dayafter.graph import UnitGraph
from dayafter.metrics import evaluate
from dayafter.optimize import (
    AnnealingOptimizer,
    MIPOptimizer,
    Problem,
    ShortBurstOptimizer,
)
from dayafter.optimize.mip import build_model, contract
from dayafter.optimize.problem import split_start
from dayafter.plan import Plan, Region
from dayafter.territory import Territory

ROWS, COLS = 3, 4


def _territory(seed: int) -> Territory:
    """A 3x4 grid with two censuses of three communities (integers, so ties can happen)."""
    rng = np.random.default_rng(seed)
    n = ROWS * COLS
    idx = np.arange(n).reshape(ROWS, COLS)
    u = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel()])
    v = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel()])
    g = UnitGraph.from_edges(n, u, v, np.ones(u.size))
    base = rng.integers(0, 40, size=(n, 3)).astype(float)
    base[:, 0] += 5
    cur = base.copy()
    cur[:, 1] = np.maximum(cur[:, 1] - rng.integers(0, 30, size=n), 0)
    cur[:, 2] += rng.integers(0, 20, size=n)
    col = np.tile(np.arange(COLS), ROWS)
    admin = {"prov": np.where(col < 2, "W", "E").astype(object)}
    return Territory.from_arrays([f"u{i:02d}" for i in range(n)], ["a", "b", "c"],
                                 {"before": base, "now": cur}, g, admin=admin)


def _start(t: Territory) -> Plan:
    col = np.tile(np.arange(COLS), ROWS)
    row = np.repeat(np.arange(ROWS), COLS)
    a = np.where(col < 2, np.where(row < 2, 0, 1), 2)
    return Plan(a.astype(np.int32), (Region("North", "federal"), Region("South", "krg"),
                                     Region("East", "federal")), t.content_hash, name="start")


SPEC = {"censuses": ["before", "now"], "combine": "worst", "movable": "prov=W",
        "maximize": [{"metric": "empowerment_plurality", "communities": ["b", "c"]}],
        "minimize": [{"metric": "stranded", "communities": ["a"]}],
        "constraints": {"tolerance": 0.6}}


def _brute(p: Problem, t: Territory) -> tuple[float, int]:
    cp = p.compile(t)
    start = cp.start
    movable = np.flatnonzero(cp.movable)
    best, count = -np.inf, 0
    for labels in itertools.product(range(cp.k), repeat=movable.size):
        a = start.copy()
        a[movable] = labels
        changed = cp.region_class[a] != cp.home
        if cp.budget_units >= 0 and changed.sum() > cp.budget_units:
            continue
        if cp.budget_people >= 0 and cp.budget_pop[changed].sum() > cp.budget_people + 1e-9:
            continue
        pops = np.bincount(a, weights=cp.pop, minlength=cp.k)
        if np.any(pops < cp.lo - 1e-9) or np.any(pops > cp.hi + 1e-9):
            continue
        pieces = t.graph.components(a.astype(np.int32))
        if any(np.unique(pieces[a == r]).size != 1 for r in range(cp.k)):
            continue
        ev = evaluate(t, Plan(a, p.regions, t.content_hash), censuses=list(cp.censuses),
                      threshold=cp.threshold)
        best = max(best, p.objective.score(ev))
        count += 1
    return best, count


def test_problem_takes_the_start_plans_regions():
    t = _territory(0)
    start = _start(t)
    p = Problem.from_dict(SPEC, start=start)
    assert p.regions == start.regions and p.k == 3
    cp = p.compile(t)
    assert np.array_equal(cp.lock >= 0, ~np.isin(t.admin["prov"], ["W"]))
    assert cp.census_label == "the worst of 'before', 'now'"
    with pytest.raises(ConfigError, match="takes its regions from the plan"):
        Problem.from_dict({**SPEC, "regions": 3}, start=start)
    with pytest.raises(ConfigError, match="need a start plan"):
        Problem.from_dict({**SPEC, "budget": {"units": 2}})
    with pytest.raises(ConfigError, match="was not loaded"):
        Problem.from_dict({**SPEC, "start": "start"})
    with pytest.raises(ConfigError, match="budget"):
        Problem.from_dict({**SPEC, "budget": {"moves": 2}}, start=start)
    with pytest.raises(ConfigError, match="disputed"):
        Problem.from_dict({**SPEC, "movable": "disputed"}, start=start)


@pytest.mark.parametrize("budget", [{"units": 2}, {"units": 3, "change": "authority"},
                                    {"people": 150.0}])
def test_mip_and_heuristics_reach_the_brute_force_optimum(budget, global_seed):
    t = _territory(global_seed)
    p = Problem.from_dict({**SPEC, "budget": budget}, start=_start(t))
    best, count = _brute(p, t)
    assert count > 1
    res = MIPOptimizer(time_limit=60, mip_rel_gap=0.0).run(p, t)
    assert res.objective == pytest.approx(best, abs=1e-9)
    assert res.bound >= best - 1e-7 and res.gap <= 1e-6 and res.status == "optimal"
    cp = p.compile(t)
    for r in (res, ShortBurstOptimizer(steps=3000, restarts=2, seed=global_seed).run(p, t),
              AnnealingOptimizer(steps=3000, restarts=2, seed=global_seed).run(p, t)):
        a = r.plan.assignment
        fixed = cp.lock >= 0
        assert np.array_equal(a[fixed], cp.start[fixed])  # only the movable units move
        changed = cp.region_class[a] != cp.home
        if "units" in budget:
            assert changed.sum() <= budget["units"] and r.change["units"] == changed.sum()
        else:
            assert cp.budget_pop[changed].sum() <= budget["people"] + 1e-9
        assert r.objective <= best + 1e-9 and r.feasible
        # the result is the start plan with moves: names, authorities and the census named
        assert r.plan.regions == p.regions and r.census == cp.census_label
        assert "the worst of 'before', 'now'" in r.plan.notes


def test_worst_of_censuses_is_at_most_each_census():
    t = _territory(5)
    start = _start(t)
    worst = MIPOptimizer(time_limit=60, mip_rel_gap=0.0).run(
        Problem.from_dict({**SPEC, "budget": {"units": 3}}, start=start), t)
    for census in ("before", "now"):
        one = {k: v for k, v in SPEC.items() if k not in ("censuses", "combine")}
        alone = MIPOptimizer(time_limit=60, mip_rel_gap=0.0).run(
            Problem.from_dict({**one, "census": census, "budget": {"units": 3}},
                              start=start).compile(t))
        assert worst.objective <= alone.objective + 1e-9
    parts = worst.census_objectives
    assert set(parts) == {"before", "now"}
    assert worst.objective == pytest.approx(min(parts.values()))


def test_contraction_keeps_the_optimum():
    """The MIP on the merged fixed units gives the optimum of the model on every unit."""
    from dayafter.optimize.mip import solve_model

    t = _territory(3)
    p = Problem.from_dict({**SPEC, "combine": "weighted", "budget": {"units": 3},
                           "minimize": [{"metric": "stranded", "communities": ["a"]},
                                        {"metric": "cut_edges", "weight": 0.01}]},
                          start=_start(t))
    cp = p.compile(t)
    con = contract(cp)
    assert con.cp.territory.n_units < t.n_units
    full = solve_model(build_model(cp, prune=False), time_limit=60, mip_rel_gap=0.0)
    small = solve_model(build_model(con.cp, edge_weight=con.edge_weight), time_limit=60,
                        mip_rel_gap=0.0)
    assert small.objective == pytest.approx(full.objective, abs=1e-7)
    assert np.array_equal(con.reduce(con.expand(small.assignment)), small.assignment)


def test_split_start_errors():
    t = _territory(0)
    start = Plan(np.zeros(12, np.int32), (Region("All"),), t.content_hash)
    with pytest.raises(ConfigError, match="no unit"):
        split_start(start, t, {"region": "All", "level": "prov",
                               "into": [{"name": "a", "units": ["W"]},
                                        {"name": "b", "units": ["Z"]}]})
    with pytest.raises(ConfigError, match="in no new region"):
        split_start(start, t, {"region": "All", "level": "prov",
                               "into": [{"name": "a", "units": ["W"]},
                                        {"name": "b", "units": ["W"]}]})
    q = split_start(start, t, {"region": "All", "level": "prov",
                               "into": [{"name": "a", "authority": "krg", "units": ["W"]},
                                        {"name": "b", "units": ["E"]}]})
    assert q.k == 2 and q.regions[0].authority == "krg"
