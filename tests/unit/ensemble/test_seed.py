"""Seed plans: valid when possible, a clear error when not."""

from __future__ import annotations

import numpy as np
import pytest

from dayafter.ensemble.seed import seed_plan
from dayafter.errors import InfeasibleError, InputDataError
from dayafter.graph import UnitGraph
from dayafter.territory import Territory
from dayafter.testing.grids import grid_territory


@pytest.mark.parametrize("k", [2, 3, 5, 7])
def test_seed_plan_is_contiguous_and_balanced(global_seed, k):
    rng = np.random.default_rng(global_seed)
    pop = rng.integers(1, 30, size=100).astype(float)
    t = grid_territory(10, 10, population=pop)
    plan = seed_plan(t, k, rng=rng, constraints={"tolerance": 0.1})
    a = plan.assignment
    assert plan.is_complete and plan.k == k and np.unique(a).size == k
    pops = np.bincount(a, weights=pop, minlength=k)
    assert np.all(np.abs(pops / (pop.sum() / k) - 1) <= 0.1 + 1e-12)
    pieces = t.graph.components(a)
    for r in range(k):
        assert np.unique(pieces[a == r]).size == 1


def test_seed_plan_absolute_bounds(global_seed):
    t = grid_territory(6, 6)
    plan = seed_plan(t, 3, rng=np.random.default_rng(global_seed),
                     constraints={"tolerance": None, "pop_min": [6, 10, 10], "pop_max": [6, 15, 15]})
    sizes = np.bincount(plan.assignment, minlength=3)
    assert sizes[0] == 6 and np.all((sizes[1:] >= 10) & (sizes[1:] <= 15))


def test_seed_plan_impossible_cases():
    t = grid_territory(3, 3)
    with pytest.raises(InfeasibleError, match="cannot be shared"):
        seed_plan(t, 2, rng=np.random.default_rng(0), constraints={"pop_max": 4})
    with pytest.raises(InfeasibleError, match="after 200 spanning trees"):  # 9 units, 4.5 each
        seed_plan(t, 2, rng=np.random.default_rng(0), constraints={"tolerance": 0.0},
                  max_attempts=200)
    heavy = grid_territory(3, 3, population=np.array([100.0] + [1.0] * 8))
    with pytest.raises(InfeasibleError, match="more people than a region"):
        seed_plan(heavy, 3, rng=np.random.default_rng(0), constraints={"tolerance": 0.5})
    # a star: the centre cannot join any leaf pair evenly, so no plan exists; bounded attempts
    g = UnitGraph.from_edges(5, [0, 0, 0, 0], [1, 2, 3, 4])
    star = Territory.from_arrays(list("abcde"), ["p"], {"c": np.ones((5, 1))}, g)
    with pytest.raises(InfeasibleError, match="after 50 spanning trees"):
        seed_plan(star, 2, rng=np.random.default_rng(0),
                  constraints={"tolerance": None, "pop_min": 2, "pop_max": 3}, max_attempts=50)
    two = Territory.from_arrays(list("ab"), ["p"], {"c": np.ones((2, 1))},
                                UnitGraph.from_edges(2, [], []))
    with pytest.raises(InputDataError, match="components"):
        seed_plan(two, 2, rng=np.random.default_rng(0))
