"""Report tables against brute-force recomputation from the census (plain Python loops)."""

from __future__ import annotations

import numpy as np
import pytest

import dayafter as da
from dayafter.plan import Plan, Region
from dayafter.report import tables as T
from dayafter.report.ensemble import EnsembleContext, percentile_of


def _plan(t, assignment, name="p", auths=("federal", "krg", "self-administered")):
    k = int(max(assignment)) + 1
    regions = tuple(Region(f"R{j}", auths[j % len(auths)], f"status {j}") for j in range(k))
    return Plan(np.asarray(assignment), regions, t.content_hash, name=name)


@pytest.fixture
def plan3(grid_territory):
    t = grid_territory
    # 4x4 grid, ids sorted row-major: rows 0-1 -> R0, row 2 -> R1, row 3 -> R2
    a = [0] * 8 + [1] * 4 + [2] * 4
    return _plan(t, a)


def test_region_table_matches_brute_force(grid_territory, plan3):
    t = grid_territory
    ev = da.evaluate(t, plan3)
    for census in t.census_names:
        df = T.region_table(t, ev, census)
        tab = t.census(census)
        for j in range(plan3.k):
            members = [i for i in range(t.n_units) if plan3.assignment[i] == j]
            people = [sum(tab[i, g] for i in members) for g in range(t.n_communities)]
            total = sum(people)
            row = df.iloc[j]
            assert row["region"] == f"R{j}"
            assert row["population"] == pytest.approx(total)
            assert row["units"] == len(members)
            for g, c in enumerate(t.communities):
                assert row[f"share: {c}"] == pytest.approx(people[g] / total)
            assert row["largest share"] == pytest.approx(max(people) / total)
            stranded = sum(p for p in people if p / total < 0.10)
            assert row["stranded people"] == pytest.approx(stranded)
            assert row["fractionalization"] == pytest.approx(1 - sum((p / total) ** 2 for p in people))


def test_region_stranded_people_sums_to_community_totals(grid_territory, global_seed):
    t = grid_territory
    rng = np.random.default_rng(global_seed)
    a = rng.integers(0, 4, size=t.n_units)
    a[:4] = np.arange(4)
    p = _plan(t, a)
    ev = da.evaluate(t, p, threshold=0.3)
    for cm in ev.censuses.values():
        assert T.region_stranded_people(cm).sum() == pytest.approx(cm.stranded_people.sum())


def test_region_splits_brute_force(grid_territory, global_seed):
    t = grid_territory
    rng = np.random.default_rng(global_seed)
    a = rng.integers(0, 3, size=t.n_units)
    a[:3] = np.arange(3)
    p = _plan(t, a)
    ev = da.evaluate(t, p)
    for level, codes in t.admin.items():
        regions_of = {}
        for i, c in enumerate(codes):
            regions_of.setdefault(c, set()).add(int(a[i]))
        split = {c for c, rs in regions_of.items() if len(rs) > 1}
        got = T.region_splits(t, ev, level)
        for j in range(p.k):
            touched = {codes[i] for i in range(t.n_units) if a[i] == j}
            assert got[j] == len(touched & split)


def test_community_table_equals_api(grid_territory, plan3):
    t = grid_territory
    ev = da.evaluate(t, plan3)
    df = T.community_table(ev, "now", labels={"a": "Alpha"})
    d = ev.to_dict()["censuses"]["now"]["communities"]
    assert df["community"].tolist()[0] == "Alpha"
    for _, row in df.iterrows():
        ref = d[row["key"]]
        assert row["population"] == pytest.approx(ref["population"])
        assert row["stranded"] == pytest.approx(ref["stranded"])
        assert row["empowered (plurality)"] == pytest.approx(ref["empowerment_plurality"])


def test_criteria_table_lists_failing_regions(grid_territory, plan3):
    t = grid_territory
    ev = da.evaluate(t, plan3)
    crit = da.criteria_from_spec([
        {"name": "tiny", "metric": "population", "max": 1.0},
        {"name": "loose", "metric": "pieces", "max": 1},
    ])
    df = T.criteria_table(da.check_criteria(ev, crit))
    assert df["result"].tolist() == ["FAIL", "FAIL", "pass", "pass"]
    assert "R0" in df.loc[0, "failing"] and "R2" in df.loc[0, "failing"]


def test_change_table_counts_units(grid_territory, plan3):
    t = grid_territory
    other = plan3.with_moves([8, 9], 0)  # two units of R1 (krg) move to R0 (federal)
    ev = da.evaluate(t, other, reference=plan3)
    df = T.change_table(ev)
    assert df.to_dict("records")[0]["from"] == "krg"
    assert df["units"].sum() == 2
    pop = t.population("now")
    assert df["people (now)"].sum() == pytest.approx(pop[[8, 9]].sum())


def test_units_table_keeps_ids_as_text(make_grid):
    from dayafter.geo import build_territory

    g = make_grid(2, 2)
    g["uid"] = ["007", "010", "0100", "1"]
    t = build_territory(g, id_col="uid", censuses={"now": {"a": "c0", "b": "c1"}}, name="ids")
    p = _plan(t, [0, 0, 1, 1])
    df = T.units_table(t, [p])
    assert df["unit_id"].tolist() == ["007", "010", "0100", "1"]
    assert df["p"].tolist() == ["R0", "R0", "R1", "R1"]


def test_percentile_matches_scipy(global_seed):
    from scipy.stats import percentileofscore

    rng = np.random.default_rng(global_seed)
    x = rng.integers(0, 20, size=200).astype(float)
    for v in (-1.0, 0.0, 7.0, 7.5, 19.0, 25.0):
        assert percentile_of(x, v) == pytest.approx(percentileofscore(x, v, kind="mean"))
    assert np.isnan(percentile_of(np.array([np.nan]), 1.0))


def test_ensemble_from_assignments_equals_evaluate(grid_territory, global_seed):
    t = grid_territory
    rng = np.random.default_rng(global_seed)
    A = rng.integers(0, 3, size=(6, t.n_units))
    A[:, :3] = np.arange(3)
    ens = EnsembleContext.from_assignments(t, A, 3, source="random")
    assert ens.n_samples == 6
    for s in range(6):
        ev = da.evaluate(t, _plan(t, A[s]))
        sc = ev.scalars()
        for key in ("cut_edges", "now/theil_h", "before/stranded:a", "mean_polsby_popper"):
            assert ens.scalars.loc[s, key] == pytest.approx(sc[key], nan_ok=True)
        assert np.allclose(ens.sorted_regions["now/largest_share"][s],
                           np.sort(ev.census("now").largest_share))
    v = float(ens.scalars["cut_edges"].iloc[0])
    assert ens.percentile("cut_edges", v) == pytest.approx(
        percentile_of(ens.scalars["cut_edges"].to_numpy(), v))


def test_ensemble_rejects_bad_shapes(grid_territory):
    with pytest.raises(da.InputDataError, match="expected"):
        EnsembleContext.from_assignments(grid_territory, np.zeros((2, 3), dtype=int), 2)
    with pytest.raises(da.InputDataError, match="no metric"):
        EnsembleContext.from_assignments(grid_territory, np.zeros((2, 16), dtype=int), 1
                                         ).percentile("nope", 1.0)


def test_ensemble_context_from_a_finished_run(grid_territory, plan3, tmp_path):
    from dayafter.ensemble import ReComSampler

    t = grid_territory
    two = _plan(t, [0] * 8 + [1] * 8, name="two")
    ReComSampler(steps=60, chains=1, seed=3, thin=6, metrics=["theil_h"], n_jobs=1,
                 constraints={"tolerance": 0.6}).run(t, two, tmp_path / "run")
    ens = EnsembleContext.from_run(tmp_path / "run", t)
    assert ens.n_samples == 60
    assert {"cut_edges", "now/theil_h", "before/theil_h"} <= set(ens.scalars.columns)
    S = ens.sorted_regions["now/largest_share"]
    assert S.shape == (10, 2)
    assert np.all(np.diff(S, axis=1) >= 0)
    with pytest.raises(da.InputDataError, match="other territory"):
        from tests.conftest import grid_gdf

        from dayafter.geo import build_territory

        other = build_territory(grid_gdf(4, 4, seed=5), id_col="uid",
                                censuses={"now": {"a": "c0", "b": "c1", "c": "c2"}})
        EnsembleContext.from_run(tmp_path / "run", other)


def test_imputed_share_brute_force(grid_territory, plan3, global_seed):
    import pandas as pd

    t = grid_territory
    rng = np.random.default_rng(global_seed)
    status = rng.choice(["sourced", "imputed", "derived"], size=t.n_units)
    prov = pd.DataFrame({"census": "now", "unit_id": t.unit_ids.tolist(), "field": "total",
                         "value": "1", "status": status})
    prov = pd.concat([prov, prov.assign(field="a", status="imputed")])  # community rows ignored
    mask = T.imputed_units(prov, t, "now")
    assert mask.tolist() == (status == "imputed").tolist()
    assert T.imputed_units(prov, t, "before") is None
    ev = da.evaluate(t, plan3)
    df = T.region_table(t, ev, "now", imputed=mask)
    pop = t.population("now")
    for j in range(plan3.k):
        members = [i for i in range(t.n_units) if plan3.assignment[i] == j]
        expected = sum(pop[i] for i in members if status[i] == "imputed") / sum(pop[i] for i in members)
        assert df.loc[j, "imputed share"] == pytest.approx(expected)
