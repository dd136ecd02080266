"""Criteria: pass/fail with failing regions and communities, and spec validation."""

from __future__ import annotations

import numpy as np
import pytest

from dayafter.criteria import Criterion, check_criteria, criteria_from_spec
from dayafter.errors import ConfigError
from dayafter.graph import UnitGraph
from dayafter.metrics import evaluate
from dayafter.plan import Plan, Region
from dayafter.territory import Territory


@pytest.fixture
def ev():
    g = UnitGraph.from_edges(4, [0, 1, 2], [1, 2, 3], np.ones(3))
    pop = np.array([[90, 10, 0], [80, 15, 5], [10, 85, 5], [5, 5, 90]], float)
    t = Territory.from_arrays(list("abcd"), ["x", "y", "z"], {"c": pop, "d": pop[:, ::-1].copy()}, g,
                              outer_border=np.array([3.0, 2, 2, 3]))
    plan = Plan(np.array([0, 0, 1, 1]), (Region("W", "federal"), Region("E", "krg")), t.content_hash)
    return evaluate(t, plan)


def test_stranded_criterion_names_failing_communities_and_regions(ev):
    crit = criteria_from_spec({"criteria": [
        {"name": "inclusive", "metric": "stranded", "max": 0.25, "where": {"population_share_over": 0.05},
         "census": "c"}]})
    (res,) = check_criteria(ev, crit)
    # census c: W = 170/25/5, E = 15/90/95 -> z stranded in W (5 of 100), y not stranded
    assert res.passed
    crit = [Criterion("strict", "stranded", max=0.01, census="c")]
    (res,) = check_criteria(ev, crit)
    assert not res.passed
    items = {f["item"]: f for f in res.failing}
    assert set(items) == {"x", "z"}
    assert items["x"]["regions"] == ["E"] and items["z"]["regions"] == ["W"]
    assert "FAIL" in res.message() and "x=" in res.message()


def test_region_and_plan_criteria_every_census(ev):
    crits = [Criterion("balanced", "deviation", abs_max=0.01), Criterion("homog", "largest_share", min=0.7),
             Criterion("seg", "theil_h", min=0.99), Criterion("contig", "pieces", max=1)]
    res = {(r.criterion.name, r.census): r for r in check_criteria(ev, crits)}
    assert len(res) == 8
    assert res[("balanced", "c")].passed
    assert not res[("homog", "c")].passed
    assert [f["item"] for f in res[("homog", "c")].failing] == ["E"]
    assert not res[("seg", "d")].passed and res[("seg", "d")].failing[0]["item"] == "plan"
    assert res[("contig", "c")].passed


@pytest.mark.parametrize("spec", [
    [{"name": "a", "metric": "stranded"}],
    [{"name": "a", "metric": "stranded", "max": 1, "bogus": 2}],
    [{"name": "a", "metric": "stranded", "max": "high"}],
    [{"name": "a", "metric": "stranded", "max": 1, "where": {"nope": 1}}],
    [{"metric": "stranded", "max": 1}],
    [{"name": "a", "metric": "stranded", "max": 1}, {"name": "a", "metric": "pieces", "max": 1}],
    "not a list",
])
def test_bad_specs_rejected(spec):
    with pytest.raises(ConfigError):
        criteria_from_spec(spec)


def test_unknown_metric_is_a_clear_error(ev):
    with pytest.raises(ConfigError, match="unknown metric 'nonsense'"):
        check_criteria(ev, [Criterion("x", "nonsense", max=1)])


# ------------------------------------------------------------------ not applicable, never a pass
def test_a_criterion_that_checks_nothing_is_not_applicable(ev):
    t_plan = ev.plan
    crits = [Criterion("inclusive", "stranded", max=0.25, where={"population_share_over": 0.05}),
             Criterion("named", "deviation", abs_max=0.1, where={"regions": ["Nowhere"]}),
             Criterion("auth", "pieces", max=1, where={"authorities": ["self-administered"]}),
             Criterion("minority", "empowerment_plurality", min=0.5,
                       where={"communities": ["z"], "population_share_over": 0.9})]
    for r in check_criteria(ev, crits[1:]):
        assert r.status == "n/a" and not r.passed and r.checked == 0
        assert "NOT APPLICABLE" in r.message() and r.to_dict()["status"] == "n/a"
    # an empty plan passes nothing: the inclusive-governance criterion of the case is n/a
    from dayafter.metrics import evaluate as ev_

    g = UnitGraph.from_edges(4, [0, 1, 2], [1, 2, 3], np.ones(3))
    pop = np.array([[90, 10, 0], [80, 15, 5], [10, 85, 5], [5, 5, 90]], float)
    t = Territory.from_arrays(list("abcd"), ["x", "y", "z"], {"c": pop}, g)
    empty = Plan(np.full(4, -1), (Region("W", "federal"),), t.content_hash)
    res = check_criteria(ev_(t, empty), [crits[0], Criterion("seg", "theil_h", max=0.1)])
    assert [r.status for r in res] == ["n/a", "n/a"]
    assert not any(r.passed for r in res)
    assert t_plan.k == 2
    from dayafter.criteria import CriterionResult

    with pytest.raises(ValueError, match="cannot pass"):
        CriterionResult(crits[0], "c", True, status="n/a")


def test_the_case_criteria_do_not_pass_an_empty_plan():
    from dayafter import cases

    case = cases.load("northern-iraq")
    t = case.territory
    empty = Plan(np.full(t.n_units, -1), (Region("nothing"),), t.content_hash)
    for r in check_criteria(evaluate(t, empty), case.criteria):
        assert not r.passed and r.status == "n/a", r.message()


# ------------------------------------------------------------------ criteria on engine outputs
def test_engine_criteria_read_seats_gaps_and_transfers(ev):
    from dayafter.criteria import EngineOutputs

    seats = {"c": np.array([[3, 1, 0], [0, 2, 2]]), "d": np.array([[1, 1, 2], [2, 2, 0]])}
    eng = EngineOutputs(seats=seats, security_requirement=np.array([10.0, 20.0]),
                        security_gap=np.array([1.0, 12.0]), transfers={"krg": 5.0, "fed": -5.0},
                        outside_money=0.0)
    crits = criteria_from_spec([
        # census c: region W has z share 2.5% (below 5%), E has 47.5%: only E is checked, 2 seats
        {"name": "z-seat", "metric": "seats:z", "min": 1, "where": {"community_share_over": 0.05},
         "census": "c"},
        {"name": "y-share", "metric": "seat_share:y", "min": 0.3, "census": "c"},
        {"name": "gap", "metric": "security_gap_share", "max": 0.5, "census": "c"},
        {"name": "gap-total", "metric": "security_gap_share_total", "max": 0.5, "census": "c"},
        {"name": "paid", "metric": "transfer:krg", "min": 0, "census": "c"},
        {"name": "fund", "metric": "outside_money", "max": 0, "census": "c"},
        {"name": "seats", "metric": "council_seats", "min": 1, "census": "c"},
        {"name": "ratio", "metric": "representation_ratio", "min": 0.5, "census": "d"}])
    res = {r.criterion.name: r for r in check_criteria(ev, crits, engines=eng)}
    assert res["z-seat"].passed and res["z-seat"].checked == 1
    # y seat shares: W 1/4 (fails 0.3), E 2/4
    assert not res["y-share"].passed
    assert res["y-share"].failing == ({"item": "W", "value": 0.25},)
    assert [f["item"] for f in res["gap"].failing] == ["E"]  # 12/20 > 0.5
    assert res["gap-total"].passed  # 13/30
    assert res["paid"].passed and res["fund"].passed
    assert res["seats"].passed  # every community holds a seat somewhere
    # census d: seats x 3, y 3, z 2 of 8; population shares (by the tally) give the ratios
    cm = ev.census("d")
    pop_share = cm.tally.sum(axis=0) / cm.tally.sum()
    ratio = np.array([3, 3, 2]) / 8 / pop_share
    assert res["ratio"].passed == bool(np.all(ratio >= 0.5))
    assert Criterion("x", "seats:x", min=1).engine == "councils"
    assert Criterion("x", "security_gap_share_total", max=1).engine == "security"
    assert Criterion("x", "transfer:krg", min=0).engine == "settle"
    assert Criterion("x", "theil_h", max=1).engine is None
    with pytest.raises(ConfigError, match="councils engine"):
        check_criteria(ev, crits[:1])
    with pytest.raises(ConfigError, match="no party 'nobody'"):
        check_criteria(ev, [Criterion("t", "transfer:nobody", min=0)], engines=eng)
    with pytest.raises(ConfigError, match="community_share_over applies"):
        check_criteria(ev, [Criterion("t", "deviation", max=1, where={"community_share_over": 0.1})],
                       engines=eng)


def test_engine_outputs_collected_from_the_engines_on_the_case():
    import json
    from importlib import resources

    from dayafter import cases
    from dayafter.criteria import EngineOutputs
    from dayafter.outcomes import EngineData, engine_outputs
    from dayafter.project import Project

    case = cases.load("northern-iraq")
    t = case.territory
    plan = case.plans["krg-releases-claims"]
    pkg = resources.files("dayafter.cases.northern_iraq")
    crits = criteria_from_spec(json.loads(pkg.joinpath("criteria_engines.json").read_text()))
    data = EngineData.from_project(Project.from_case(case.name))
    eng = engine_outputs(t, plan, crits, data)
    assert isinstance(eng, EngineOutputs)
    assert set(eng.seats) == set(t.census_names)
    assert eng.seats["current"].shape == (plan.k, t.n_communities)
    assert eng.security_gap.shape == (plan.k,) and eng.transfers["krg"] > 0
    res = check_criteria(evaluate(t, plan), crits, engines=eng)
    assert {r.criterion.name for r in res} == {c.name for c in crits}
    assert next(r for r in res if r.criterion.name == "krg-compensated").passed
    assert engine_outputs(t, plan, case.criteria, data) is None  # no engine needed
