"""Properties of the council simulation on generated territories and plans."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dayafter.councils import CouncilRules, VotingModel, apportion, simulate_councils
from dayafter.graph import UnitGraph
from dayafter.plan import Plan, Region
from dayafter.territory import Territory

COMMS = ["a", "b", "c"]


@st.composite
def territory_and_plan(draw):
    n = draw(st.integers(2, 12))
    k = draw(st.integers(1, 4))
    pop = np.array(draw(st.lists(st.lists(st.integers(0, 50_000), min_size=3, max_size=3),
                                 min_size=n, max_size=n)), dtype=float)
    a = np.array(draw(st.lists(st.integers(-1, k - 1), min_size=n, max_size=n)))
    t = Territory.from_arrays([f"u{i:02d}" for i in range(n)], COMMS, {"now": pop},
                              UnitGraph.from_edges(n, np.arange(n - 1), np.arange(1, n)))
    p = Plan(a, tuple(Region(f"R{j}") for j in range(k)), t.content_hash)
    return t, p


SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(tp=territory_and_plan(), size=st.integers(1, 25), seed=st.integers(0, 1000))
def test_relabelling_regions_permutes_councils(tp, size, seed) -> None:
    t, p = tp
    rules = CouncilRules(size=size, reserved_default={"c": 1} if size > 1 else {})
    order = np.random.default_rng(seed).permutation(p.k)
    q = p.relabeled(order.tolist())
    s1 = simulate_councils(t, p, rules=rules).seats_table("now")
    s2 = simulate_councils(t, q, rules=rules).seats_table("now")
    assert s2.tolist() == s1[order].tolist()


@SETTINGS
@given(tp=territory_and_plan(), size=st.integers(1, 25), turnout=st.floats(0.05, 1.0))
def test_seats_match_direct_apportionment_of_the_tally(tp, size, turnout) -> None:
    t, p = tp
    rules = CouncilRules(size=size, first_divisor="1.7", voting=VotingModel(1.0, turnout))
    sim = simulate_councils(t, p, rules=rules)
    S = sim.seats_table("now")
    tab = t.census("now")
    for j in range(p.k):
        P = tab[p.assignment == j].sum(axis=0)
        votes = np.rint(P * turnout).astype(np.int64)
        if votes.sum() == 0:
            assert S[j].sum() == 0
            continue
        r = apportion(votes, size, first_divisor="1.7")
        assert S[j].tolist() == r.seats.tolist()
        assert S[j].sum() == size - r.undecided_seats
