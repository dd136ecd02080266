"""Heuristics reach the exact optimum on small instances, and behave as configured."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from tests.unit.optimize import brute
from tests.unit.optimize.instances import INSTANCES, grid

from dayafter.errors import ConfigError
from dayafter.optimize import AnnealingOptimizer, Problem, ShortBurstOptimizer
from dayafter.optimize.mip import MIPOptimizer
from dayafter.optimize.subset import subset_territory

OPTIMIZERS = {
    "anneal": lambda seed: AnnealingOptimizer(steps=20_000, restarts=6, seed=seed),
    "bursts": lambda seed: ShortBurstOptimizer(steps=10_000, restarts=6, seed=seed),
}


@pytest.fixture(scope="module")
def optima():
    out = {}
    for key, make in INSTANCES.items():
        t, p = make()
        out[key] = brute.optimum(p, t)[0]
    return out


@pytest.mark.parametrize("method", sorted(OPTIMIZERS))
@pytest.mark.parametrize("key", sorted(INSTANCES))
def test_heuristics_reach_the_optimum_on_grids(key, method, optima, global_seed):
    t, p = INSTANCES[key]()
    res = OPTIMIZERS[method](global_seed).run(p, t)
    assert res.feasible, res.failing
    assert res.objective == pytest.approx(optima[key], abs=1e-9)
    assert res.method == method and res.bound is None
    a = res.plan.assignment
    cp = p.compile(t)
    pops = np.bincount(a, weights=cp.pop, minlength=p.k)
    assert np.all(pops >= cp.lo - 1e-9) and np.all(pops <= cp.hi + 1e-9)
    assert np.all((cp.lock < 0) | (a == cp.lock))


CASE_PROBLEMS = {
    # Kirkuk: empowerment of Turkmen and Kurds against stranded Sunni Arabs
    "kirkuk": ("IQG13", {"census": "current", "regions": 2,
                         "maximize": [{"metric": "empowerment_plurality",
                                       "communities": ["turkmen", "kurd"]}],
                         "minimize": [{"metric": "stranded", "communities": ["sunni_arab"]}],
                         "constraints": {"tolerance": 0.5}}),
    # Duhok: homogeneity with compact regions
    "duhok": ("IQG09", {"census": "baseline", "regions": 2, "maximize": ["homogeneity"],
                        "minimize": [{"metric": "cut_edges", "weight": 0.01}],
                        "constraints": {"tolerance": 0.6}}),
}


@pytest.mark.parametrize("name", [pytest.param(n, marks=pytest.mark.slow) if n == "kirkuk" else n
                                  for n in sorted(CASE_PROBLEMS)])  # kirkuk: ~20 s
def test_heuristics_reach_the_mip_optimum_on_a_governorate(name, iraq, global_seed):
    code, spec = CASE_PROBLEMS[name]
    t = subset_territory(iraq.territory, level="governorate", codes=[code])
    p = Problem.from_dict(spec)
    exact = MIPOptimizer(time_limit=120, mip_rel_gap=0.0).run(p, t)
    assert exact.status == "optimal"
    for method in sorted(OPTIMIZERS):
        res = OPTIMIZERS[method](global_seed).run(p, t)
        assert res.objective == pytest.approx(exact.objective, abs=1e-9), method
        assert res.objective <= exact.bound + 1e-9


def test_same_seed_same_plan():
    t, p = INSTANCES["a"]()
    r1 = AnnealingOptimizer(steps=3000, seed=5).run(p, t)
    r2 = AnnealingOptimizer(steps=3000, seed=5).run(p, t)
    assert np.array_equal(r1.plan.assignment, r2.plan.assignment)
    assert r1.history[-1][1:] == r2.history[-1][1:]


def test_progress_history_and_best_plans():
    t = grid(6, 6, 3, seed=2)
    p = Problem.from_dict({"regions": 3, "maximize": ["homogeneity"],
                           "minimize": [{"metric": "cut_edges", "weight": 0.01}]})
    seen = []
    res = ShortBurstOptimizer(steps=3000, restarts=2, chunk=500, seed=1,
                              progress=seen.append).run(p, t)
    assert seen[-1].final and seen[-1].done == 6000 and seen[-1].total == 6000
    assert seen[0].task == "bursts" and {"steps", "best", "feasible", "restart"} <= set(
        seen[0].extra)
    gaps = [b.elapsed - a.elapsed for a, b in itertools.pairwise(seen[:-1])]
    assert all(gap >= 0.5 - 1e-6 for gap in gaps)
    best = [h[2] for h in res.history]
    assert best == sorted(best)  # the record of the best never gets worse
    assert res.top and res.top[0][0] == pytest.approx(res.objective)
    assert res.stats["proposed"] == 6000
    assert "Objective" in res.plan.notes and res.plan.meta["optimizer"]["method"] == "bursts"


def test_chunks_do_not_change_the_result():
    """The kernel's state and search carry over from one call to the next: how the steps are
    split into kernel calls does not change the plan found."""
    t, p = INSTANCES["a"]()
    for cls in (AnnealingOptimizer, ShortBurstOptimizer):
        r1 = cls(steps=3000, seed=7, chunk=3000).run(p, t)
        r2 = cls(steps=3000, seed=7, chunk=37).run(p, t)
        assert np.array_equal(r1.plan.assignment, r2.plan.assignment), cls.method
        assert r1.stats["accepted"] == r2.stats["accepted"]


def test_cancel_returns_the_best_plan_so_far():
    from dayafter.progress import CancelToken

    t = grid(8, 8, 2, seed=0)
    p = Problem.from_dict({"regions": 4, "maximize": ["homogeneity"]})
    token = CancelToken()

    def stop(ev):
        token.cancel()

    res = AnnealingOptimizer(steps=10**9, chunk=200, seed=0, progress=stop,
                             cancel=token).run(p, t)
    assert res.stats["cancelled"] and res.stats["steps"] < 10**6 and res.feasible


def test_time_limit_stops_the_search():
    t = grid(8, 8, 2, seed=0)
    p = Problem.from_dict({"regions": 4, "maximize": ["homogeneity"]})
    res = AnnealingOptimizer(steps=10**9, time_limit=1.0, chunk=1000, seed=0).run(p, t)
    assert res.elapsed < 10 and res.stats["steps"] < 10**9


def test_initial_plan_is_checked_and_used():
    t, p = INSTANCES["b"]()
    with pytest.raises(ConfigError, match="contiguous"):
        AnnealingOptimizer(steps=10, initial=np.array([0, 1] * 8)).run(p, t)
    start = np.repeat([0, 1], 8)
    res = AnnealingOptimizer(steps=1, initial=start, p_flip=1.0, seed=0).run(p, t)
    assert res.objective >= brute.score(p.objective, p, t, start) - 1e-12


@pytest.mark.parametrize("kw", [{"steps": 0}, {"p_flip": 2.0}, {"t_start": 1e-5, "t_end": 1.0},
                                {"time_limit": -1.0}])
def test_bad_settings(kw):
    t, p = INSTANCES["a"]()
    with pytest.raises(ConfigError):
        AnnealingOptimizer(**kw).run(p, t)
