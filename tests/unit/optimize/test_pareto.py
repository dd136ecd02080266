"""Pareto fronts: the exact epsilon-constraint front equals the brute-force front."""

from __future__ import annotations

import numpy as np
import pytest
from tests.unit.optimize import brute
from tests.unit.optimize.instances import grid

from dayafter.errors import ConfigError
from dayafter.optimize import Objective, Problem
from dayafter.optimize.pareto import _nondominated, pareto_front


def _setup():
    t = grid(3, 3, 3, seed=25)
    p = Problem.from_dict({"regions": 3, "maximize": [
        {"metric": "empowerment_plurality", "communities": ["c1"]}],
        "constraints": {"tolerance": 0.6}})
    second = Objective.from_dict({"maximize": [{"metric": "empowerment_plurality",
                                                "communities": ["c2"]}]})
    return t, p, second


def brute_front(t, p, second):
    plans = brute.feasible_plans(p, t)
    vals = np.array([[brute.score(p.objective, p, t, a), brute.score(second, p, t, a)]
                     for a in plans])
    front = set()
    for a, b in vals:
        if not np.any((vals[:, 0] >= a) & (vals[:, 1] >= b) & ((vals[:, 0] > a) | (vals[:, 1] > b))):
            front.add((round(a, 9), round(b, 9)))
    return sorted(front)


@pytest.mark.slow
def test_exact_front_matches_brute_force():
    t, p, second = _setup()
    expected = brute_front(t, p, second)
    assert len(expected) == 4  # the objectives conflict on this instance
    front = pareto_front(p, t, second, method="mip", time_limit=60)
    assert front.complete and all(pt.exact for pt in front.points)
    got = [(round(pt.first, 9), round(pt.second, 9)) for pt in front.points]
    assert got == expected
    for pt in front.points:
        assert "Pareto point" in pt.plan.notes


def test_heuristic_front_is_feasible_and_close(global_seed):
    t, p, second = _setup()
    expected = brute_front(t, p, second)
    front = pareto_front(p, t, second, method="bursts", weights=5, heuristic_steps=3000,
                         seed=global_seed)
    vals = front.values()
    assert len(vals) >= 1
    # every point lies on or below the exact front, and the extreme points are reached
    exp = np.array(expected)
    for a, b in vals:
        assert not np.any((exp[:, 0] < a - 1e-9) & (exp[:, 1] < b - 1e-9))
    assert vals[:, 0].max() == pytest.approx(exp[:, 0].max())
    assert vals[:, 1].max() == pytest.approx(exp[:, 1].max())


def test_nondominated_filter():
    v = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5], [0.4, 0.4], [1.0, 0.0]])
    assert _nondominated(v).tolist() == [1, 2, 0]


def test_objectives_must_share_the_census():
    t, p, _ = _setup()
    other = Objective.from_dict({"census": "x", "maximize": ["homogeneity"]})
    with pytest.raises(ConfigError, match="same census"):
        pareto_front(p, t, other)
