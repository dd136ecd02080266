"""Specs, compilation and the quick infeasibility checks."""

from __future__ import annotations

import numpy as np
import pytest

from dayafter.errors import ConfigError, InfeasibleError
from dayafter.graph import UnitGraph
from dayafter.optimize import Objective, Problem
from dayafter.optimize.subset import subset_territory
from dayafter.territory import Territory
from dayafter.testing.grids import grid_territory


def test_spec_round_trip_and_signs():
    p = Problem.from_dict({
        "census": "census", "threshold": 0.2,
        "regions": [{"name": "A", "authority": "krg"}, "B"],
        "maximize": [{"metric": "empowerment_plurality", "communities": ["a"], "weight": 2}],
        "minimize": ["cut_edges", {"metric": "splits", "level": "x", "weight": 0.5}],
        "constraints": {"tolerance": 0.1, "locked": {"u00000": "B"}}})
    assert p.k == 2 and p.regions[0].authority == "krg" and p.regions[1].name == "B"
    assert [t.weight for t in p.objective.terms] == [2.0, -1.0, -0.5]
    assert all(t.natural for t in p.objective.terms)
    assert p.locked == {"u00000": 1}
    assert p.objective.threshold == 0.2
    assert p.to_dict()["objective"]["terms"][2] == {"metric": "splits", "weight": -0.5,
                                                    "level": "x"}


@pytest.mark.parametrize("spec, match", [
    ({"maximize": ["nonsense"]}, "unknown objective metric"),
    ({"maximize": [{"metric": "stranded"}]}, "needs 'communities'"),
    ({"maximize": [{"metric": "cut_edges", "communities": ["a"]}]}, "takes no communities"),
    ({"maximize": [{"metric": "splits"}]}, "needs an admin 'level'"),
    ({"maximize": [{"metric": "homogeneity", "colour": 1}]}, "unknown keys"),
    ({"regions": 1, "maximize": ["homogeneity"]}, "at least 2 regions"),
    ({"maximize": []}, "at least one term"),
    ({"maximize": ["homogeneity"], "constraints": {"locked": {"u1": "Nowhere"}}}, "unknown region"),
    ({"maximize": ["homogeneity"], "constraints": {"criteria": [
        {"name": "x", "metric": "polarization", "max": 0.3}]}}, "cannot enforce"),
    ({"maximize": ["homogeneity"], "constraints": {"criteria": [
        {"name": "x", "metric": "stranded", "min": 0.3}]}}, "max bound"),
    ({"maximize": ["homogeneity"], "bogus": 1}, "unknown optimization spec keys"),
])
def test_bad_specs_name_the_problem(spec, match):
    with pytest.raises(ConfigError, match=match):
        Problem.from_dict(spec)


def test_compile_resolves_names():
    t = grid_territory(2, 2, communities=np.array([[1.0, 0], [0, 1], [1, 1], [2, 0]]))
    p = Problem.from_dict({"regions": 2, "maximize": [
        {"metric": "empowerment_plurality", "communities": ["zz"]}]})
    with pytest.raises(ConfigError, match="unknown community 'zz'"):
        p.compile(t)
    p = Problem.from_dict({"regions": 2, "census": "nope", "maximize": ["homogeneity"]})
    with pytest.raises(Exception, match="unknown census"):
        p.compile(t)


def test_quick_checks_total_population():
    t = grid_territory(2, 3)  # 6 people
    p = Problem.from_dict({"regions": 2, "maximize": ["homogeneity"],
                           "constraints": {"tolerance": None, "pop_min": 4}})
    with pytest.raises(InfeasibleError, match="need at least 8 people"):
        p.compile(t)
    p = Problem.from_dict({"regions": 2, "maximize": ["homogeneity"],
                           "constraints": {"tolerance": None, "pop_max": 2}})
    with pytest.raises(InfeasibleError, match="at most 4 people"):
        p.compile(t)


def test_quick_checks_heavy_unit_and_locks():
    pop = np.array([1.0, 1, 1, 1, 1, 20])
    t = grid_territory(2, 3, population=pop)
    p = Problem.from_dict({"regions": 2, "maximize": ["homogeneity"],
                           "constraints": {"tolerance": 0.2}})
    with pytest.raises(InfeasibleError, match="more people than any region") as ei:
        p.compile(t)
    assert ei.value.unit_ids == ["u00005"]
    t = grid_territory(2, 3)
    p = Problem.from_dict({"regions": 3, "maximize": ["homogeneity"],
                           "constraints": {"tolerance": 0.0,
                                           "locked": {"u00000": 0, "u00001": 0, "u00002": 0}}})
    with pytest.raises(InfeasibleError, match="locked to region"):
        p.compile(t)


def test_quick_checks_components():
    g = UnitGraph.from_edges(4, np.array([0, 2]), np.array([1, 3]))
    t = Territory.from_arrays(["a", "b", "c", "d"], ["x"], {"n": np.ones((4, 1))}, g)
    p = Problem.from_dict({"regions": 2, "maximize": ["homogeneity"],
                           "constraints": {"tolerance": 0.0, "locked": {"a": 0, "c": 0}}})
    with pytest.raises(InfeasibleError, match="separate pieces"):
        p.compile(t)
    g = UnitGraph.from_edges(4, np.array([0]), np.array([1]))
    t = Territory.from_arrays(["a", "b", "c", "d"], ["x"], {"n": np.ones((4, 1))}, g)
    with pytest.raises(InfeasibleError, match="3 separate pieces but only 2"):
        Problem.from_dict({"regions": 2, "maximize": ["homogeneity"]}).compile(t)


def test_criteria_fold_into_bounds_and_rows():
    t = grid_territory(2, 3, communities=np.arange(12.0).reshape(6, 2) + 1)
    p = Problem.from_dict({"regions": [{"name": "N", "authority": "krg"}, "S"],
                           "maximize": ["homogeneity"],
                           "constraints": {"tolerance": 0.5, "criteria": [
                               {"name": "pop", "metric": "population", "max": 40,
                                "where": {"authorities": ["krg"]}},
                               {"name": "share", "metric": "share:a", "min": 0.3},
                               {"name": "cut", "metric": "cut_edges", "max": 4}]}})
    cp = p.compile(t)
    total = t.population().sum()
    assert cp.hi[0] == 40 and cp.hi[1] == pytest.approx(total / 2 * 1.5)
    assert cp.rc_kind.tolist() == [0, 0] and cp.rc_lo.tolist() == [0.3, 0.3]
    assert cp.cut_cap == 4 and cp.has_constraints and not cp.interchangeable


def test_objective_values_from_evaluation():
    from dayafter.metrics import evaluate
    from dayafter.plan import Plan, Region

    t = grid_territory(1, 4, communities=np.array([[9.0, 1], [8, 2], [1, 9], [5, 5]]))
    obj = Objective.from_dict({"maximize": [{"metric": "empowerment_plurality",
                                             "communities": ["a", "b"]}, "homogeneity"],
                               "minimize": ["cut_edges"]})
    plan = Plan(np.array([0, 0, 1, 1]), (Region("x"), Region("y")), t.content_hash)
    ev = evaluate(t, plan)
    vals = obj.values(ev)
    # region x: a=17, b=3; region y: a=6, b=14 -> a empowered 17/23, b 14/17
    assert vals["empowerment_plurality:a+b"] == pytest.approx(17 / 23 + 14 / 17)
    assert vals["homogeneity"] == pytest.approx((17 + 14) / 40)
    assert vals["cut_edges"] == 1
    assert obj.score(ev) == pytest.approx(17 / 23 + 14 / 17 + 31 / 40 - 1)


def test_subset_territory_keeps_perimeters():
    from dayafter.metrics import evaluate
    from dayafter.plan import Plan, Region

    t = grid_territory(3, 3)
    s = subset_territory(t, t.unit_ids[:6].tolist())
    assert s.n_units == 6 and s.graph.n_edges == 7
    np.testing.assert_allclose(s.perimeter, t.perimeter[:6])
    ev = evaluate(s, Plan(np.zeros(6), (Region("all"),), s.content_hash))
    assert ev.geometry.perimeter[0] == pytest.approx(10.0)
    with pytest.raises(ConfigError, match="unknown admin level"):
        subset_territory(t, level="nope", codes=["x"])


def test_subset_of_the_case(iraq):
    t = iraq.territory
    s = subset_territory(t, level="governorate", codes=["IQG09"])
    assert s.n_units == int(np.sum(t.admin["governorate"] == "IQG09"))
    assert int(s.graph.components().max()) == 0
    np.testing.assert_allclose(s.perimeter, t.perimeter[t.admin["governorate"] == "IQG09"])
