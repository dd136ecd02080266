"""Claims adjudication against hand computations, the budget, the spread over units, the
built-in table's rebuild, and bad input."""

from __future__ import annotations

import importlib.util
import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest

import dayafter as da
from dayafter.claims import (
    AdjudicationRules,
    CauseRule,
    ClaimsTable,
    adjudicate,
    case_claims,
    decide_claims,
    fund_claims,
    load_rules,
    read_claims,
)
from dayafter.errors import InputDataError
from dayafter.graph import UnitGraph

ROOT = Path(__file__).resolve().parents[3]
CASE_DIR = Path(da.__file__).parent / "cases" / "northern_iraq" / "claims"


def _claim(**kw):
    base = {"claim_id": "c1", "area": "u1", "community": "k", "property_type": "residential",
            "value_usd": 10000, "cause": "arabization", "evidence_tier": 1}
    base.update(kw)
    return base


def test_remedies_by_hand():
    t = ClaimsTable.from_records([
        _claim(claim_id="deed", occupied_share=1, occupant_households=2),
        _claim(claim_id="docs", evidence_tier=2),
        _claim(claim_id="testimony", evidence_tier=3),
        _claim(claim_id="war", cause="destruction_2014_2017", value_usd=30000),
        _claim(claim_id="done", status="closed"),
        _claim(claim_id="approved-war", cause="destruction_2014_2017", evidence_tier=3,
               status="approved", value_usd=5000),
    ])
    rules = AdjudicationRules(restitution_max_tier=1, compensation_max_tier=2,
                              causes={"destruction_2014_2017": CauseRule("compensation",
                                                                         cap_usd=20000)},
                              occupant_compensation_usd=4000, admin_cost_usd=100)
    d = decide_claims(t, rules)
    assert d.restituted.tolist() == [1, 0, 0, 0, 0, 0]
    assert d.compensated.tolist() == [0, 1, 0, 1, 0, 1]
    assert d.rejected.tolist() == [0, 0, 1, 0, 0, 0]
    assert d.closed.tolist() == [False, False, False, False, True, False]
    # deed: two occupant households move with 4,000 each; docs: value; war: capped; approved
    # claims skip the evidence check
    assert d.occupant_usd.tolist() == [8000, 0, 0, 0, 0, 0]
    assert d.claimant_usd.tolist() == [0, 10000, 0, 20000, 0, 5000]
    assert d.movers.tolist() == [2, 0, 0, 0, 0, 0]
    assert d.cost.tolist() == [8100, 10100, 100, 20100, 0, 5100]


def test_secondary_occupant_policies():
    t = ClaimsTable.from_records([_claim(occupied_share=0.25, value_usd=8000)])
    comp = decide_claims(t, AdjudicationRules(secondary_occupants="compensate_claimant",
                                              occupant_compensation_usd=1000))
    assert comp.restituted.tolist() == [0.75] and comp.compensated.tolist() == [0.25]
    assert comp.claimant_usd.tolist() == [2000.0] and comp.movers.tolist() == [0.0]
    rest = decide_claims(t, AdjudicationRules(secondary_occupants="restitute",
                                              occupant_compensation_usd=1000))
    assert rest.movers.tolist() == [0.25] and rest.occupant_usd.tolist() == [0.0]
    bad_faith = ClaimsTable.from_records([_claim(occupied_share=1, occupant_good_faith="no")])
    d = decide_claims(bad_faith, AdjudicationRules(occupant_compensation_usd=1000))
    assert d.occupant_usd.tolist() == [0.0] and d.movers.tolist() == [1.0]


def test_budget_in_priority_order_by_hand():
    t = ClaimsTable.from_records([
        _claim(claim_id="new", year=2000, count=3, value_usd=10, evidence_tier=2),
        _claim(claim_id="old", year=1975, count=2, value_usd=10, evidence_tier=2),
        _claim(claim_id="strong", year=2001, count=1, value_usd=50, evidence_tier=1,
               cause="destruction_2014_2017"),
    ])
    rules = AdjudicationRules(restitution_max_tier=1, compensation_max_tier=2, budget_usd=45,
                              causes={"destruction_2014_2017": CauseRule("compensation")},
                              priority=("year",))
    r = adjudicate(t, rules)
    # by year: old (2 x 10 = 20, left 25), new (3 x 10: two fit, left 5), then the queue stops
    assert r.funded.tolist() == [2.0, 2.0, 0.0]
    assert r.remaining == pytest.approx(5.0)
    b = r.budget()
    assert b["spent_usd"] == pytest.approx(40.0) and b["balance_usd"] == pytest.approx(0.0)
    assert b["unfunded_claims_usd"] == pytest.approx(10.0 + 50.0)
    r.check()
    ev = adjudicate(t, AdjudicationRules(restitution_max_tier=1, compensation_max_tier=2,
                                         budget_usd=45, priority=("evidence", "year"),
                                         causes=rules.causes))
    # the strong claim first (50 > 45: unpaid, the queue stops at once)
    assert ev.funded.tolist() == [0.0, 0.0, 0.0]
    skip = adjudicate(t, AdjudicationRules(restitution_max_tier=1, compensation_max_tier=2,
                                           budget_usd=45, priority=("evidence", "year"),
                                           causes=rules.causes, budget_rule="skip"))
    assert skip.funded.tolist() == [2.0, 2.0, 0.0]


def test_fund_claims_unlimited_and_zero_cost():
    order = np.array([1, 0])
    funded, left = fund_claims(order, np.array([2.0, 3.0]), np.array([0.0, 5.0]),
                               np.array([True, True]), 4.0, "stop")
    # the claim costing 5 stops the queue, but claims costing nothing are still decided
    assert funded.tolist() == [2.0, 0.0] and left == 4.0
    funded, left = fund_claims(order, np.array([2.0, 3.0]), np.array([1.0, 5.0]),
                               np.array([True, False]), math.inf)
    assert funded.tolist() == [2.0, 0.0] and math.isinf(left)


def _territory():
    g = UnitGraph.from_edges(3, [0, 1], [1, 2], [1.0, 1.0])
    return da.Territory.from_arrays(
        ["u1", "u2", "u3"], ["k", "a"],
        {"baseline": np.array([[30.0, 10.0], [10.0, 10.0], [0.0, 50.0]])}, g,
        admin={"district": ["D1", "D1", "D2"]}, name="three")


def test_spread_over_units_and_communities():
    t = _territory()
    table = ClaimsTable.from_records([
        _claim(claim_id="dist", level="district", area="D1", count=8, occupied_share=1),
        _claim(claim_id="all", level="district", area="D1;D2", community="*", count=11),
    ])
    r = adjudicate(table, AdjudicationRules(occupant_compensation_usd=100), territory=t)
    units = {u["unit_id"]: u for u in r.by_unit()}
    # 'dist': 8 k-claims over D1 by k people 30:10 -> 6 and 2; 'all': 11 over 110 people
    assert units["u1"]["claims"] == pytest.approx(6 + 11 * 40 / 110)
    assert units["u3"]["claims"] == pytest.approx(11 * 50 / 110)
    comms = {c["community"]: c for c in r.by_community()}
    assert comms["k"]["claims"] == pytest.approx(8 + 11 * 40 / 110)
    # occupants of the k claims are the largest other community: a; 8 households x 6 people
    assert comms["a"]["people_move_as_occupants"] == pytest.approx(48.0)
    r.check()
    json.dumps(r.to_dict())


def test_bad_claims_rows_name_file_row_and_fix(tmp_path):
    p = tmp_path / "claims.csv"
    header = "claim_id,area,community,property_type,value_usd,cause,evidence_tier\n"
    cases = [
        ("c1,u1,k,house,100,arabization,1\n", r"row 2: property_type 'house' is not one of"),
        ("c1,u1,k,residential,-5,arabization,1\n", r"row 2: value_usd -5 is outside"),
        ("c1,u1,k,residential,100,arabization,4\n", r"row 2: evidence_tier 4 is outside"),
        ("c1,u1,k,residential,100,arabization,1\nc1,u2,k,residential,1,other,1\n",
         r"row 3: claim_id 'c1' appears twice"),
        ("c1,u1,k,residential,100,flood,1\n", r"row 2: cause 'flood' is not one of"),
    ]
    for body, match in cases:
        p.write_text(header + body, encoding="utf-8")
        with pytest.raises(InputDataError, match=match) as exc:
            read_claims(p)
        assert str(p) in exc.value.one_line() and "Fix:" in exc.value.one_line()
    p.write_text("claim_id,area\nc1,u1\n", encoding="utf-8")
    with pytest.raises(InputDataError, match="lacks the columns"):
        read_claims(p)
    p.write_text(header + "c1,u9,k,residential,100,arabization,1\n", encoding="utf-8")
    with pytest.raises(InputDataError, match="not in territory"):
        adjudicate(read_claims(p), AdjudicationRules(), territory=_territory())


def test_bad_rules_file(tmp_path):
    p = tmp_path / "rules.json"
    p.write_text(json.dumps({"secondary_occupants": "evict"}), encoding="utf-8")
    with pytest.raises(InputDataError, match="secondary-occupant policy") as exc:
        load_rules(p)
    assert str(p) in exc.value.one_line()
    p.write_text(json.dumps({"budget": 5}), encoding="utf-8")
    with pytest.raises(InputDataError, match="unknown keys"):
        load_rules(p)
    p.write_text("{", encoding="utf-8")
    with pytest.raises(InputDataError, match="not valid JSON"):
        load_rules(p)


# ------------------------------------------------------------------ the built-in data
def test_case_claims_table_is_the_rebuild_of_its_aggregates():
    spec = importlib.util.spec_from_file_location("build_claims", ROOT / "tools" / "build_claims.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert (CASE_DIR / "claims.csv").read_text(encoding="utf-8") == mod.build(CASE_DIR)


def test_case_claims_sum_to_the_published_counts():
    import csv

    table, _ = case_claims()
    with (CASE_DIR / "aggregates.csv").open(encoding="utf-8") as fh:
        aggs = {r["agg_id"]: float(r["count"]) for r in csv.DictReader(fh)}
    for agg, n in aggs.items():
        rows = [i for i, c in enumerate(table.claim_id) if c.startswith(agg + "-")]
        assert table.count[rows].sum() == n, agg
    assert table.illustrative.all()


def test_case_adjudication_balances(iraq, tmp_path):
    table, rules = case_claims()
    r = adjudicate(table, rules, territory=iraq.territory)
    r.check()
    b = r.budget()
    assert b["spent_usd"] <= rules.budget_usd
    assert b["balance_usd"] == pytest.approx(0.0, abs=1e-3)
    tot = r.to_dict()["totals"]
    assert tot["resolved"] + tot["pending"] == pytest.approx(table.n_claims)
    # the rules cite their sources
    folder = tmp_path / "claims"
    shutil.copytree(CASE_DIR, folder)
    assert all("basis" in v for v in load_rules(folder / "rules.json").parameters.values())


def test_case_claims_cite_listed_sources():
    import csv
    import re

    listed = set()
    for line in (CASE_DIR / "SOURCES.md").read_text(encoding="utf-8").splitlines():
        m = re.match(r"^\| ([A-Z]{1,3}\d{1,3}) \|", line)
        if m:
            listed.add(m.group(1))
    with (CASE_DIR / "aggregates.csv").open(encoding="utf-8") as fh:
        cited = {s for r in csv.DictReader(fh) for s in r["source_ids"].split(";") if s}
    rules = json.loads((CASE_DIR / "rules.json").read_text(encoding="utf-8"))
    cited |= {s for p in rules["parameters"].values() for s in p["sources"]}
    assert cited <= listed, sorted(cited - listed)
