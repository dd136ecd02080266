"""Optimization robust over census draws (``draws:`` in a spec, ``--draws``) against brute force.

The reference builds, for every draw, an ordinary territory whose census *is* that draw (the same
grid, the draw's counts), evaluates every feasible plan on each with
:func:`dayafter.metrics.evaluate`, and takes the worst (or the mean): it shares no code with the
optimizer's models, its kernels or the uncertainty module's evaluation of draws.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from tests.unit.optimize import brute

from dayafter.errors import ConfigError
from dayafter.metrics import evaluate
from dayafter.optimize import MIPOptimizer, Objective, Problem
from dayafter.optimize.heuristics import ShortBurstOptimizer
from dayafter.optimize.result import kernel_score
from dayafter.plan import Plan, Region
from dayafter.testing.grids import grid_territory
from dayafter.uncertainty import CensusModel, ErrorModel

N_DRAWS, SEED, ERROR = 3, 5, 0.3
TERMS = {"maximize": [{"metric": "empowerment_plurality", "communities": ["a", "b"]}]}


def _territory():
    rng = np.random.default_rng(11)
    return grid_territory(3, 3, communities=rng.integers(1, 60, size=(9, 2)).astype(float))


def _draw_tables(t) -> list[np.ndarray]:
    """The census followed by its draws, drawn here by the census model itself."""
    d = CensusModel(t, ErrorModel(unknown_error=ERROR)).draw(N_DRAWS, seed=SEED)
    return [t.census("census"), *d.census("census")]


def _reference_scores(t, a: np.ndarray, regions) -> list[float]:
    """The objective on the census and on each draw, each as a territory of its own."""
    out = []
    for tab in _draw_tables(t):
        tj = grid_territory(3, 3, communities=np.asarray(tab))
        ev = evaluate(tj, Plan(a.astype(np.int32), regions, tj.content_hash), censuses=["census"])
        out.append(float(ev.census("census").empowerment_plurality.sum()))
    return out


def _spec(combine: str = "worst", **extra):
    return {"regions": 3, "combine": combine, "constraints": {"tolerance": 0.6},
            "draws": {"n": N_DRAWS, "seed": SEED, "unknown_error": ERROR}, **TERMS, **extra}


def test_the_compiled_problem_holds_the_census_and_its_draws():
    t = _territory()
    cp = Problem.from_dict(_spec("weighted")).compile(t)
    assert cp.censuses == ("census", "census~1", "census~2", "census~3")
    np.testing.assert_array_equal(cp.tables, np.stack(_draw_tables(t)))
    assert np.allclose(cp.census_weights, 1 / (N_DRAWS + 1))
    assert cp.draws == N_DRAWS and "the mean of 'census' and 3 draws" in cp.census_label
    # population bounds and balance stay on the point census
    point = Problem.from_dict({k: v for k, v in _spec().items() if k != "draws"}).compile(t)
    np.testing.assert_array_equal(cp.lo, point.lo)
    np.testing.assert_array_equal(cp.pop, point.pop)


def test_robust_mip_optimum_is_the_brute_force_best_worst_case():
    t = _territory()
    p = Problem.from_dict(_spec())
    plans = brute.feasible_plans(Problem.from_dict({k: v for k, v in _spec().items() if k != "draws"}), t)
    assert len(plans) > 20
    best = max(min(_reference_scores(t, a, p.regions)) for a in plans)
    point_best = max(_reference_scores(t, a, p.regions)[0] for a in plans)
    assert best < point_best - 1e-6  # the draws change the question on this grid
    res = MIPOptimizer(time_limit=120, mip_rel_gap=0.0).run(p, t)
    assert res.status == "optimal"
    assert res.objective == pytest.approx(best, abs=1e-7)
    assert res.bound == pytest.approx(best, abs=1e-6)
    # the result is scored on the draws independently of the MIP: its parts are the reference's
    ref = _reference_scores(t, res.plan.assignment, p.regions)
    names = ["census", *[f"census~{j}" for j in range(1, N_DRAWS + 1)]]
    assert [res.census_objectives[c] for c in names] == pytest.approx(ref, abs=1e-9)
    assert "3 draws of its ranges (seed 5)" in res.plan.notes


def test_robust_negotiation_against_enumeration_of_the_budget():
    """The composition model (a start plan and a budget of two units) on the census and its
    draws: the enumerated best worst case."""
    t = _territory()
    regions = [Region("A"), Region("B"), Region("C")]
    start = Plan(np.array([0, 0, 1, 0, 0, 1, 2, 2, 1]), regions, t.content_hash, name="start")
    spec = {k: v for k, v in _spec().items() if k != "regions"}
    p = Problem.from_dict({**spec, "budget": {"units": 2}}, start=start)
    cp = p.compile(t)
    best = -np.inf
    for moved in itertools.combinations(range(9), 2):
        for labels in itertools.product(range(3), repeat=2):
            a = start.assignment.copy()
            a[list(moved)] = labels
            pop = np.bincount(a, weights=cp.pop, minlength=3)
            if np.any(pop < cp.lo - 1e-6) or np.any(pop > cp.hi + 1e-6):
                continue
            pieces = t.graph.components(a.astype(np.int32))
            if any(np.unique(pieces[a == r]).size != 1 for r in range(3)):
                continue
            best = max(best, min(_reference_scores(t, a, regions)))
    res = MIPOptimizer(time_limit=60, mip_rel_gap=0.0).run(p, t)
    assert res.status == "optimal" and "compositions" in res.stats
    assert res.objective == pytest.approx(best, abs=1e-7)
    assert res.change["units"] <= 2


def test_the_heuristics_kernel_scores_the_worst_draw():
    t = _territory()
    p = Problem.from_dict(_spec())
    cp = p.compile(t)
    plans = brute.feasible_plans(Problem.from_dict({k: v for k, v in _spec().items() if k != "draws"}), t)
    for a in plans[:: max(1, len(plans) // 25)]:
        value, violation = kernel_score(cp, a)
        assert violation == 0
        assert value == pytest.approx(min(_reference_scores(t, a, p.regions)), abs=1e-9)
    res = ShortBurstOptimizer(steps=3_000, seed=0).run(p, t)
    assert res.feasible
    assert res.objective == pytest.approx(min(_reference_scores(t, res.plan.assignment, p.regions)), abs=1e-9)


def test_weighted_draws_are_the_mean():
    t = _territory()
    p = Problem.from_dict(_spec("weighted"))
    a = np.array([0, 0, 1, 0, 0, 1, 2, 2, 1])
    plan = Plan(a.astype(np.int32), p.regions, t.content_hash)
    ev = evaluate(t, plan, censuses=["census"])
    got = p.objective.score(ev, p.objective.draw_evaluation(t, plan))
    assert got == pytest.approx(np.mean(_reference_scores(t, a, p.regions)), abs=1e-12)
    with pytest.raises(ConfigError, match="robust over 3 census draws"):
        p.objective.score(ev)


@pytest.mark.parametrize("draws, needle", [
    (-1, "from 0 to 64"), (65, "from 0 to 64"), ("many", "whole number"), (2.5, "whole number"),
    ({"n": 2, "sed": 1}, "unknown draws keys"), ({"n": 2, "unknown_error": 1.5}, r"\[0, 1\)"),
    ({"n": 2, "unknown_error": "x"}, "must be a number"), (True, "whole number"),
    ({"n": 2, "seed": -1}, "seed must be a whole number from 0")])
def test_bad_draws_are_refused_with_the_key(draws, needle):
    with pytest.raises(ConfigError, match=needle) as exc:
        Objective.from_dict({**TERMS, "draws": draws})
    assert "draws" in str(exc.value)


def test_the_plan_records_its_draws():
    t = _territory()
    p = Problem.from_dict(_spec())
    assert p.objective.to_dict()["draws"] == {"n": N_DRAWS, "seed": SEED, "unknown_error": ERROR}
    res = MIPOptimizer(time_limit=60).run(p, t)
    meta = res.plan.meta["optimizer"]
    assert meta["problem"]["objective"]["draws"]["n"] == N_DRAWS
    assert meta["objective"] == pytest.approx(min(meta["census_objectives"].values()))
