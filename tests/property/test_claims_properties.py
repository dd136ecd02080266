"""Claims: the budget balances, priority holds and the spread adds up (hypothesis)."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from dayafter.claims import (
    CAUSES,
    OCCUPANT_POLICIES,
    AdjudicationRules,
    CauseRule,
    ClaimsTable,
    adjudicate,
)


@st.composite
def claims_and_rules(draw):
    m = draw(st.integers(1, 8))
    recs = []
    for i in range(m):
        recs.append({
            "claim_id": f"c{i}", "area": "u1", "community": "k",
            "property_type": draw(st.sampled_from(["residential", "agricultural"])),
            "count": draw(st.integers(0, 20)),
            "value_usd": draw(st.integers(0, 5000)),
            "year": draw(st.integers(1970, 2020)),
            "cause": draw(st.sampled_from(CAUSES)),
            "evidence_tier": draw(st.integers(1, 3)),
            "status": draw(st.sampled_from(["pending", "pending", "approved", "closed", "rejected"])),
            "occupied_share": draw(st.sampled_from([0.0, 0.5, 1.0])),
            "occupant_households": draw(st.integers(0, 3)),
            "occupant_good_faith": draw(st.sampled_from(["yes", "no"])),
        })
    rules = AdjudicationRules(
        restitution_max_tier=draw(st.integers(0, 3)), compensation_max_tier=draw(st.integers(0, 3)),
        causes={c: CauseRule(draw(st.sampled_from(["restitution", "compensation"])),
                             draw(st.sampled_from([0.5, 1.0])),
                             draw(st.sampled_from([math.inf, 2000.0])), draw(st.integers(0, 3)))
                for c in CAUSES},
        secondary_occupants=draw(st.sampled_from(OCCUPANT_POLICIES)),
        occupant_compensation_usd=draw(st.integers(0, 3000)),
        admin_cost_usd=draw(st.integers(0, 200)),
        budget_usd=draw(st.one_of(st.just(math.inf), st.integers(0, 60000).map(float))),
        budget_rule=draw(st.sampled_from(["stop", "skip"])),
        priority=tuple(draw(st.permutations(["status", "evidence", "cause", "year", "cost"]))))
    return ClaimsTable.from_records(recs), rules


@settings(max_examples=120, deadline=None)
@given(claims_and_rules())
def test_budget_balances_and_nothing_is_paid_twice(data):
    table, rules = data
    r = adjudicate(table, rules)
    r.check()
    b = r.budget()
    if math.isfinite(rules.budget_usd):
        assert b["spent_usd"] <= rules.budget_usd + 1e-6
        assert abs(rules.budget_usd - b["spent_usd"] - r.remaining) <= 1e-6 * max(1, rules.budget_usd)
    o = r.row_outcomes()
    # every claim is resolved (decided, closed, rejected) or pending, once
    np.testing.assert_allclose(o["resolved"] + o["pending"], table.count)
    d = r.decisions
    np.testing.assert_allclose(d.restituted + d.compensated + d.rejected,
                               np.where(d.closed, 0.0, 1.0))


@settings(max_examples=120, deadline=None)
@given(claims_and_rules())
def test_priority_holds_under_the_budget_rule(data):
    table, rules = data
    if not math.isfinite(rules.budget_usd):
        return
    r = adjudicate(table, rules)
    cost = r.decisions.cost
    active = ~r.decisions.closed & (table.count > 0)
    order = [i for i in r.order.tolist() if active[i] and cost[i] > 0]
    short = [i for i in order if r.funded[i] < table.count[i]]
    if not short:
        return
    first = short[0]
    later = order[order.index(first) + 1:]
    if rules.budget_rule == "stop":
        # the queue stops at the first claim it cannot pay
        assert all(r.funded[i] == 0 for i in later)
    # the first claim left unpaid costs more than the money left; with 'skip', every one does
    assert cost[first] > r.remaining - 1e-6
    if rules.budget_rule == "skip":
        for i in short:
            assert cost[i] > r.remaining - 1e-6


@settings(max_examples=60, deadline=None)
@given(claims_and_rules(), st.integers(0, 10000))
def test_more_money_never_decides_fewer_claims_when_the_queue_stops(data, extra):
    table, rules = data
    if not math.isfinite(rules.budget_usd) or rules.budget_rule != "stop":
        return
    from dataclasses import replace

    a = adjudicate(table, rules)
    b = adjudicate(table, replace(rules, budget_usd=rules.budget_usd + extra))
    assert np.all(b.funded >= a.funded - 1e-9)
