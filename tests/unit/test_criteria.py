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
