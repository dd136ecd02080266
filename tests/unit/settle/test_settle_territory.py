"""Values derived from a territory and the plan that results from a settlement."""

from __future__ import annotations

import numpy as np
import pytest

from dayafter.errors import InputDataError, PlanMismatchError
from dayafter.graph import UnitGraph
from dayafter.plan import Plan, Region
from dayafter.settle import (
    ClaimsProblem,
    Settlement,
    adjusted_winner,
    max_nash_welfare,
    owner_from_plan,
    settlement_plan,
    values_from_territory,
)
from dayafter.territory import Territory


@pytest.fixture
def territory():
    # a path A - B - C - D - E with borders of length 1
    ids = ["A", "B", "C", "D", "E"]
    g = UnitGraph.from_edges(5, np.array([0, 1, 2, 3]), np.array([1, 2, 3, 4]),
                             np.array([1.0, 1.0, 1.0, 1.0]))
    now = np.array([[100, 0, 0], [60, 40, 0], [10, 80, 10], [0, 20, 80], [0, 0, 50]], float)
    return Territory.from_arrays(ids, ["kurd", "arab", "yazidi"], {"current": now,
                                 "baseline": now * 2}, g)


@pytest.fixture
def base_plan(territory):
    return Plan(np.array([0, 0, 1, 1, 1]), (Region("KR", "krg"), Region("Ninewa", "federal")),
                territory.content_hash, name="status quo")


def test_values_rule(territory):
    pr = values_from_territory(
        territory, parties={"krg": ["kurd"], "federal": ["arab"], "minority": ["yazidi"]},
        units=["B", "C", "D"], census="current", resources={"federal": {"C": 25.0}},
    )
    assert pr.values.tolist() == [[60, 10, 0], [40, 105, 20], [0, 10, 80]]
    assert pr.meta["census"] == "current"
    pr2 = values_from_territory(territory, parties={"krg": ["kurd"], "federal": ["arab"]},
                                units=["B"], census="baseline", population_weight=0.5)
    assert pr2.values.tolist() == [[60.0], [40.0]]


def test_values_rule_errors(territory):
    with pytest.raises(InputDataError, match="not in territory"):
        values_from_territory(territory, parties={"a": ["kurd"], "b": ["arab"]}, units=["Z"])
    with pytest.raises(InputDataError, match="unknown community"):
        values_from_territory(territory, parties={"a": ["turk"], "b": ["arab"]}, units=["B"])
    with pytest.raises(InputDataError, match="not a disputed unit"):
        values_from_territory(territory, parties={"a": ["kurd"], "b": ["arab"]}, units=["B"],
                              resources={"a": {"C": 1.0}})


def test_plan_moves_units_to_holder_authority(territory, base_plan):
    pr = ClaimsProblem(("krg", "federal", "minority"), ("B", "C", "E"), np.ones((3, 3)))
    s = Settlement("test", pr, np.array([[0, 1, 0], [1, 0, 0], [0, 0, 1]], float), np.zeros(3))
    new = settlement_plan(base_plan, territory, s, authorities={"minority": "self-administered"})
    a = new.assignment
    assert a[0] == 0  # A untouched
    assert new.regions[a[1]].authority == "federal"  # B joins Ninewa
    assert new.regions[a[2]].authority == "krg"  # C touches no KR unit: the largest KR region
    assert new.regions[a[2]].name == "KR"
    assert new.regions[a[4]].authority == "self-administered"
    assert new.regions[a[4]].name == "minority (settlement)"
    assert new.k == 3
    assert base_plan.assignment.tolist() == [0, 0, 1, 1, 1]  # base unchanged
    assert new.meta["settlement"]["method"] == "test"
    assert new.territory_hash == territory.content_hash
    assert new.is_complete


def test_plan_keeps_units_already_in_place(territory, base_plan):
    pr = ClaimsProblem(("krg", "federal"), ("B", "C"), [[5.0, 1.0], [1.0, 5.0]])
    s = max_nash_welfare(pr)
    new = settlement_plan(base_plan, territory, s)
    np.testing.assert_array_equal(new.assignment, base_plan.assignment)
    assert new.regions == base_plan.regions


def test_plan_shared_unit_from_adjusted_winner(territory, base_plan):
    pr = ClaimsProblem(("krg", "federal"), ("B", "C", "D"), [[50, 30, 20], [30, 30, 40]])
    s = adjusted_winner(pr)
    assert (s.owner == -1).sum() == 1
    new = settlement_plan(base_plan, territory, s)
    j = int(np.flatnonzero(s.owner == -1)[0])
    i = int(territory.index([pr.unit_ids[j]])[0])
    reg = new.regions[new.assignment[i]]
    assert reg.authority == "shared"
    assert reg.status.startswith("shared administration")


def test_plan_for_other_territory_is_refused(territory, base_plan):
    other = Territory.from_arrays(["A", "B", "C", "D", "E"], ["kurd"], {"c": np.ones((5, 1))},
                                  territory.graph)
    pr = ClaimsProblem(("krg", "federal"), ("B",), [[1.0], [2.0]])
    with pytest.raises(PlanMismatchError):
        settlement_plan(base_plan, other, max_nash_welfare(pr))


def test_owner_from_plan(territory, base_plan):
    pr = ClaimsProblem(("krg", "federal"), ("A", "B", "C"), [[5.0, 4.0, 1.0], [1.0, 2.0, 9.0]])
    sub, owner, left = owner_from_plan(pr, base_plan, territory)
    assert left == [] and owner.tolist() == [0, 0, 1]
    shared = base_plan.with_region(1, authority="shared")
    sub, owner, left = owner_from_plan(pr, shared, territory)
    assert left == ["C"] and sub.unit_ids == ("A", "B") and owner.tolist() == [0, 0]
    with pytest.raises(InputDataError, match="both have authority"):
        owner_from_plan(pr, base_plan, territory, authorities={"krg": "x", "federal": "x"})
