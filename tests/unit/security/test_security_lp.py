"""Force allocation LP: optimum against an independent flow solver and brute force."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pytest

from dayafter.errors import ConfigError, InfeasibleError, InputDataError
from dayafter.graph import UnitGraph
from dayafter.plan import Plan, Region
from dayafter.security import (
    Force,
    ForceCatalog,
    ForceRule,
    acceptance_shares,
    allocate_forces,
    catalog_from_dict,
    force_requirement,
    requirement_sensitivity,
)
from dayafter.territory import Territory

COMMS = ["sunni_arab", "kurd", "yazidi"]


def _territory(table, ids=None):
    table = np.asarray(table, dtype=float)
    n = table.shape[0]
    ids = ids or [f"U{i}" for i in range(n)]
    g = UnitGraph.from_edges(n, np.arange(n - 1), np.arange(1, n), np.ones(n - 1))
    return Territory.from_arrays(ids, COMMS[: table.shape[1]], {"current": table}, g)


@pytest.fixture
def small():
    # U0 Arab, U1 Kurdish, U2 Yazidi, U3 mixed Arab/Kurd 50/50
    t = _territory([[1000, 0, 0], [0, 2000, 0], [0, 0, 500], [500, 500, 0]])
    cat = ForceCatalog(
        (Force("army", "Army", 40.0), Force("pesh", "Peshmerga", 60.0),
         Force("local", "Local", 5.0, accepted_by=("yazidi",))),
        (ForceRule("R1", "not_accepted_by", ("pesh",), communities=("sunni_arab",),
                   sources=("PS2",)),
         ForceRule("R2", "exclude_units", ("army",), units=("U1",), sources=("X",))),
        min_accept_share=0.5,
    )
    return t, cat


def test_requirement_default_and_multipliers(small):
    t, _ = small
    np.testing.assert_allclose(force_requirement(t), [20, 40, 10, 20])
    np.testing.assert_allclose(force_requirement(t, per_1000=10, threat={"U0": 2.0},
                                                 urban=np.array([1, 1, 1, 1.5])),
                               [20, 20, 5, 15])
    with pytest.raises(InputDataError, match="not in territory"):
        force_requirement(t, threat={"ZZ": 2.0})
    with pytest.raises(ConfigError):
        force_requirement(t, per_1000=-1)


def test_acceptance_and_reasons(small):
    t, cat = small
    shares, reason = acceptance_shares(t, cat)
    np.testing.assert_allclose(shares[1], [0, 1, 1, 0.5])  # Peshmerga: all but Arabs
    assert reason.tolist() == [
        ["", "R2", "", ""],
        ["min_accept_share", "", "", ""],
        ["min_accept_share", "min_accept_share", "", "min_accept_share"],
    ]


def test_small_allocation_and_duals(small):
    t, cat = small
    a = allocate_forces(t, cat)
    # requirement 20, 40, 10, 20 = 90; army can serve U0, U2, U3; pesh U1, U2, U3; local U2
    assert a.total_shortfall == pytest.approx(0.0)
    assert np.all(a.allocation[~a.allowed] == 0)
    np.testing.assert_allclose(a.covered, a.requirement)
    # tighten: Peshmerga 30 cannot cover U1 (40) and the army is barred there by R2
    a2 = allocate_forces(t, cat.with_strengths({"pesh": 30.0, "army": 50.0}))
    assert a2.total_shortfall == pytest.approx(10.0)
    assert a2.shortfall[1] == pytest.approx(10.0)
    rules = {(b["rule"], b["force"]) for b in a2.binding_rules()}
    assert ("strength", "pesh") in rules
    assert ("R2", "army") in rules
    r2 = next(b for b in a2.binding_rules() if b["rule"] == "R2")
    assert r2["units"] == ["U1"] and r2["sources"] == ["X"]
    assert a2.strength_price[1] == pytest.approx(1.0)


def test_zero_capacity_explained(small):
    t, cat = small
    cat2 = ForceCatalog(cat.forces[:1], (ForceRule("R2", "exclude_units", ("army",),
                                                   units=("U1",)),))
    a = allocate_forces(t, cat2)
    zero = a.zero_capacity_units()
    assert [z["unit_id"] for z in zero] == ["U1"]
    assert zero[0]["barred_by"] == {"army": "R2"}
    with pytest.raises(InfeasibleError, match="no acceptable force") as ei:
        allocate_forces(t, cat2, require_full=True)
    assert "U1" in ei.value.unit_ids
    assert ei.value.exit_code == 4


def test_by_region_and_sensitivity(small):
    t, cat = small
    a = allocate_forces(t, cat)
    plan = Plan(np.array([0, 1, 1, -1]), (Region("South", "federal"), Region("North", "krg")),
                t.content_hash)
    rows = a.by_region(plan)
    assert [r["region"] for r in rows] == ["South", "North", "(unassigned)"]
    assert rows[1]["requirement"] == pytest.approx(50)
    assert sum(r["covered"] for r in rows) == pytest.approx(90)
    sens = requirement_sensitivity(t, cat, per_1000_values=(10, 40))
    assert sens[0]["shortfall"] == pytest.approx(0)
    assert sens[1]["requirement"] == pytest.approx(180)
    assert sens[1]["shortfall"] > 0
    d = a.to_dict()
    assert d["shortfall_total"] == pytest.approx(0)
    assert len(d["units"]) == 4


def test_max_share_cap_binds():
    t = _territory([[1000, 0, 0]])
    cat = ForceCatalog((Force("a", "A", 100.0, max_share=0.25), Force("b", "B", 5.0)))
    a = allocate_forces(t, cat)
    assert a.allocation[0, 0] == pytest.approx(5.0)
    assert a.shortfall[0] == pytest.approx(10.0)
    assert any(b["rule"] == "max_share" and b["force"] == "a" for b in a.binding_rules())


def test_catalog_errors():
    with pytest.raises(InputDataError, match="unknown forces"):
        ForceCatalog((Force("a", "A", 1.0),), (ForceRule("R", "exclude_units", ("b",)),))
    with pytest.raises(InputDataError, match="unknown kind"):
        ForceRule("R", "ban", ("a",))
    with pytest.raises(InputDataError, match="malformed"):
        catalog_from_dict({"forces": [{"name": "no key"}]})
    t = _territory([[1.0, 1.0]])
    with pytest.raises(InputDataError, match="does not have"):
        allocate_forces(t, ForceCatalog((Force("a", "A", 1.0, accepted_by=("martian",)),)))
    with pytest.raises(ConfigError, match="unknown rule"):
        ForceCatalog((Force("a", "A", 1.0),)).without_rules(["R9"])


# ------------------------------------------------------------------ independent optimum
def _flow_optimum(req, strength, allowed, weights):
    """Min weighted shortfall as a min-cost flow (networkx, integer data)."""
    g = nx.DiGraph()
    nf, n = allowed.shape
    for f in range(nf):
        g.add_edge("s", ("f", f), capacity=int(strength[f]), weight=0)
        for u in range(n):
            if allowed[f, u]:
                g.add_edge(("f", f), ("u", u), capacity=int(req[u]), weight=0)
    for u in range(n):
        g.add_edge(("u", u), "t", capacity=int(req[u]), weight=-int(weights[u]))
    flow = nx.max_flow_min_cost(g, "s", "t") if g.has_node("t") and g.has_node("s") else {}
    cost = nx.cost_of_flow(g, flow) if flow else 0
    return float(np.dot(weights, req) + cost)


def _brute_optimum(req, strength, allowed, weights):
    """Enumerate integer allocations (tiny sizes only)."""
    nf, n = allowed.shape
    pairs = [(f, u) for f in range(nf) for u in range(n) if allowed[f, u]]
    best = float(np.dot(weights, req))
    ranges = [range(int(min(req[u], strength[f])) + 1) for f, u in pairs]
    for xs in itertools.product(*ranges):
        used = np.zeros(nf)
        cov = np.zeros(n)
        for (f, u), x in zip(pairs, xs, strict=True):
            used[f] += x
            cov[u] += x
        if np.all(used <= strength) and np.all(cov <= req):
            best = min(best, float(np.dot(weights, req - cov)))
    return best


@pytest.mark.parametrize("seed", range(15))
def test_lp_equals_flow_and_brute_force(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 4))
    table = rng.integers(0, 4, size=(n, 3)).astype(float) * 50.0
    t = _territory(table)
    nf = int(rng.integers(1, 3))
    forces = tuple(
        Force(f"f{i}", f"F{i}", float(rng.integers(0, 6)),
              accepted_by=tuple(c for c in COMMS if rng.random() < 0.6) or ("kurd",))
        for i in range(nf))
    cat = ForceCatalog(forces, min_accept_share=float(rng.choice([0.3, 0.5])))
    req = rng.integers(0, 4, size=n).astype(float)
    w = rng.integers(1, 4, size=n).astype(float)
    a = allocate_forces(t, cat, requirement=req, weights=w)
    allowed = a.allowed & (req[None, :] > 0)
    strength = np.array([f.strength for f in forces])
    assert a.objective == pytest.approx(_flow_optimum(req, strength, allowed, w), abs=1e-7)
    if np.prod([min(req[u], strength[f]) + 1 for f in range(nf) for u in range(n)
                if allowed[f, u]]) <= 5000:
        assert a.objective == pytest.approx(_brute_optimum(req, strength, allowed, w), abs=1e-7)
    assert np.all(a.allocation[~a.allowed] == 0)
    assert np.all(a.used <= strength + 1e-9)


def test_balance_spreads_the_gap():
    # two identical units, one force that can cover only half of the total: without balancing the
    # solver may leave one unit bare; with it each unit is covered to the same share
    t = _territory([[1000, 0, 0], [1000, 0, 0]])
    cat = ForceCatalog((Force("a", "A", 20.0),))
    a = allocate_forces(t, cat)
    np.testing.assert_allclose(a.shortfall, [10.0, 10.0])
    assert a.meta["balanced"]
    raw = allocate_forces(t, cat, balance=False)
    assert raw.total_shortfall == pytest.approx(a.total_shortfall)
    np.testing.assert_allclose(raw.strength_price, a.strength_price)


def test_grouped_solution_matches_ungrouped():
    # units with the same allowed forces are solved as one group; distinct weights (1 + tiny)
    # keep every unit apart, and the optimum must be the same
    rng = np.random.default_rng(7)
    table = rng.integers(0, 3, size=(30, 3)).astype(float) * 1000
    t = _territory(table)
    cat = ForceCatalog((Force("a", "A", 200.0, accepted_by=("sunni_arab",)),
                        Force("b", "B", 150.0, accepted_by=("kurd", "yazidi"), max_share=0.6),
                        Force("c", "C", 60.0)), min_accept_share=0.4)
    grouped = allocate_forces(t, cat, balance=False)
    apart = allocate_forces(t, cat, balance=False, weights=1.0 + np.arange(30) * 1e-12)
    assert grouped.total_shortfall == pytest.approx(apart.total_shortfall, abs=1e-6)
    np.testing.assert_allclose(grouped.strength_price, apart.strength_price, atol=1e-6)
    assert np.all(grouped.allocation[~grouped.allowed] == 0)
    assert np.all(grouped.allocation[1] <= 0.6 * grouped.requirement + 1e-9)
