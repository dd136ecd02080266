"""Engine ranges in the report: council seats, security requirement/shortfall and transfers over
census draws, checked against the engines run again on each draw's census (an independent path:
the ordinary point engines on a territory whose census is that draw)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from dayafter.councils import CouncilRules, simulate_councils
from dayafter.criteria import Criterion
from dayafter.outcomes import EngineData, engine_draw_results
from dayafter.plan import Plan, Region
from dayafter.report import build_dossier, render_html, xlsx_tables
from dayafter.report.uncertainty import (
    council_ranges_table,
    engine_ranges,
    security_ranges_table,
    transfer_ranges_table,
    uncertainty_section,
)
from dayafter.security import allocate_forces, catalog_from_dict
from dayafter.settle import plan_against_reference
from dayafter.settle.valuation import Parameter, PartySpec, ValuationModel
from dayafter.territory import CensusRange
from dayafter.testing.grids import grid_territory
from dayafter.uncertainty import CensusModel

TAB = np.array([[600.0, 400], [560, 440], [300, 700], [100, 900]])
RULES = CouncilRules(size=9)


def _territory(spread: float):
    t = grid_territory(2, 2, communities=TAB)
    r = CensusRange(TAB * (1 - spread), TAB * (1 + spread), TAB.sum(1) * (1 - spread),
                    TAB.sum(1) * (1 + spread), source="test")
    return t.with_ranges({"census": r})


def _plans(t):
    regions = (Region("West", "federal"), Region("East", "krg"))
    plan = Plan(np.array([0, 0, 1, 1]), regions, t.content_hash, name="west-east")
    ref = Plan(np.array([0, 0, 0, 1]), regions, t.content_hash, name="reference")
    return plan, ref


def _data(ref):
    catalog = catalog_from_dict({"forces": [{"key": "army", "strength": 78, "accepted_by": ["a", "b"]}]})
    model = ValuationModel((PartySpec("fed", ("a",), authority="federal"),
                            PartySpec("krg", ("b",), authority="krg")),
                           people_weight=Parameter(10.0), budget_weight=Parameter(1.0),
                           oil_price=Parameter(0.0), oil_net_share=Parameter(0.0),
                           symbolic_factor=Parameter(0.0))
    return EngineData(council_rules=RULES, forces=catalog, valuation=model,
                      disputed_units=["u00000", "u00001", "u00002", "u00003"], reference=ref)


def _on_draw(t, plan, x):
    """The territory and plan with one draw's table as the census."""
    tj = replace(t, censuses={"census": np.ascontiguousarray(x)}, ranges={})
    return tj, replace(plan, territory_hash=tj.content_hash)


@pytest.fixture(scope="module")
def wide():
    t = _territory(0.3)
    plan, ref = _plans(t)
    draws = CensusModel(t).draw(12, seed=3)
    res = engine_draw_results(t, plan, _data(ref), draws, ["councils", "security", "settle"],
                              census="census", max_lp=12, max_solves=12)
    return t, plan, ref, draws, res, engine_ranges(res, plan.name)


def test_council_rows_match_councils_elected_on_each_draw(wide):
    t, plan, _, draws, _, rows = wide
    x = draws.census("census")
    per_draw = np.stack([simulate_councils(*_on_draw(t, plan, x[j]), rules=RULES).seats_table("census")
                         for j in range(draws.n_draws)])                                # [d, k, g]
    point = simulate_councils(t, plan, rules=RULES).seats_table("census")
    assert rows["councils"]
    for r in rows["councils"]:
        j, c = plan.region_names.index(r["region"]), list(t.communities).index(r["community"])
        s = per_draw[:, j, c]
        assert r["seats"] == point[j, c]
        assert r["p05"] == pytest.approx(np.quantile(s, 0.05))
        assert r["p95"] == pytest.approx(np.quantile(s, 0.95))
        assert r["seat share"] == pytest.approx(np.mean(s > 0))
        tot = per_draw[:, j, :].sum(axis=1)
        assert r["majority share"] == pytest.approx(np.mean(2 * s > tot))
        # robust exactly when >= 95% of draws agree on "holds a seat" and on "holds a majority"
        agree_seat = np.mean((s > 0) == (point[j, c] > 0))
        agree_maj = np.mean((2 * s > tot) == (2 * point[j, c] > point[j].sum()))
        assert (r["verdict"] == "robust") == (min(agree_seat, agree_maj) >= 0.95)
        assert (r["reason"] == "") == (r["verdict"] == "robust")


def test_security_rows_match_the_allocation_on_each_draw(wide):
    t, plan, _, draws, _, rows = wide
    catalog = _data(None).forces
    x = draws.census("census")
    short = np.zeros((draws.n_draws, plan.k))
    for j in range(draws.n_draws):
        tj, pj = _on_draw(t, plan, x[j])
        a = allocate_forces(tj, catalog, plan=pj)
        short[j] = [a.shortfall[plan.assignment == k].sum() for k in range(plan.k)]
    total = {r["region"]: r for r in rows["security"]}
    assert set(total) == {"all regions", "West", "East"}
    pop = x.sum(axis=2)                                              # requirement: 20 per 1,000
    want_req = pop.sum(axis=1) * 20 / 1000
    assert total["all regions"]["requirement p05"] == pytest.approx(np.quantile(want_req, 0.05))
    assert total["all regions"]["requirement p95"] == pytest.approx(np.quantile(want_req, 0.95))
    for k, name in enumerate(plan.region_names):
        r = total[name]
        assert r["shortfall p05"] == pytest.approx(np.quantile(short[:, k], 0.05), abs=1e-6)
        assert r["shortfall p95"] == pytest.approx(np.quantile(short[:, k], 0.95), abs=1e-6)
        assert r["short share"] == pytest.approx(np.mean(short[:, k] > 1e-6))
        agree = np.mean((short[:, k] > 1e-6) == (r["shortfall"] > 1e-6))
        assert (r["verdict"] == "robust") == (agree >= 0.95)
    assert total["all regions"]["verdict"] == "fragile"      # 78 personnel against about 80


def test_transfer_rows_match_the_settlement_on_each_draw(wide):
    t, plan, ref, draws, _, rows = wide
    data = _data(ref)
    x = draws.census("census")
    T = []
    for j in range(draws.n_draws):
        tj, pj = _on_draw(t, plan, x[j])
        res, _, _ = plan_against_reference(tj, data.valuation, data.disputed_units, pj,
                                           replace(ref, territory_hash=tj.content_hash),
                                           rules=["indemnity"])
        T.append(res["indemnity"].transfers)
    T = np.array(T)                                                              # [d, parties]
    got = {r["party"]: r for r in rows["transfers"]}
    assert set(got) == {"fed", "krg", "outside money"}
    for i, party in enumerate(["fed", "krg"]):
        assert got[party]["p05"] == pytest.approx(np.quantile(T[:, i], 0.05))
        assert got[party]["p95"] == pytest.approx(np.quantile(T[:, i], 0.95))
    # the plan moves unit 2 from federal to krg: the release is paid, fed receives, krg pays
    assert got["fed"]["transfer"] > 0 > got["krg"]["transfer"]
    assert got["krg"]["verdict"] == got["fed"]["verdict"] == "robust"


def test_without_census_error_every_range_is_the_point_and_robust():
    t = _territory(0.0)
    plan, ref = _plans(t)
    data = _data(ref)
    res = engine_draw_results(t, plan, data, CensusModel(t).draw(6, seed=1),
                              ["councils", "security", "settle"], census="census", max_lp=6)
    rows = engine_ranges(res, plan.name)
    for r in rows["councils"]:
        assert r["p05"] == r["p95"] == r["seats"] and r["verdict"] == "robust"
    for r in rows["security"]:
        assert r["requirement p05"] == pytest.approx(r["requirement"])
        assert r["shortfall p95"] == pytest.approx(r["shortfall"], abs=1e-6)
        assert r["verdict"] == "robust"
    for r in rows["transfers"]:
        assert r["p05"] == pytest.approx(r["transfer"]) and r["verdict"] == "robust"


def test_a_community_at_the_seat_threshold_is_fragile_with_the_reason():
    # b is 1/9 of the west's voters: one seat of 9 on the census as given, none in many draws
    tab = np.array([[800.0, 100], [800, 100], [100, 800], [100, 800]])
    t = grid_territory(2, 2, communities=tab)
    t = t.with_ranges({"census": CensusRange(tab * 0.5, tab * 1.5, tab.sum(1) * 0.8,
                                             tab.sum(1) * 1.2, source="test")})
    plan, _ = _plans(t)
    res = engine_draw_results(t, plan, EngineData(council_rules=RULES),
                              CensusModel(t).draw(200, seed=2), ["councils"])
    rows = {(r["region"], r["community"]): r for r in engine_ranges(res, plan.name)["councils"]}
    b = rows[("West", "b")]
    assert 0.05 < b["seat share"] < 0.95
    assert b["verdict"] == "fragile" and "b in West" in b["reason"] and "% of draws" in b["reason"]


def test_dossier_shows_engine_ranges_and_engine_criteria_pass_shares(wide):
    t, plan, ref, *_ = wide
    crit = [Criterion("b-seat", "seats:b", min=1)]
    d = build_dossier(t, [plan], reference=ref, criteria=crit, maps=False, draws=20, seed=1,
                      councils=RULES, engine_data=_data(ref), settle_rules=["indemnity", "nash-reference"],
                      created="2026-01-01T00:00:00+00:00")
    html = render_html(d)
    for tid in ("uncertainty-councils", "uncertainty-security", "uncertainty-transfers"):
        assert f'id="{tid}"' in html
    sheets = xlsx_tables(d)
    assert {"uncertainty councils", "uncertainty security", "uncertainty transfers"} <= set(sheets)
    assert set(sheets["uncertainty transfers"]["rule"]) == {"indemnity", "nash-reference"}
    meta = d.manifest["parameters"]["extras"]["uncertainty"]["engines"]
    assert meta["security"]["lp_draws"] == 20 and meta["settle"]["solved"] == 20
    # the point criterion reads the councils, and its pass share comes from the council draws
    assert [r.passed for r in d.sections[0].criteria] != []
    got = {c["name"]: c for c in d.extras[0].summaries[plan.name]["criteria"]}
    assert 0.0 <= got["b-seat"]["pass_share"] <= 1.0


def test_section_without_engine_data_has_no_engine_tables():
    t = _territory(0.2)
    plan, _ = _plans(t)
    sec = uncertainty_section(t, [plan], draws=10, seed=0, charts=False)
    assert sec.engines == {}
    assert council_ranges_table(sec).empty and security_ranges_table(sec).empty
    assert transfer_ranges_table(sec).empty
    assert "uncertainty councils" not in sec.tables()
