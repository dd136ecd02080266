"""Summaries, pass shares, verdicts, sweeps, paired comparisons and the JSON-ready structure."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
from tests.reference import uncertainty_ref as ref

from dayafter.criteria import Criterion, check_criteria
from dayafter.errors import ConfigError
from dayafter.metrics import composition, evaluate
from dayafter.plan import Plan, Region
from dayafter.testing.grids import grid_territory
from dayafter.uncertainty import (
    CensusModel,
    ErrorModel,
    cached_draws,
    check_criteria_draws,
    compare_draws,
    evaluate_draws,
    metric_direction,
    quantiles,
    quick_summary,
    summarise,
    summary_dict,
    threshold_sweep,
    verdicts,
)


def test_quantiles_match_numpy_nanquantile(global_seed):
    rng = np.random.default_rng(global_seed)
    x = rng.normal(size=(30, 57))
    x[rng.random(x.shape) < 0.2] = np.nan
    x[3] = np.nan
    got = quantiles(x)
    want = np.full((30, 3), np.nan)
    ok = ~np.isnan(x).all(axis=1)
    want[ok] = np.nanquantile(x[ok], [0.05, 0.5, 0.95], axis=1).T
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12, equal_nan=True)
    assert quantiles(np.array([2.0])).tolist() == [2.0, 2.0, 2.0]


def test_summarise_keeps_point_and_orders_quantiles():
    r = summarise({"a": np.linspace(0, 1, 201)}, {"a": 0.3})["a"]
    assert (r.point, r.p05, r.p50, r.p95) == (0.3, pytest.approx(0.05), pytest.approx(0.5),
                                              pytest.approx(0.95))
    assert r.contains(0.5) and not r.contains(0.99)
    assert summarise({"b": np.full(4, np.nan)}, {})["b"].to_dict() == {
        "point": None, "p05": None, "p50": None, "p95": None}


@pytest.fixture
def setup(global_seed):
    rng = np.random.default_rng(global_seed)
    t = ref.ranged_grid(4, 4, 3, rng, censuses=("now", "then"))
    a = Plan(np.repeat([0, 1, 2, 3], 4), tuple(Region(f"R{j}", authority="federal" if j else "krg")
                                                for j in range(4)), t.content_hash, name="A")
    b = Plan(np.tile([0, 0, 1, 1], 4), (Region("W"), Region("E")), t.content_hash, name="B")
    draws = CensusModel(t).draw(60, seed=global_seed)
    return t, a, b, draws


CRITERIA = [
    Criterion("bal", "deviation", abs_max=0.2),
    Criterion("strand", "stranded", max=0.3, where={"population_share_over": 0.05}),
    Criterion("emp", "empowerment_plurality", min=0.2, where={"communities": ["g0", "g1"]}),
    Criterion("theil", "theil_h", max=0.1),
    Criterion("share", "share:g2", min=0.05, where={"regions": ["R1", "R2"]}),
    Criterion("dis", "dissimilarity:g0|g1", max=0.4),
    Criterion("moved", "people_moved", max=1e9),
    Criterion("pp", "polsby_popper", min=0.1),
]


def test_pass_shares_equal_check_criteria_draw_by_draw(setup):
    t, a, b, draws = setup
    dev = evaluate_draws(t, a, draws, reference=b)
    res = check_criteria_draws(dev, CRITERIA)
    assert [r.criterion.name for r in res] == [r.criterion.name for r in check_criteria(dev.point, CRITERIA)]
    for j in range(draws.n_draws):
        tj = replace(t, censuses={n: np.ascontiguousarray(draws.census(n)[j]) for n in t.census_names},
                     ranges={})
        ev = evaluate(tj, replace(a, territory_hash=tj.content_hash),
                      reference=replace(b, territory_hash=tj.content_hash))
        want = check_criteria(ev, CRITERIA)
        for r, w in zip(res, want, strict=True):
            assert bool(r.passes[j]) == w.passed, (r.criterion.name, r.census, j)
    d = res[1].to_dict()
    assert 0 <= d["pass_share"] <= 1 and "item" in d


def test_verdicts_far_from_thresholds_are_robust_and_near_ones_fragile():
    # W: b is 30% (far from 10% and from 50%); E: b is 10.5% (within 2 points of 10%)
    t = grid_territory(1, 2, communities=np.array([[700.0, 300], [895, 105]]))
    plan = Plan(np.array([0, 1]), (Region("W"), Region("E")), t.content_hash)
    exact = evaluate_draws(t, plan, CensusModel(t).draw(50, seed=0))
    vs = {v.subject: v for v in verdicts(exact, labels={"b": "Bees"})}
    assert not vs["stranded:b"].robust                         # the margin rule, even without spread
    assert "Bees: 10.5% of E" in vs["stranded:b"].reason and "10% stranded" in vs["stranded:b"].reason
    assert vs["largest:W"].robust and "50 of 50 draws" in vs["largest:W"].reason
    assert vs["empowerment_plurality:a"].robust
    far = grid_territory(1, 2, communities=np.array([[700.0, 300], [990, 10]]))
    plan2 = Plan(np.array([0, 1]), (Region("W"), Region("E")), far.content_hash)
    noisy = CensusModel(far, ErrorModel(unknown_error=0.1)).draw(400, seed=1)
    vs2 = {v.subject: v for v in verdicts(evaluate_draws(far, plan2, noisy))}
    assert vs2["stranded:b"].robust and vs2["stranded:b"].agreement >= 0.95


def test_a_share_straddling_the_threshold_is_fragile_with_its_range():
    t = grid_territory(1, 2, communities=np.array([[870.0, 130], [500, 500]]))  # b is 13% of W
    plan = Plan(np.array([0, 1]), (Region("W"), Region("E")), t.content_hash)
    draws = CensusModel(t, ErrorModel(unknown_error=0.6)).draw(500, seed=3)
    v = {x.subject: x for x in verdicts(evaluate_draws(t, plan, draws))}["stranded:b"]
    assert not v.robust and v.agreement < 0.95
    assert "13.0% of W (90% range" in v.reason and "below the 10% stranded threshold in" in v.reason


def test_criterion_verdicts_follow_pass_shares(setup):
    t, a, _, draws = setup
    dev = evaluate_draws(t, a, draws)
    vs = [v for v in verdicts(dev, criteria=CRITERIA[:4]) if v.subject.startswith("criterion:")]
    res = check_criteria_draws(dev, CRITERIA[:4])
    assert len(vs) == len(res)
    for v, r in zip(vs, res, strict=True):
        assert v.robust == (r.agreement() >= 0.95)
        assert f"passes in {100 * r.pass_share:.1f}% of {r.passes.size} draws" in v.reason


def test_sweep_matches_metrics_at_each_threshold(setup):
    t, a, _, draws = setup
    dev = evaluate_draws(t, a, draws)
    sw = threshold_sweep(dev, thresholds=[0.05, 0.1, 0.3])
    for name in t.census_names:
        s = sw[name]
        pm = dev.point.census(name)
        for i, thr in enumerate([0.05, 0.1, 0.3]):
            want = composition.stranded(pm.tally, threshold=thr, totals=pm.community_totals())
            np.testing.assert_allclose(s.stranded_point[i], want, equal_nan=True)
            dv = evaluate_draws(t, a, draws, threshold=thr).census(name).stranded
            np.testing.assert_allclose(s.stranded_q[i], quantiles(dv.T), equal_nan=True)
        np.testing.assert_allclose(s.empowered_point[0], pm.empowerment_plurality, equal_nan=True)
        np.testing.assert_allclose(s.empowered_point[1], pm.empowerment_majority, equal_nan=True)
        assert json.dumps(s.to_dict())


def test_sweep_lists_where_the_stranded_figure_flips():
    t = grid_territory(1, 2, communities=np.array([[910.0, 90], [500, 500]]))
    plan = Plan(np.array([0, 1]), (Region("W"), Region("E")), t.content_hash)
    sw = threshold_sweep(evaluate_draws(t, plan, CensusModel(t).draw(5, seed=0)))["census"]
    assert [f["region"] for f in sw.flips["b"]] == ["W"] and sw.flips["b"][0]["share"] == pytest.approx(0.09)
    j = 1
    assert sw.stranded_point[list(sw.thresholds).index(0.09), j] == 0
    assert sw.stranded_point[list(sw.thresholds).index(0.1), j] == pytest.approx(90 / 590)
    th = list(sw.thresholds)
    # b is 9% of W: fragile from 7% to 11% (within 2 points), robust at 5% and at 20%
    assert not sw.stranded_robust[th.index(0.08), j] and not sw.stranded_robust[th.index(0.1), j]
    assert sw.stranded_robust[th.index(0.05), j] and sw.stranded_robust[th.index(0.2), j]
    assert sw.to_dict()["communities"]["b"]["stranded"][0]["verdict"] == "robust"
    with pytest.raises(ConfigError):
        threshold_sweep(evaluate_draws(t, plan, CensusModel(t).draw(5, seed=0)), thresholds=[0, 0.5])


def test_paired_comparison(setup):
    t, a, b, draws = setup
    da, db = evaluate_draws(t, [a, b], draws)
    same = compare_draws(da, evaluate_draws(t, a, draws))
    assert all(p.tie == 1.0 for p in same.values())
    cmp = compare_draws(da, db)
    for p in cmp.values():
        assert p.a_better + p.b_better + p.tie == pytest.approx(1.0) or np.isnan(p.point_a)
    key = "now/stranded:g0"
    x, y = da.scalars()[key], db.scalars()[key]
    assert cmp[key].a_better == pytest.approx(np.mean(x < y))   # lower is better
    assert metric_direction("now/empowerment_plurality:g0") == 1
    assert metric_direction("now/theil_h") == 0
    other = CensusModel(t).draw(60, seed=12345)
    with pytest.raises(ConfigError, match="different census draws"):
        compare_draws(da, evaluate_draws(t, b, other))


def test_summary_dict_is_strict_json_with_points_ranges_and_verdicts(iraq):
    t = iraq.territory
    labels = {k: iraq.community_label(k) for k in t.communities}
    dev = evaluate_draws(t, iraq.plans["krg-releases-claims"], CensusModel(t).draw(64, seed=0),
                         reference=iraq.reference_plan)
    out = summary_dict(dev, criteria=iraq.criteria, labels=labels)
    json.dumps(out, allow_nan=False)
    fig = out["figures"]["baseline/stranded:yazidi"]
    assert fig["point"] == pytest.approx(dev.point.census("baseline").stranded[t.community_index("yazidi")])
    assert fig["p05"] <= fig["p50"] <= fig["p95"]
    assert fig["verdict"] in ("robust", "fragile") and fig["reason"]
    assert {c["name"] for c in out["criteria"]} == {c.name for c in iraq.criteria}
    assert all(0 <= c["pass_share"] <= 1 for c in out["criteria"])
    assert out["draws"]["draws"] == 64
    shares = out["regions"]["baseline"][0]["largest"]
    assert sum(shares.values()) == pytest.approx(1.0)


def test_quick_summary_refines_with_the_same_first_draws(iraq):
    t = iraq.territory
    d64 = cached_draws(t, 64, seed=5)
    d256 = cached_draws(t, 256, seed=5)
    assert np.array_equal(d256.census("baseline")[:64], d64.census("baseline"))
    assert cached_draws(t, 64, seed=5).n_draws == 64
    q = quick_summary(t, iraq.plans["status-quo-2014"], draws=64, seed=5, regions=False)
    assert set(q["figures"]) == {k for k in evaluate_draws(t, iraq.plans["status-quo-2014"], d64).scalars()}
