"""Returns: the accounting against hand computations, the calibration rule, the propensity
factors, draws, the projected census as a census, and bad input."""

from __future__ import annotations

import csv
import json
import math
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

import dayafter as da
from dayafter.errors import ConfigError, InputDataError
from dayafter.graph import UnitGraph
from dayafter.plan import Plan, Region
from dayafter.returns import (
    Estimate,
    Observation,
    ReturnModel,
    case_return_model,
    hazard_from_share,
    load_return_model,
    project_returns,
    propensity_arrays,
    remaining_ceiling,
    return_flows,
    return_propensity,
)
from dayafter.testing.grids import grid_territory

CASE_DIR = Path(da.__file__).parent / "cases" / "northern_iraq" / "returns"


def _model(communities=("a", "b"), *, share=0.5, years=2.0, ceiling=0.8, start=2020.0,
           census_year=2020.0, factors=None, insecure=0.5, outside=1.0):
    obs = Observation("O1", "*", "somewhere", Estimate.exact(share), Estimate.exact(years))
    g = len(communities)
    return ReturnModel(communities=tuple(communities), ceiling=(Estimate.exact(ceiling),) * g,
                       calibration=(obs,) * g, returns_start=(Estimate.exact(start),) * g,
                       census_year=census_year, control_factors=factors or {},
                       insecure_factor=Estimate.exact(insecure),
                       outside_factor=Estimate.exact(outside), name="test")


def test_flows_hand_computation():
    # community 0: unit 0 lost 40 (100 -> 60), unit 1 hosts 30 (50 -> 80): 10 are outside.
    # community 1: nobody displaced.
    B = np.array([[100.0, 10.0], [50.0, 20.0]])
    C = np.array([[60.0, 10.0], [80.0, 20.0]])
    f = return_flows(B, C, 0.5, outside_factor=0.4, growth=1.0)
    # returns to unit 0: 40 * 0.5 * (30/40 + 10/40 * 0.4) = 20 * 0.85 = 17
    assert f.returns[0, 0] == pytest.approx(17.0)
    # from inside: 40 * 0.5 * 0.75 = 15 leave unit 1; from outside: 40 * 0.5 * 0.25 * 0.4 = 2
    assert f.departures[1, 0] == pytest.approx(15.0)
    assert f.outside[0] == pytest.approx(2.0)
    np.testing.assert_allclose(f.projected, [[77.0, 10.0], [65.0, 20.0]])
    assert f.returns[:, 1].tolist() == [0.0, 0.0]


def test_flows_growth_default_is_territory_growth():
    B = np.array([[100.0], [100.0]])
    C = np.array([[60.0], [180.0]])  # total grew by 1.2: unit 0 should have 120, unit 1 120
    f = return_flows(B, C, 1.0)
    assert float(f.growth.ravel()[0]) == pytest.approx(1.2)
    assert f.displaced[:, 0].tolist() == pytest.approx([60.0, 0.0])
    assert f.hosted[:, 0].tolist() == pytest.approx([0.0, 60.0])
    # everyone displaced is hosted inside and returns with p = 1
    assert f.projected[:, 0].tolist() == pytest.approx([120.0, 120.0])


def test_flows_vectorised_over_draws_equals_loop(global_seed):
    rng = np.random.default_rng(global_seed)
    B = rng.uniform(0, 100, (5, 6, 3))
    C = rng.uniform(0, 100, (5, 6, 3))
    p = rng.uniform(0, 1, (5, 6, 3))
    of = rng.uniform(0, 1, 5)
    f = return_flows(B, C, p, outside_factor=of)
    for d in range(5):
        g = return_flows(B[d], C[d], p[d], outside_factor=of[d])
        np.testing.assert_allclose(f.projected[d], g.projected)
        np.testing.assert_allclose(f.outside[d], g.outside)


def test_calibration_rule_round_trip():
    h = hazard_from_share(0.43, 8.4, 0.8)
    # the observation is reproduced: c (1 - exp(-h t)) = r
    assert return_propensity(h, 0.8, 8.4) == pytest.approx(0.43)
    assert remaining_ceiling(0.8, h, 0.0) == pytest.approx(0.8)
    # those still displaced after T years: c e^-hT / (c e^-hT + 1 - c)
    w = 0.8 * math.exp(-h * 8.4)
    assert remaining_ceiling(0.8, h, 8.4) == pytest.approx(w / (w + 0.2))
    with pytest.raises(ConfigError):
        hazard_from_share(0.9, 2.0, 0.8)


def test_propensity_applies_control_and_security_factors():
    m = _model(factors={"krg": {"a": Estimate.exact(0.5)}}, census_year=2020.0, start=2020.0)
    params = m.arrays()
    p = propensity_arrays(m, params, np.array(["krg", "federal", "krg"], dtype=object),
                          np.array([True, True, False]), horizon=3.0)
    h = hazard_from_share(0.5, 2.0, 0.8)
    assert p[0, 0, 0] == pytest.approx(0.8 * (1 - math.exp(-h * 0.5 * 3)))
    assert p[0, 1, 0] == pytest.approx(0.8 * (1 - math.exp(-h * 3)))
    assert p[0, 2, 0] == pytest.approx(0.8 * (1 - math.exp(-h * 0.5 * 0.5 * 3)))
    assert p[0, 0, 1] == pytest.approx(0.8 * (1 - math.exp(-h * 3)))  # no factor for b


def _two_unit_territory():
    t = grid_territory(1, 2, communities=np.array([[100.0, 10.0], [50.0, 20.0]]))
    return da.Territory.from_arrays(
        t.unit_ids, t.communities,
        {"baseline": np.array([[100.0, 10.0], [50.0, 20.0]]),
         "current": np.array([[60.0, 10.0], [80.0, 20.0]])}, t.graph, name="two")


def test_project_returns_on_a_territory_and_as_a_census(global_seed):
    t = _two_unit_territory()
    plan = Plan(np.array([0, 1]), (Region("W", "krg"), Region("E", "federal")), t.content_hash,
                name="p")
    m = _model(factors={"krg": {"a": Estimate(0.5, 0.3, 0.8)}})
    r = project_returns(t, plan, model=m, horizon=5, draws=200,
                        rng=np.random.default_rng(global_seed))
    r.check()
    assert r.n_draws == 200 and r.draws.projected.shape == (200, 2, 2)
    assert r.control.tolist() == ["krg", "federal"]
    t2, (plan2,) = r.with_projection(t, [plan])
    assert t2.census_names == ("baseline", "current", "projected")
    np.testing.assert_allclose(t2.census("projected"), r.projected)
    ev = da.evaluate(t2, plan2)
    assert set(ev.censuses) == {"baseline", "current", "projected"}
    d = r.to_dict()
    json.dumps(d)
    assert d["totals"]["returns"] == pytest.approx(float(r.flows.returns.sum()))


def test_census_draws_are_used_and_checked(global_seed):
    t = _two_unit_territory()
    rng = np.random.default_rng(global_seed)
    cur = t.census("current")[None] * rng.uniform(0.9, 1.1, (50, 2, 2))
    r = project_returns(t, model=_model(), horizon=2, census_draws={"current": cur}, rng=rng)
    assert r.n_draws == 50
    r.check()
    with pytest.raises(InputDataError, match="census draws"):
        project_returns(t, model=_model(), horizon=2, census_draws={"current": cur[:, :1]}, rng=rng)
    with pytest.raises(InputDataError, match="unknown censuses"):
        project_returns(t, model=_model(), horizon=2, census_draws={"later": cur}, rng=rng)


def test_bad_parameters_are_refused():
    t = _two_unit_territory()
    with pytest.raises(ConfigError, match="horizon"):
        project_returns(t, model=_model(), horizon=-1)
    with pytest.raises(ConfigError, match="rng"):
        project_returns(t, model=_model(), horizon=1, draws=5)
    with pytest.raises(InputDataError, match="no parameters for communities"):
        project_returns(t, model=_model(communities=("a",)), horizon=1)
    with pytest.raises(InputDataError, match="one value per unit"):
        project_returns(t, model=_model(), horizon=1, secure=np.ones(3, bool))
    with pytest.raises(InputDataError, match="below the lowest ceiling"):
        _model(share=0.85, ceiling=0.8)


# ------------------------------------------------------------------ the built-in model's data
def test_case_model_loads_and_every_source_is_listed():
    m = case_return_model()
    cited: set[str] = set()
    for folder_file in ("calibration.csv", "parameters.csv", "control_factors.csv"):
        with (CASE_DIR / folder_file).open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                for col in ("source_ids", "ceiling_sources", "returns_start_sources"):
                    cited |= {s for s in (row.get(col) or "").split(";") if s}
    spec = json.loads((CASE_DIR / "model.json").read_text(encoding="utf-8"))
    for key in ("insecure_factor", "outside_factor", "census_year"):
        cited |= set(spec[key].get("sources", []))
    shared = {s for s in cited if re.match(r"^(PS\d|P\d\d)$", s)}  # policy ids of the case
    assert cited - shared <= set(m.sources), sorted(cited - shared - set(m.sources))
    with (CASE_DIR / "figures.csv").open(encoding="utf-8") as fh:
        figures = {r["figure_id"]: r for r in csv.DictReader(fh)}
    assert {f["source_id"] for f in figures.values()} <= set(m.sources) | shared
    with (CASE_DIR / "calibration.csv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            assert set(row["figure_ids"].split(";")) <= set(figures), row["obs_id"]
    assert all("assumption" in c.basis or c.sources for c in m.ceiling)


def test_case_observations_follow_from_the_published_figures():
    with (CASE_DIR / "figures.csv").open(encoding="utf-8") as fh:
        f = {r["figure_id"]: float(r["value"]) for r in csv.DictReader(fh)}
    obs = {o.obs_id: o for o in case_return_model().observations}
    # the derivation column's arithmetic, redone
    assert obs["RO3"].share.value == pytest.approx(f["F10"] / f["F11"], abs=0.005)
    assert obs["RO4"].share.value == pytest.approx(f["F02"] / (f["F01"] + f["F02"]), abs=0.001)
    assert obs["RO5"].share.value == pytest.approx(f["F06"] / (f["F05"] + f["F06"]), abs=0.001)
    assert obs["RO2"].share.value == pytest.approx(f["F15"] / f["F14"], abs=0.005)
    assert obs["RO1"].share.value == pytest.approx(f["F29"])
    assert obs["RO1"].share.high <= 1 - f["F16"]  # 'more than half still displaced'
    for o in obs.values():
        assert o.share.low <= o.share.value <= o.share.high


def test_case_projection_properties(iraq, global_seed):
    m = case_return_model()
    t = iraq.territory
    res = {name: project_returns(t, p, model=m, horizon=5, draws=100,
                                 rng=np.random.default_rng(global_seed))
           for name, p in iraq.plans.items()}
    for r in res.values():
        r.check()
    # a self-administered Sinjar speeds Yazidi returns there against KRG control (factors 1.2 vs
    # 0.8 in control_factors.csv), whatever the census numbers
    sq = res["status-quo-2014"]
    prov = res["nineveh-plains-sinjar-province"]
    y = t.community_index("yazidi")
    sinjar = np.flatnonzero(t.admin["district"] == "IQG15Q07")
    ctrl_sq, ctrl_prov = sq.control[sinjar], prov.control[sinjar]
    assert set(ctrl_prov) == {"self-administered"} and set(ctrl_sq) == {"krg"}
    has = sq.flows.displaced[sinjar, y] > 0
    if has.any():
        assert np.all(prov.propensity[sinjar, y][has] > sq.propensity[sinjar, y][has])


def _copy_model(tmp_path: Path) -> Path:
    dst = tmp_path / "returns"
    shutil.copytree(CASE_DIR, dst)
    return dst


@pytest.mark.parametrize(("file", "old", "new", "match"), [
    ("calibration.csv", "RO3,christian,Nineveh Plains (Christian towns),2018-03-25,0.42",
     "RO3,christian,Nineveh Plains (Christian towns),2018-03-25,1.42", r"calibration.csv: row \d+: share 1.42 is outside"),
    ("parameters.csv", "yazidi,0.8,0.6,0.95", "yazidi,0.8,0.3,0.95",
     r"parameters.csv: row \d+: the ceiling of 'yazidi'"),
    ("parameters.csv", ",RO6,", ",RO9,", r"row \d+: calibration 'RO9' is not an obs_id"),
    ("control_factors.csv", "krg,yazidi,0.8,0.6,1.0", "krg,yazidi,0.8,0.9,1.0",
     r"control_factors.csv: row \d+: low <= factor <= high fails"),
    ("control_factors.csv", "krg,yazidi,", "krg,yezidi,", r"row \d+: community 'yezidi' has no"),
])
def test_bad_model_files_name_file_row_and_fix(tmp_path, file, old, new, match):
    root = _copy_model(tmp_path)
    p = root / file
    text = p.read_text(encoding="utf-8")
    assert old in text
    p.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(InputDataError, match=match) as exc:
        load_return_model(root)
    assert "Fix:" in exc.value.one_line()


def test_missing_model_json(tmp_path):
    root = _copy_model(tmp_path)
    (root / "model.json").unlink()
    with pytest.raises(InputDataError, match=r"no model\.json"):
        load_return_model(root)


def test_case_model_reproduces_its_calibration_and_reports_checks():
    checks = case_return_model().check_observations(np.random.default_rng(0), draws=200)
    for c in checks:
        if c["calibrates"]:
            assert c["predicted"] == pytest.approx(c["observed"])
        assert c["predicted_p05"] <= c["predicted_p95"]
    ids = {c["obs_id"] for c in checks if not c["calibrates"]}
    assert {"RO2", "RO5"} <= ids  # the independent checks are reported


def test_growth_by_admin_level():
    g = UnitGraph.from_edges(3, [0, 1], [1, 2], [1.0, 1.0])
    t = da.Territory.from_arrays(
        ["u1", "u2", "u3"], ["a"],
        {"baseline": np.array([[100.0], [100.0], [100.0]]),
         "current": np.array([[50.0], [250.0], [100.0]])}, g, admin={"gov": ["G1", "G1", "G2"]})
    m = _model(communities=("a",))
    # within G1 (200 -> 300, growth 1.5): u1 lost 100, u2 hosts 100; G2 did not grow
    r = project_returns(t, model=m, horizon=1, growth="gov")
    np.testing.assert_allclose(r.flows.displaced[:, 0], [100.0, 0.0, 0.0])
    np.testing.assert_allclose(r.flows.hosted[:, 0], [0.0, 100.0, 0.0])
    # the territory's growth (400/300) counts u3's standstill as displacement
    r = project_returns(t, model=m, horizon=1, growth="territory")
    assert r.flows.displaced[2, 0] == pytest.approx(100.0 * 4 / 3 - 100.0)
    with pytest.raises(ConfigError, match="unknown growth rule"):
        project_returns(t, model=m, horizon=1, growth="province")
