"""Security that follows the plan: control rules, two thresholds, force kinds, explanations.

Each rule is checked on a small case solved by hand, and on random small cases against an
independent oracle (``tests/reference/security_ref.py``: the rules read unit by unit in plain
Python, the optimum by min-cost flow and by enumeration).
"""

from __future__ import annotations

import numpy as np
import pytest
from tests.reference import security_ref as ref

from dayafter.errors import ConfigError, InputDataError
from dayafter.graph import UnitGraph
from dayafter.plan import Plan, Region
from dayafter.security import (
    Force,
    ForceCatalog,
    ForceRule,
    acceptance_shares,
    allocate_forces,
    catalog_from_dict,
    rule_values,
    threshold_sensitivity,
)
from dayafter.territory import Territory

COMMS = ["sunni_arab", "kurd", "yazidi", "christian"]


def _territory(table, ids=None):
    table = np.asarray(table, dtype=float)
    n = table.shape[0]
    ids = ids or [f"U{i}" for i in range(n)]
    g = UnitGraph.from_edges(n, np.arange(n - 1), np.arange(1, n), np.ones(n - 1))
    return Territory.from_arrays(ids, COMMS[: table.shape[1]], {"now": table}, g)


def _plan(t, control):
    """One polity (federal) with the given control per unit."""
    p = Plan(np.zeros(t.n_units, dtype=np.int32), (Region("All", "federal"),), t.content_hash)
    return p.with_control_of(dict(enumerate(control)))


def _by_force(a):
    return dict(zip(a.forces, a.allocation, strict=True))


# ------------------------------------------------------------------------- hand-solved cases
def test_control_rules_follow_the_plan():
    # two units of 1,000 people each, requirement 20 each; army may serve federal or joint
    # units, the Peshmerga krg or joint ones
    t = _territory([[0, 1000], [0, 1000]])
    cat = ForceCatalog(
        (Force("army", "Army", 30.0), Force("pesh", "Peshmerga", 30.0)),
        (ForceRule("C1", "only_control", ("army",), control=("federal", "joint")),
         ForceRule("C2", "only_control", ("pesh",), control=("krg", "joint"))))
    a = allocate_forces(t, cat, plan=_plan(t, ["federal", "krg"]))
    np.testing.assert_allclose(_by_force(a)["army"], [20, 0])
    np.testing.assert_allclose(_by_force(a)["pesh"], [0, 20])
    assert a.reason.tolist() == [["", "C1"], ["C2", ""]]
    # the KRG releases unit 1: only the army may serve, 30 for 40 required
    b = allocate_forces(t, cat, plan=_plan(t, ["federal", "federal"]))
    assert b.total_shortfall == pytest.approx(10.0)
    assert b.used[1] == 0
    rep = {r["force"]: r for r in b.force_report()}
    assert rep["pesh"]["status"] == "unused"
    assert rep["pesh"]["why"] == ["it may serve no unit with a requirement (rule C2 (only where "
                                  "control is krg or joint): 2 units)"]
    # joint control admits both
    c = allocate_forces(t, cat, plan=_plan(t, ["joint", "joint"]))
    assert c.total_shortfall == pytest.approx(0.0)
    with pytest.raises(ConfigError, match="no plan was given"):
        allocate_forces(t, cat)


def test_control_of_a_plan_without_stated_control_follows_the_polities():
    t = _territory([[0, 1000], [0, 1000]])
    cat = ForceCatalog((Force("pesh", "Peshmerga", 100.0),),
                       (ForceRule("C2", "only_control", ("pesh",), control=("krg", "joint")),))
    p = Plan(np.array([0, 1]), (Region("South", "federal"), Region("North", "krg")), t.content_hash)
    a = allocate_forces(t, cat, plan=p)
    np.testing.assert_allclose(a.allocation[0], [0, 20])
    a2 = allocate_forces(t, cat, plan=p.with_control([1], "federal"))
    assert a2.used[0] == 0  # the stated control wins over the polity's authority
    shared = Plan(np.array([0, 0]), (Region("Both", "shared"),), t.content_hash)
    np.testing.assert_allclose(allocate_forces(t, cat, plan=shared).allocation[0], [20, 20])


@pytest.mark.parametrize(("veto", "allowed"), [(None, True), (0.25, False), (0.35, True)])
def test_two_thresholds_accept_and_veto(veto, allowed):
    # 60% Kurds, 30% Sunni Arabs, 10% Yazidis; the Peshmerga is not accepted by Sunni Arabs:
    # accepted by 70% (>= 50%), vetoed by the Sunni Arabs' 30% when the veto share is 25%
    t = _territory([[300, 600, 100]])
    cat = ForceCatalog((Force("pesh", "Peshmerga", 100.0),),
                       (ForceRule("R2", "not_accepted_by", ("pesh",), communities=("sunni_arab",)),),
                       min_accept_share=0.5, veto_share=veto)
    shares, reason = acceptance_shares(t, cat)
    assert shares[0, 0] == pytest.approx(0.7)
    assert reason[0, 0] == ("" if allowed else "veto:sunni_arab")
    a = allocate_forces(t, cat)
    assert a.allocation[0, 0] == pytest.approx(20.0 if allowed else 0.0)
    # the acceptance share still applies: 80% needed, only 70% accept
    strict = cat.with_thresholds(accept=0.8)
    assert acceptance_shares(t, strict)[1][0, 0] in ("min_accept_share", "veto:sunni_arab")


def test_veto_names_the_largest_rejecting_community():
    t = _territory([[300, 400, 0, 300]])
    cat = ForceCatalog((Force("pesh", "P", 10.0, accepted_by=("kurd",)),), min_accept_share=0.3,
                       veto_share=0.2)
    assert acceptance_shares(t, cat)[1][0, 0] == "veto:sunni_arab"  # tie: first community


def test_community_force_covers_its_own_share_only():
    # 1,000 residents, 20% Christian: requirement 20, the Christian force covers 20% of it
    t = _territory([[800, 0, 0, 200], [1000, 0, 0, 0]])
    cat = ForceCatalog((Force("npu", "NPU", 100.0, kind="community", communities=("christian",)),
                        ), veto_share=0.1)  # no veto for a community force
    a = allocate_forces(t, cat)
    np.testing.assert_allclose(a.allocation[0], [4.0, 0.0])
    np.testing.assert_allclose(a.shortfall, [16.0, 20.0])
    assert a.reason[0, 1] == "no_community"
    rep = a.force_report()[0]
    assert rep["status"] == "partly used" and rep["spare"] == pytest.approx(96.0)
    assert any("its own communities' share" in w for w in rep["why"])
    assert any("none of its communities lives there: 1 unit" in w for w in rep["why"])


def test_local_force_serves_the_unit_it_recruits_in():
    # per_1000 5: unit 0 (1,000 people) recruits 5, unit 1 (2,000) recruits 10
    t = _territory([[1000, 0], [0, 2000]])
    cat = ForceCatalog((Force("police", "Police", None, kind="local", per_1000=5.0),
                        Force("army", "Army", 100.0, priority=1)),
                       (ForceRule("C1", "only_control", ("police",), control=("federal",)),))
    a = allocate_forces(t, cat, plan=_plan(t, ["federal", "krg"]))
    assert a.strength[0] == pytest.approx(15.0)  # all it can recruit
    np.testing.assert_allclose(a.allocation[0], [5.0, 0.0])
    assert a.total_shortfall == 0
    rep = a.force_report()[0]
    assert rep["spare"] == pytest.approx(10.0)
    assert any("recruits of units where it may not serve stay there" in w for w in rep["why"])
    # without the army, the police cover at most their recruits
    only = ForceCatalog(cat.forces[:1])
    b = allocate_forces(t, only)
    np.testing.assert_allclose(b.allocation[0], [5.0, 10.0])
    np.testing.assert_allclose(b.shortfall, [15.0, 30.0])
    assert any("it recruits no more there" in w for w in b.force_report()[0]["why"]) is False
    # an explicit strength caps the recruits
    capped = allocate_forces(t, ForceCatalog((Force("police", "Police", 6.0, kind="local",
                                                    per_1000=5.0),)))
    assert capped.used[0] == pytest.approx(6.0)


def test_not_where_plurality():
    t = _territory([[600, 400], [400, 600]])
    cat = ForceCatalog((Force("pmf", "PMF", 100.0),),
                       (ForceRule("R13", "not_where_plurality", ("pmf",),
                                  communities=("sunni_arab",)),))
    a = allocate_forces(t, cat)
    np.testing.assert_allclose(a.allocation[0], [0.0, 20.0])
    assert a.reason[0, 0] == "R13"


def test_priority_places_local_forces_first():
    # one unit, requirement 20; both forces could cover it; the local one is placed first
    t = _territory([[1000, 0]])
    cat = ForceCatalog((Force("army", "Army", 50.0, priority=2),
                        Force("tribal", "Tribal", 12.0, kind="community",
                              communities=("sunni_arab",), priority=0)))
    a = allocate_forces(t, cat)
    np.testing.assert_allclose(a.allocation[:, 0], [8.0, 12.0])
    assert a.meta["preferred"]
    rep = {r["force"]: r for r in a.force_report()}
    assert rep["army"]["why"] == ["the units it may serve that it does not fill are fully covered "
                                  "(1 unit covered, by it or by forces placed first)"]
    raw = allocate_forces(t, cat, prefer=False)
    assert raw.total_shortfall == pytest.approx(a.total_shortfall, abs=1e-9)


def test_hand_solved_lp_with_prices():
    # A (10) may serve U0 and U1, B (10) only U1; requirement 15 and 10 (750 and 500 people):
    # optimum B -> U1 10, A -> U0 10, shortfall 5 in U0. One more A saves one person; one more B
    # saves nothing (U1 is full and B may not go to U0).
    t = _territory([[750, 0], [0, 500]])
    cat = ForceCatalog((Force("a", "A", 10.0), Force("b", "B", 10.0)),
                       (ForceRule("X", "exclude_units", ("b",), units=("U0",)),))
    a = allocate_forces(t, cat, balance=False, prefer=False)
    assert a.objective == pytest.approx(5.0)
    np.testing.assert_allclose(a.allocation, [[10.0, 0.0], [0.0, 10.0]])
    np.testing.assert_allclose(a.strength_price, [1.0, 0.0], atol=1e-9)
    # dropping X gains nothing (total strength 20 < 25 either way); the reduced cost of the barred
    # pair bounds that gain from above (the LP is degenerate: B's strength binds with price 0 or 1)
    assert rule_values(t, cat)["X"] == pytest.approx(0.0, abs=1e-9)
    assert a.bound_price[1, 0] >= 0.0


def test_census_table_is_a_pure_input():
    t = _territory([[1000, 0], [0, 1000]])
    cat = ForceCatalog((Force("a", "A", 30.0, accepted_by=("kurd",)),))
    draw = np.array([[0.0, 2000.0], [0.0, 1000.0]])
    a = allocate_forces(t, cat, census_table=draw)
    np.testing.assert_allclose(a.requirement, [40.0, 20.0])
    assert a.reason[0, 0] == ""  # the draw's unit 0 is Kurdish
    with pytest.raises(InputDataError, match="census_table"):
        allocate_forces(t, cat, census_table=draw[:1])


def test_catalog_round_trip_and_errors():
    cat = ForceCatalog((Force("l", "L", None, kind="local", per_1000=3.0, strength_range=(2, 4)),
                        Force("c", "C", 5.0, kind="community", communities=("kurd",))),
                       (ForceRule("K", "only_control", ("l",), control=("federal",)),),
                       veto_share=0.2, accept_basis="assumption: a", veto_basis="assumption: b")
    back = catalog_from_dict(cat.to_dict())
    assert back == cat
    assert cat.forces[0].at(1.0).per_1000 == 4.0 and cat.forces[1].at(0.0) is cat.forces[1]
    with pytest.raises(InputDataError, match="per_1000"):
        Force("l", "L", None, kind="local")
    with pytest.raises(InputDataError, match="needs the communities"):
        Force("c", "C", 1.0, kind="community")
    with pytest.raises(InputDataError, match="needs a strength"):
        Force("p", "P", None)
    with pytest.raises(InputDataError, match="no control labels"):
        ForceRule("K", "only_control", ("l",))
    with pytest.raises(ConfigError, match="veto_share"):
        ForceCatalog((Force("a", "A", 1.0),), veto_share=1.5)
    with pytest.raises(InputDataError, match="rule ids must be unique"):
        ForceCatalog((Force("a", "A", 1.0),), (ForceRule("X", "exclude_units", ("a",)),
                                               ForceRule("X", "exclude_units", ("a",))))
    t = _territory([[1.0, 1.0]])
    with pytest.raises(InputDataError, match="does not have"):
        allocate_forces(t, ForceCatalog((Force("c", "C", 1.0, kind="community",
                                               communities=("martian",)),)))


def test_threshold_sensitivity_is_monotone():
    t = _territory([[300, 600, 100], [500, 500, 0], [0, 1000, 0]])
    cat = ForceCatalog((Force("pesh", "P", 100.0),),
                       (ForceRule("R2", "not_accepted_by", ("pesh",), communities=("sunni_arab",)),),
                       veto_share=0.25)
    rows = threshold_sensitivity(t, cat, accept_values=(0.5,), veto_values=(None, 0.25, 0.45))
    short = [r["shortfall"] for r in rows]
    assert short[0] <= short[2] <= short[1]


# ------------------------------------------------------------------------ random vs the oracle
def _random_case(rng):
    n = int(rng.integers(2, 5))
    g = len(COMMS)
    # populations in thousands so that local recruits (integer per 1,000) are whole numbers
    table = rng.integers(0, 3, size=(n, g)).astype(float) * 1000.0
    table[table.sum(axis=1) == 0, 0] = 1000.0
    t = _territory(table)
    control = rng.choice(["federal", "krg", "joint"], size=n).tolist()
    forces = []
    nf = int(rng.integers(1, 4))
    for i in range(nf):
        kind = rng.choice(["pooled", "pooled", "local", "community"])
        if kind == "local":
            forces.append(Force(f"f{i}", f"F{i}", None, kind="local",
                                per_1000=float(rng.integers(1, 3)),
                                priority=int(rng.integers(0, 3))))
        elif kind == "community":
            forces.append(Force(f"f{i}", f"F{i}", float(rng.integers(0, 8)), kind="community",
                                communities=(str(rng.choice(COMMS)),),
                                priority=int(rng.integers(0, 3))))
        else:
            acc = tuple(c for c in COMMS if rng.random() < 0.6) or ("kurd",)
            forces.append(Force(f"f{i}", f"F{i}", float(rng.integers(0, 8)), accepted_by=acc,
                                priority=int(rng.integers(0, 3))))
    rules = []
    if rng.random() < 0.7:
        rules.append(ForceRule("C", "only_control", (forces[0].key,),
                               control=tuple(rng.choice(["federal", "krg", "joint"], size=2))))
    if rng.random() < 0.5:
        rules.append(ForceRule("P", "not_where_plurality", (forces[-1].key,),
                               communities=(str(rng.choice(COMMS)),)))
    if rng.random() < 0.4:
        rules.append(ForceRule("E", "exclude_control", (forces[-1].key,), control=("joint",)))
    cat = ForceCatalog(tuple(forces), tuple(rules),
                       min_accept_share=float(rng.choice([0.0, 0.3, 0.5])),
                       veto_share=[None, 0.25, 0.5][int(rng.integers(0, 3))])
    req = rng.integers(0, 3, size=n).astype(float) * 4.0
    w = rng.integers(1, 4, size=n).astype(float)
    return t, cat, control, req, w


@pytest.mark.parametrize("seed", range(40))
def test_allocation_matches_the_oracle(seed):
    rng = np.random.default_rng(seed)
    t, cat, control, req, w = _random_case(rng)
    plan = _plan(t, control)
    a = allocate_forces(t, cat, plan=plan, requirement=req, weights=w)
    table = t.census()
    allowed, cap = ref.allowed_and_caps(table.tolist(), t.unit_ids.tolist(), list(t.communities),
                                        cat, control, req.tolist())
    assert a.allowed.tolist() == allowed
    strength = ref.strengths(cat, table, list(t.communities))
    np.testing.assert_allclose(a.strength, strength)
    # community caps are shares (k / unit population in thousands, at most 8) of whole
    # requirements: whole numbers at scale 840 = lcm(1..8)
    want = ref.flow_optimum(req.tolist(), strength, allowed, cap, w.tolist(), scale=840)
    assert a.objective == pytest.approx(want, abs=1e-7)
    integral = all(float(c).is_integer() for row in cap for c in row if np.isfinite(c))
    brute = ref.brute_optimum(req.tolist(), strength, allowed, cap, w.tolist()) if integral else None
    if brute is not None:
        assert a.objective == pytest.approx(brute, abs=1e-7)
    # the balanced and preferred solution keeps the optimum and every bound
    assert float(w @ a.shortfall) == pytest.approx(want, abs=1e-6)
    capa = np.where(np.isinf(np.asarray(cap)), np.inf, np.asarray(cap))
    assert np.all(a.allocation <= capa + 1e-6)
    assert np.all(a.allocation[~a.allowed] == 0)
    assert np.all(a.used <= a.strength + 1e-6)
    np.testing.assert_allclose(a.covered + a.shortfall, a.requirement, atol=1e-6)
    for row in a.force_report():
        if row["status"] != "used":
            assert row["why"], row
