"""Properties of the force allocation LP over random territories and catalogs (hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from dayafter.graph import UnitGraph
from dayafter.security import Force, ForceCatalog, ForceRule, allocate_forces
from dayafter.territory import Territory

COMMS = ("a", "b", "c", "d")


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
        acc = draw(st.lists(st.sampled_from(COMMS), min_size=1, max_size=4, unique=True))
        cap = draw(st.one_of(st.none(), st.floats(0.1, 1.0)))
        forces.append(Force(f"f{i}", f"F{i}", draw(st.floats(0, 200)), accepted_by=tuple(acc),
                            max_share=cap))
    rules = []
    if draw(st.booleans()):
        rules.append(ForceRule("X1", "exclude_units", ("f0",),
                               units=tuple(draw(st.lists(st.sampled_from(ids), max_size=3)))))
    if draw(st.booleans()):
        rules.append(ForceRule("X2", "not_accepted_by", (f"f{nf - 1}",),
                               communities=(draw(st.sampled_from(COMMS)),)))
    thr = draw(st.floats(0.0, 1.0))
    return t, ForceCatalog(tuple(forces), tuple(rules), min_accept_share=thr)


@settings(max_examples=60, deadline=None)
@given(instances(), st.floats(1, 60))
def test_acceptability_never_violated(inst, per_1000):
    t, cat = inst
    a = allocate_forces(t, cat, per_1000=per_1000)
    table = t.census()
    pop = table.sum(axis=1)
    acc = cat.effective_acceptance(t.communities)
    for f, force in enumerate(cat.forces):
        cols = [t.community_index(c) for c in acc[force.key][0]]
        share = np.divide(table[:, cols].sum(axis=1), pop, out=np.zeros(t.n_units),
                          where=pop > 0)
        served = a.allocation[f] > 1e-9
        # served only where the accepting communities reach the threshold
        assert np.all(share[served] >= cat.min_accept_share - 1e-9)
        for r in cat.rules:
            if r.kind == "exclude_units" and force.key in r.forces:
                assert not np.any(served & np.isin(t.unit_ids, list(r.units)))
        if force.max_share is not None:
            assert np.all(a.allocation[f] <= force.max_share * a.requirement + 1e-6)
        assert a.used[f] <= force.strength + 1e-6
    # the books balance: covered + shortfall = requirement, nothing negative
    np.testing.assert_allclose(a.covered + a.shortfall, a.requirement, atol=1e-6)
    assert np.all(a.allocation >= 0) and np.all(a.shortfall >= 0)
    # weak duality bound: the shortfall is at least requirement minus all usable strength
    assert a.total_shortfall >= a.requirement.sum() - a.strength.sum() - 1e-6
