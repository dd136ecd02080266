"""Compensation in money against a reference: valuations by component, holdings from the control
layer, indemnity and Nash-against-the-reference transfers, explanations and sensitivity.

Hand computations on small cases, properties over random ones (hypothesis), and the built-in
case's done-when: the KRG's transfer for releasing its holdings is at least zero under every rule
that compensates releases, in US dollars, with its explanation.
"""

from __future__ import annotations

import json
from importlib import resources

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from dayafter.errors import ConfigError, InputDataError
from dayafter.graph import UnitGraph
from dayafter.plan import Plan, Region
from dayafter.settle import (
    RELEASE_RULES,
    ClaimsProblem,
    OilField,
    Parameter,
    PartySpec,
    ValuationModel,
    compensate_releases,
    explain,
    format_money,
    holdings_from_plan,
    model_from_spec,
    plan_against_reference,
    values_from_model,
    weight_sensitivity,
)
from dayafter.territory import Territory


def _territory():
    # units a, b, c of district D1 (b and c) and D0 (a); communities x (party X), y (party Y)
    ids = ["D0N1", "D1N1", "D1N2"]
    table = np.array([[100.0, 0.0], [50.0, 150.0], [0.0, 200.0]])
    g = UnitGraph.from_edges(3, [0, 1], [1, 2])
    return Territory.from_arrays(ids, ["x", "y"], {"now": table}, g)


def _model(**kw):
    base = {
        "parties": (PartySpec("X", ("x",), authority="federal"),
                    PartySpec("Y", ("y",), authority="krg", symbolic_units=("D1N2",))),
        "people_weight": Parameter(10.0, low=0.0, high=20.0, basis="assumption: test"),
        "budget_weight": Parameter(2.0, low=1.0, high=2.0, basis="test source", sources=("T1",)),
        "oil_price": Parameter(50.0, low=40.0, high=60.0),
        "oil_net_share": Parameter(0.5, low=0.5, high=0.5),
        "symbolic_factor": Parameter(1.0, low=0.0, high=1.0),
        "fields": (OilField("F", ("D1*",), Parameter(2.0, low=1.0, high=2.0)),),
        "holders": {"joint": {"X": 0.5, "Y": 0.5}},
    }
    base.update(kw)
    return ValuationModel(**base)


def test_values_by_component_by_hand():
    t = _territory()
    pr = values_from_model(t, _model(), ["D0N1", "D1N1", "D1N2"])
    # people: X values its x residents at 10, Y its y residents at 10
    np.testing.assert_allclose(pr.components["people"], [[1000, 500, 0], [0, 1500, 2000]])
    # budget: every resident at 2, to either party
    np.testing.assert_allclose(pr.components["budget"], [[200, 400, 400], [200, 400, 400]])
    # oil: 2 barrels a day x 365 x 50 x 0.5 = 18,250 a year, shared by D1's two units
    np.testing.assert_allclose(pr.components["resources"], [[0, 9125, 9125], [0, 9125, 9125]])
    # symbolic: Y's D1N2 at factor 1 on its people value
    np.testing.assert_allclose(pr.components["symbolic"], [[0, 0, 0], [0, 0, 2000]])
    np.testing.assert_allclose(pr.values, sum(pr.components.values()))
    assert pr.value_unit == "USD per year"
    with pytest.raises(InputDataError, match="do not sum"):
        ClaimsProblem(("A", "B"), ("u",), [[1.0], [1.0]], components={"p": [[1.0], [0.0]]})


def test_holdings_read_the_control_layer():
    t = _territory()
    pr = values_from_model(t, _model(), ["D0N1", "D1N1", "D1N2"])
    plan = Plan(np.zeros(3, dtype=np.int32), (Region("All", "federal"),), t.content_hash)
    plan = plan.with_control_of({1: "joint", 2: "contested"})
    shares, unheld = holdings_from_plan(pr, plan, t, _model())
    np.testing.assert_allclose(shares, [[1.0, 0.5, 0.0], [0.0, 0.5, 0.0]])
    assert unheld == ["D1N2"]


def test_indemnity_and_nash_by_hand():
    # X releases unit 0 (worth 10 to X, 4 to Y) to Y; Z is not concerned
    pr = ClaimsProblem(("X", "Y", "Z"), ("u0", "u1"), [[10.0, 1.0], [4.0, 1.0], [3.0, 9.0]])
    ref = [[1.0, 0.0], [0.0, 0.0], [0.0, 1.0]]
    new = [[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]]
    ind = compensate_releases(pr, new, ref, rule="indemnity")
    np.testing.assert_allclose(ind.transfers, [10.0, -4.0, 0.0])  # X paid its loss; Y pays its gain
    assert ind.outside_money == pytest.approx(6.0)  # the gain covers 4 of the 10
    assert ind.meta["released"] == {"X": ["u0"], "Y": [], "Z": []}
    nash = compensate_releases(pr, new, ref, rule="nash-reference")
    # X and Y concerned: net gain -6, each bears -3: X gets 10 - 3, Y pays 4 + 3
    np.testing.assert_allclose(nash.transfers, [7.0, -7.0, 0.0])
    assert nash.outside_money == pytest.approx(0.0)
    # when the gainer values the unit more, the gain covers the loss and the rest is kept
    pr2 = ClaimsProblem(("X", "Y"), ("u0",), [[4.0], [10.0]])
    ind2 = compensate_releases(pr2, [[0.0], [1.0]], [[1.0], [0.0]])
    np.testing.assert_allclose(ind2.transfers, [4.0, -4.0])
    with pytest.raises(ConfigError, match="unknown release rule"):
        compensate_releases(pr2, [[0.0], [1.0]], [[1.0], [0.0]], rule="knaster")


@st.composite
def _changes(draw):
    p = draw(st.integers(2, 4))
    m = draw(st.integers(1, 5))
    v = draw(arrays(np.float64, (p, m), elements=st.floats(0, 1e6, allow_nan=False)))
    owner_ref = draw(st.lists(st.integers(0, p - 1), min_size=m, max_size=m))
    owner_new = draw(st.lists(st.integers(0, p - 1), min_size=m, max_size=m))
    ref = np.zeros((p, m))
    new = np.zeros((p, m))
    ref[owner_ref, np.arange(m)] = 1.0
    new[owner_new, np.arange(m)] = 1.0
    pr = ClaimsProblem(tuple(f"P{i}" for i in range(p)), tuple(f"u{j}" for j in range(m)), v)
    return pr, new, ref


@settings(max_examples=80, deadline=None)
@given(_changes())
def test_release_rules_properties(case):
    pr, new, ref = case
    v = pr.values
    delta = (v * new).sum(axis=1) - (v * ref).sum(axis=1)
    tol = 1e-6 * max(1.0, float(v.sum()))
    ind = compensate_releases(pr, new, ref, rule="indemnity")
    t = ind.transfers
    loss, gain = np.clip(-delta, 0, None), np.clip(delta, 0, None)
    np.testing.assert_allclose(t[delta < 0], loss[delta < 0], atol=tol)  # losers made whole
    assert np.all(-t[delta > 0] <= gain[delta > 0] + tol)  # gainers never pay beyond their gain
    assert np.all(t[delta < 0] >= -tol)  # a party that releases never pays
    assert ind.outside_money == pytest.approx(max(0.0, loss.sum() - gain.sum()), abs=tol)
    nash = compensate_releases(pr, new, ref, rule="nash-reference")
    assert nash.transfers.sum() == pytest.approx(0.0, abs=tol)
    concerned = np.abs(delta) > 1e-9 * max(1.0, float(np.abs(v).sum()))
    ends = delta + nash.transfers
    if concerned.any():
        assert np.ptp(ends[concerned]) <= tol  # the concerned end equally above the reference
    assert np.all(np.abs(nash.transfers[~concerned]) <= tol)
    # a lone loser among gainers is paid at least nothing
    if (delta < -tol).sum() == 1 and np.all(delta[delta >= -tol] >= -tol):
        assert nash.transfers[np.argmin(delta)] >= -tol


def test_explanation_components_add_up():
    t = _territory()
    m = _model()
    pr = values_from_model(t, m, ["D0N1", "D1N1", "D1N2"])
    ref = [[1.0, 0.0, 0.0], [0.0, 1.0, 1.0]]
    new = [[1.0, 1.0, 0.0], [0.0, 0.0, 1.0]]  # Y releases D1N1 to X
    s = compensate_releases(pr, new, ref, plan_name="deal", reference_name="before")
    text = explain(s, labels={"D1N1": "Middle"})
    assert "Y: under before it held 2 of the 3 disputed units" in text["Y"]
    lost = float(pr.values[1, 1])
    assert f"It releases Middle: {format_money(lost)}" in text["Y"]
    assert f"It receives {format_money(lost)}" in text["Y"]
    assert "people USD 1,500 a year" in text["Y"] and "resources USD 9,125 a year" in text["Y"]
    assert text["X"].endswith(f"It pays {format_money(float(pr.values[0, 1]))}.")
    assert "Rule indemnity" in text["(rule)"]
    with pytest.raises(InputDataError, match="reference"):
        from dayafter.settle import knaster

        explain(knaster(pr))


def test_sensitivity_moves_each_weight_within_its_range():
    t = _territory()
    m = _model()
    base = Plan(np.zeros(3, dtype=np.int32), (Region("All", "krg"),), t.content_hash)
    plan = base.with_control([1], "federal")
    rows = weight_sensitivity(t, m, ["D0N1", "D1N1", "D1N2"], plan, base)
    params = {r["parameter"] for r in rows}
    # oil_net_share has no range; every other weight moves
    assert params == {"(base)", "people_weight", "budget_weight", "oil_price", "symbolic_factor",
                      "oil:F"}
    y = {(r["parameter"], r["end"], r["rule"]): r["transfer"] for r in rows if r["party"] == "Y"}
    # Y releases D1N1: indemnity pays it its own value of the unit, so more people weight pays more
    assert y[("people_weight", "high", "indemnity")] > y[("(base)", "value", "indemnity")]
    assert y[("people_weight", "low", "indemnity")] < y[("(base)", "value", "indemnity")]
    assert all(r["transfer"] >= 0 for r in rows if r["party"] == "Y")
    with pytest.raises(InputDataError, match="unknown valuation parameter"):
        m.with_parameter("nothing", "low")


# ------------------------------------------------------------------------------ built-in case
def _spec():
    pkg = resources.files("dayafter.cases.northern_iraq")
    return json.loads(pkg.joinpath("settle", "parties.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def case():
    from dayafter import cases

    return cases.load("northern-iraq")


def test_krg_is_paid_for_releasing_its_holdings(case):
    spec = _spec()
    model = model_from_spec(spec)
    t = case.territory
    units = [u for u in spec["disputed_units"] if u in set(t.unit_ids.tolist())]
    plan, ref = case.plans["krg-releases-claims"], case.plans[spec["reference"]]
    res, pr, left = plan_against_reference(t, model, units, plan, ref, census="current")
    assert left == []  # no contested unit in either plan
    krg = pr.party_index("krg")
    released = res["indemnity"].meta["released"]["krg"]
    # the units the plan moves from KRG to federal control are the ones released
    ctl_new, ctl_ref = plan.control_of_units(), ref.control_of_units()
    want = sorted(u for u in units if ctl_ref[t.index([u])[0]] == "krg"
                  and ctl_new[t.index([u])[0]] == "federal")
    assert sorted(released) == want and len(want) >= 4
    for rule in RELEASE_RULES:
        s = res[rule]
        assert s.transfers[krg] > 0, rule
        assert s.problem.value_unit == "USD per year"
        text = explain(s)["krg"]
        assert "releases" in text and "USD" in text and "It receives USD" in text
    # the indemnity pays exactly the KRG's own value of what it releases
    mask = np.isin(pr.unit_ids, released)
    assert res["indemnity"].transfers[krg] == pytest.approx(pr.values[krg, mask].sum())
    # at every end of every weight's range the KRG still receives at least nothing
    rows = weight_sensitivity(t, model, units, plan, ref, census="current")
    assert {r["parameter"] for r in rows} == {"(base)", *model.parameters()}
    assert all(r["transfer"] >= 0 for r in rows if r["party"] == "krg")
