"""The heuristics' compiled score agrees with the metrics module on random plans."""

from __future__ import annotations

import numpy as np
import pytest
from tests.unit.optimize.instances import grid

from dayafter.criteria import check_criteria
from dayafter.metrics import evaluate
from dayafter.optimize import Problem, kernel_score, seed_plan
from dayafter.plan import Plan

SPEC = {
    "regions": 3,
    "threshold": 0.15,
    "maximize": [{"metric": "empowerment_plurality", "communities": ["c1", "c2"], "weight": 1.5},
                 {"metric": "empowerment_majority", "communities": ["c0"], "weight": 0.7},
                 {"metric": "homogeneity", "weight": 0.3}],
    "minimize": [{"metric": "stranded", "communities": ["c0", "c2"]},
                 {"metric": "cut_edges", "weight": 0.01},
                 {"metric": "splits", "level": "block", "weight": 0.1}],
    "constraints": {"tolerance": 0.4, "criteria": [
        {"name": "emp", "metric": "empowerment_plurality", "min": 0.4,
         "where": {"communities": ["c1"]}},
        {"name": "strand", "metric": "stranded", "max": 0.3},
        {"name": "people", "metric": "stranded_people", "max": 150},
        {"name": "maj", "metric": "empowerment_majority", "min": 0.2,
         "where": {"communities": ["c0"]}},
        {"name": "share", "metric": "share:c1", "min": 0.15, "max": 0.6},
        {"name": "big", "metric": "largest_share", "min": 0.4},
        {"name": "area", "metric": "area_km2", "max": 7e-6},
        {"name": "cut", "metric": "cut_edges", "max": 12},
        {"name": "splits", "metric": "splits:block", "max": 3}]},
}


@pytest.mark.parametrize("seed", range(4))
def test_kernel_score_matches_evaluate(seed, global_seed):
    t = grid(5, 5, 3, seed=seed, admin=True)
    p = Problem.from_dict(SPEC)
    cp = p.compile(t)
    rng = np.random.default_rng([seed, global_seed])
    n_fail = 0
    for _ in range(25):
        a = seed_plan(cp, rng)
        s, v = kernel_score(cp, a)
        ev = evaluate(t, Plan(a, p.regions, t.content_hash), censuses=["census"],
                      threshold=0.15)
        assert s == pytest.approx(p.objective.score(ev), abs=1e-9)
        passed = all(r.passed for r in check_criteria(ev, list(p.criteria)))
        assert passed == (v <= 1e-12), (v, [r.message() for r in check_criteria(ev, p.criteria)])
        n_fail += not passed
    assert n_fail > 0  # the criteria bite on some plans


def test_seed_plan_meets_bounds_locks_and_contiguity(global_seed):
    t = grid(6, 6, 2, seed=1)
    p = Problem.from_dict({"regions": 4, "maximize": ["homogeneity"],
                           "constraints": {"tolerance": 0.1,
                                           "locked": {"u00000": 3, "u00035": 1}}})
    cp = p.compile(t)
    rng = np.random.default_rng(global_seed)
    for _ in range(10):
        a = seed_plan(cp, rng)
        pops = np.bincount(a, weights=cp.pop, minlength=4)
        assert np.all(pops >= cp.lo) and np.all(pops <= cp.hi)
        assert a[0] == 3 and a[35] == 1
        pieces = t.graph.components(a.astype(np.int32))
        assert all(np.unique(pieces[a == r]).size == 1 for r in range(4))


def test_seed_plan_gives_up_with_an_explanation():
    from dayafter.errors import InfeasibleError

    # a path of 5 units with populations 1, 10, 1, 10, 1: two regions of 11.5 +- 0 impossible
    from dayafter.testing.grids import grid_territory

    t = grid_territory(1, 5, population=np.array([1.0, 10, 1, 10, 1]))
    p = Problem.from_dict({"regions": 2, "maximize": ["homogeneity"],
                           "constraints": {"tolerance": 0.0}})
    cp = p.compile(t)
    with pytest.raises(InfeasibleError, match="no contiguous plan"):
        seed_plan(cp, np.random.default_rng(0), attempts=5, restarts=5)
