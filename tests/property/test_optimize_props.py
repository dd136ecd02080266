"""Invariants of the optimizers over random small grids (hypothesis)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dayafter.errors import InfeasibleError
from dayafter.metrics import evaluate
from dayafter.optimize import (
    AnnealingOptimizer,
    MIPOptimizer,
    Problem,
    ShortBurstOptimizer,
    kernel_score,
    seed_plan,
)
from dayafter.plan import Plan
from dayafter.testing.grids import grid_territory

SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

METRIC_TERMS = st.sampled_from([
    {"metric": "empowerment_plurality", "communities": ["a"]},
    {"metric": "empowerment_plurality", "communities": ["b"]},
    {"metric": "empowerment_majority", "communities": ["a"]},
    {"metric": "homogeneity"},
])
PENALTY_TERMS = st.sampled_from([
    {"metric": "stranded", "communities": ["a"]},
    {"metric": "stranded", "communities": ["b"]},
    {"metric": "cut_edges", "weight": 0.01},
])


@st.composite
def problems(draw):
    rows = draw(st.integers(2, 4))
    cols = draw(st.integers(2, 4))
    n = rows * cols
    table = np.array(draw(st.lists(st.tuples(st.integers(1, 60), st.integers(0, 60)),
                                   min_size=n, max_size=n)), dtype=float)
    t = grid_territory(rows, cols, communities=table)
    k = draw(st.integers(2, min(3, n - 1)))
    spec = {"regions": k, "threshold": draw(st.sampled_from([0.1, 0.25])),
            "maximize": draw(st.lists(METRIC_TERMS, min_size=1, max_size=2)),
            "minimize": draw(st.lists(PENALTY_TERMS, max_size=2)),
            "constraints": {"tolerance": draw(st.sampled_from([0.3, 0.6, 1.0]))}}
    if draw(st.booleans()):
        spec["constraints"]["locked"] = {"u00000": k - 1}
    return t, Problem.from_dict(spec)


def _valid(t, p, a):
    cp = p.compile(t)
    pops = np.bincount(a, weights=cp.pop, minlength=p.k)
    assert np.all(pops >= cp.lo - 1e-9) and np.all(pops <= cp.hi + 1e-9)
    assert np.all((cp.lock < 0) | (a == cp.lock))
    pieces = t.graph.components(np.asarray(a, dtype=np.int32))
    assert all(np.unique(pieces[a == r]).size == 1 for r in range(p.k))


@pytest.mark.slow  # 25 problems, two optimizers each: 15-45 s; the short version below runs 3
@SETTINGS
@given(problems(), st.integers(0, 2**16))
def test_heuristic_plans_are_valid_and_scored_like_the_metrics(tp, seed):
    t, p = tp
    try:
        cp = p.compile(t)
        seed_plan(cp, np.random.default_rng(seed), attempts=50, restarts=50)
    except InfeasibleError:
        return
    for cls in (AnnealingOptimizer, ShortBurstOptimizer):
        res = cls(steps=300, seed=seed).run(p, t)
        a = res.plan.assignment
        _valid(t, p, a)
        ev = evaluate(t, Plan(a, p.regions, t.content_hash), threshold=p.objective.threshold)
        assert res.objective == p.objective.score(ev)
        assert np.isclose(kernel_score(cp, a)[0], res.objective, atol=1e-9)


# the same property on a few problems, in the fast set
test_heuristic_plans_are_valid_short = settings(SETTINGS, max_examples=3)(
    given(problems(), st.integers(0, 2**16))(
        test_heuristic_plans_are_valid_and_scored_like_the_metrics.hypothesis.inner_test))


@pytest.mark.slow
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems(), st.integers(0, 2**16))
def test_mip_optimum_bounds_every_heuristic_plan(tp, seed):
    t, p = tp
    try:
        exact = MIPOptimizer(time_limit=60, mip_rel_gap=0.0).run(p, t)
    except InfeasibleError:
        # then no heuristic may find a plan either
        try:
            seed_plan(p.compile(t), np.random.default_rng(seed), attempts=20, restarts=20)
        except InfeasibleError:
            return
        raise AssertionError("the MIP found no plan but the seeding did") from None
    _valid(t, p, exact.plan.assignment)
    assert exact.status == "optimal"
    assert abs(exact.stats["highs_objective"] - exact.objective) < 1e-6
    res = ShortBurstOptimizer(steps=500, seed=seed).run(p, t)
    assert res.objective <= exact.bound + 1e-7
