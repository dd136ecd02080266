"""Properties of the force allocation LP over random territories, plans and catalogs (hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from dayafter.graph import UnitGraph
from dayafter.plan import Plan, Region
from dayafter.security import Force, ForceCatalog, ForceRule, allocate_forces
from dayafter.territory import Territory

COMMS = ("a", "b", "c", "d")
CONTROL = ("federal", "krg", "joint")


@st.composite
def instances(draw):
    n = draw(st.integers(1, 12))
    g = len(COMMS)
    table = draw(arrays(np.float64, (n, g), elements=st.floats(0, 5000, allow_nan=False)))
    ids = [f"U{i:02d}" for i in range(n)]
    graph = UnitGraph.from_edges(n, np.arange(n - 1), np.arange(1, n), np.ones(max(n - 1, 0)))
    t = Territory.from_arrays(ids, COMMS, {"now": table}, graph)
    nf = draw(st.integers(1, 5))
    forces = []
    for i in range(nf):
        kind = draw(st.sampled_from(["pooled", "pooled", "local", "community"]))
        cap = draw(st.one_of(st.none(), st.floats(0.1, 1.0)))
        prio = draw(st.integers(0, 2))
        if kind == "local":
            forces.append(Force(f"f{i}", f"F{i}", draw(st.one_of(st.none(), st.floats(0, 200))),
                                kind="local", per_1000=draw(st.floats(0, 10)), max_share=cap,
                                priority=prio))
        elif kind == "community":
            comm = draw(st.lists(st.sampled_from(COMMS), min_size=1, max_size=2, unique=True))
            forces.append(Force(f"f{i}", f"F{i}", draw(st.floats(0, 200)), kind="community",
                                communities=tuple(comm), max_share=cap, priority=prio))
        else:
            acc = draw(st.lists(st.sampled_from(COMMS), min_size=1, max_size=4, unique=True))
            forces.append(Force(f"f{i}", f"F{i}", draw(st.floats(0, 200)), accepted_by=tuple(acc),
                                max_share=cap, priority=prio))
    rules = []
    if draw(st.booleans()):
        rules.append(ForceRule("X1", "exclude_units", ("f0",),
                               units=tuple(draw(st.lists(st.sampled_from(ids), max_size=3)))))
    if draw(st.booleans()):
        rules.append(ForceRule("X2", "not_accepted_by", (f"f{nf - 1}",),
                               communities=(draw(st.sampled_from(COMMS)),)))
    if draw(st.booleans()):
        rules.append(ForceRule("C1", "only_control", ("f0",),
                               control=tuple(draw(st.lists(st.sampled_from(CONTROL), min_size=1,
                                                           max_size=2, unique=True)))))
    if draw(st.booleans()):
        rules.append(ForceRule("P1", "not_where_plurality", (f"f{nf - 1}",),
                               communities=(draw(st.sampled_from(COMMS)),)))
    thr = draw(st.floats(0.0, 1.0))
    veto = draw(st.one_of(st.none(), st.floats(0.0, 1.0)))
    control = draw(st.lists(st.sampled_from(CONTROL), min_size=n, max_size=n))
    plan = Plan(np.zeros(n, dtype=np.int32), (Region("All", "federal"),), t.content_hash)
    plan = plan.with_control_of(dict(enumerate(control)))
    return t, ForceCatalog(tuple(forces), tuple(rules), min_accept_share=thr, veto_share=veto), plan


@settings(max_examples=60, deadline=None)
@given(instances(), st.floats(1, 60))
def test_rules_thresholds_and_caps_never_violated(inst, per_1000):
    t, cat, plan = inst
    a = allocate_forces(t, cat, plan=plan, per_1000=per_1000)
    table = t.census()
    pop = table.sum(axis=1)
    share = np.divide(table, pop[:, None], out=np.zeros_like(table), where=pop[:, None] > 0)
    acc = cat.effective_acceptance(t.communities)
    control = plan.control_of_units()
    largest = np.argmax(table, axis=1)
    for f, force in enumerate(cat.forces):
        served = a.allocation[f] > 1e-9
        if force.kind == "pooled":
            cols = [t.community_index(c) for c in acc[force.key][0]]
            rej = [j for j in range(len(COMMS)) if j not in cols]
            # accepted: the accepting communities reach the threshold; no veto above its share
            assert np.all(share[served][:, cols].sum(axis=1) >= cat.min_accept_share - 1e-9)
            if cat.veto_share is not None and rej:
                assert np.all(share[served][:, rej].max(axis=1) <= cat.veto_share + 1e-9)
        elif force.kind == "community":
            cols = [t.community_index(c) for c in force.communities]
            assert np.all(a.allocation[f] <= share[:, cols].sum(axis=1) * a.requirement + 1e-6)
        else:
            assert np.all(a.allocation[f] <= force.per_1000 / 1000 * pop + 1e-6)
        for r in cat.rules:
            if force.key not in r.forces:
                continue
            if r.kind == "exclude_units":
                assert not np.any(served & np.isin(t.unit_ids, list(r.units)))
            if r.kind == "only_control":
                assert np.all(np.isin(control[served], list(r.control)))
            if r.kind == "not_where_plurality":
                top = [t.community_index(c) for c in r.communities]
                assert not np.any(served & (pop > 0) & np.isin(largest, top))
        if force.max_share is not None:
            assert np.all(a.allocation[f] <= force.max_share * a.requirement + 1e-6)
        assert a.used[f] <= a.strength[f] + 1e-6
    # the books balance: covered + shortfall = requirement, nothing negative
    np.testing.assert_allclose(a.covered + a.shortfall, a.requirement, atol=1e-6)
    assert np.all(a.allocation >= 0) and np.all(a.shortfall >= 0)
    # weak duality bound: the shortfall is at least requirement minus all usable strength
    assert a.total_shortfall >= a.requirement.sum() - a.strength.sum() - 1e-6
    # every force not used in full says why
    for row in a.force_report():
        assert row["status"] == "used" or row["why"]


@settings(max_examples=30, deadline=None)
@given(instances())
def test_balance_and_preference_keep_the_optimum(inst):
    t, cat, plan = inst
    full = allocate_forces(t, cat, plan=plan)
    raw = allocate_forces(t, cat, plan=plan, balance=False, prefer=False)
    scale = max(1.0, float(raw.requirement.sum()))
    assert float(full.weights @ full.shortfall) <= raw.objective + 1e-6 * scale
    assert abs(full.objective - raw.objective) <= 1e-9 * scale
