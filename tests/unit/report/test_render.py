"""Rendering a dossier of a small synthetic territory: HTML content, self-containment, XLSX."""

from __future__ import annotations

import base64
import re

import numpy as np
import pandas as pd
import pytest
from tests.unit.report.htmlcheck import external_refs, read_html, table_dicts

import dayafter as da
from dayafter.councils import CouncilRules
from dayafter.plan import Plan, Region
from dayafter.report import (
    EnsembleContext,
    build_dossier,
    render_html,
    write_report,
    xlsx_tables,
)


def _plans(t):
    ref = Plan(np.array([0] * 8 + [1] * 8), (Region("North", "federal", "governorate"),
                                             Region("South", "krg", "governorate")),
               t.content_hash, name="reference", meta={"title": "Reference <plan>"})
    alt = Plan(np.array([0] * 6 + [2] * 4 + [1] * 6),
               (Region("North", "federal"), Region("South", "krg"), Region("Middle", "self-administered")),
               t.content_hash, name="option-b", notes="Middle belt & co.")
    return ref, alt


@pytest.fixture(scope="module")
def dossier():
    from tests.conftest import grid_gdf

    from dayafter.geo import build_territory

    g = grid_gdf(4, 4)
    g["name_ar"] = ["وحدة"] * len(g)
    g["name_en"] = [f"Cell {u}" for u in g["uid"]]
    t = build_territory(
        g, id_col="uid",
        censuses={"now": {"a": "c0", "b": "c1", "c": "c2"},
                  "before": {"a": "c0_old", "b": "c1_old", "c": "c2_old"}},
        admin_cols={"province": "prov"}, label_cols=["name_en", "name_ar"], name="grid4")
    ref, alt = _plans(t)
    rng = np.random.default_rng(0)
    A = rng.integers(0, 2, size=(20, t.n_units))
    A[:, :2] = [0, 1]
    ens = EnsembleContext.from_assignments(t, A, 2, source="random test ensemble",
                                           meta={"seed": 0})
    crit = da.criteria_from_spec([{"name": "balanced", "metric": "deviation", "abs_max": 0.2}])
    prov = pd.DataFrame({"census": ["now", "now", "before", "before"],
                         "field": ["total", "total", "total", "a"],
                         "value": ["300", "100", "50", "7"],
                         "status": ["sourced", "imputed", "sourced", "sourced"]})
    return build_dossier(t, [ref, alt], reference=ref, criteria=crit, labels={"a": "Alpha"},
                         provenance=prov, sources_md="S1: survey <2014>, CC BY 4.0",
                         ensemble=None, councils=CouncilRules(size=7, first_divisor=None), created="2026-01-01T00:00:00+00:00",
                         parameters={"seed": 0}), ens


@pytest.fixture(scope="module")
def html(dossier):
    return render_html(dossier[0])


def test_html_is_self_contained(html):
    assert external_refs(html) == []
    r = read_html(html)
    assert r.img_count >= 6  # three maps per plan
    for _tag, attr, v in r.refs:
        if attr == "src":
            png = base64.b64decode(v.split(",", 1)[1])
            assert png.startswith(b"\x89PNG")


def test_html_escapes_text(html):
    assert "Reference &lt;plan&gt;" in html
    assert "Middle belt &amp; co." in html
    assert "survey &lt;2014&gt;" in html


def test_region_tables_equal_api(dossier, html):
    d = dossier[0]
    r = read_html(html)
    for i, s in enumerate(d.sections, start=1):
        ev = s.evaluation
        for c in ev.censuses:
            rows = table_dicts(r.tables[f"plan-{i}-{c}-regions"])
            cm = ev.census(c)
            assert [row["region"] for row in rows] == s.plan.region_names
            for j, row in enumerate(rows):
                assert row["population"] == f"{cm.population[j]:,.0f}"
                assert row["share: Alpha"] == f"{cm.shares[j, 0]:.1%}"
                assert row["Polsby-Popper"] == f"{ev.geometry.polsby_popper[j]:.3f}"
            comm = table_dicts(r.tables[f"plan-{i}-{c}-communities"])
            assert comm[0]["community"] == "Alpha"
            assert comm[1]["stranded people"] == f"{cm.stranded_people[1]:,.0f}"


def test_comparison_highlights_differences(dossier, html):
    r = read_html(html)
    rows = r.tables["comparison-table"]
    assert rows[0] == ["section", "metric", "reference", "option-b"]
    regions = next(row for row in rows if row[1] == "regions")
    assert regions[2:] == ["2", "3"]
    # a differing value is marked, an equal one is not
    assert re.search(r'<td class="diff num">3</td>', html)
    total = next(row for row in rows if row[0] == "census now" and row[1] == "population")
    assert total[2] == total[3]


def test_criteria_councils_change_and_provenance(dossier, html):
    d = dossier[0]
    r = read_html(html)
    crit = table_dicts(r.tables["plan-2-criteria"])
    res = da.check_criteria(d.sections[1].evaluation, d.criteria)
    assert [c["result"] for c in crit] == ["pass" if x.passed else "FAIL" for x in res]
    councils = table_dicts(r.tables["plan-1-councils"])
    assert all(sum(int(row[k]) for k in ("Alpha", "b", "c")) == 7 for row in councils)
    assert "Voting model: each community votes for its own list" in html
    change = table_dicts(r.tables["plan-2-change"])
    assert sum(int(row["units"]) for row in change) == d.sections[1].evaluation.change.units_moved
    assert "plan-1-change" not in r.tables  # the reference has no change section
    prov = table_dicts(r.tables["provenance-table"])
    imputed = next(p for p in prov if p["census"] == "all" and p["status"] == "imputed")
    assert imputed["share"] == "25.0%"
    now = {p["status"]: p for p in prov if p["census"] == "now"}
    assert now["imputed"]["people"] == "100"
    assert now["imputed"]["people share"] == "25.0%"
    assert "25.0% of the people of census now live in units whose total is imputed" in html
    units = table_dicts(r.tables["units-table"])
    assert units[0]["name_ar"] == "وحدة"
    assert 'dir="rtl" lang="ar"' in html
    from html import unescape

    assert '"content_hash": "' + d.territory.content_hash in unescape(html)


def test_councils_match_apportion(dossier, html):
    from dayafter.councils import apportion, simulate_councils

    d = dossier[0]
    s = d.sections[1]
    for census in ("now", "before"):
        cm = s.evaluation.census(census)
        sub = s.councils[s.councils["census"] == census].reset_index(drop=True)
        sim = simulate_councils(d.territory, s.plan, rules=d.councils, census=census)
        assert np.array_equal(sub[["Alpha", "b", "c"]].to_numpy(), sim.seats_table(census))
        for j, row in sub.iterrows():
            # the voting model: one list per community, votes = residents x 0.55 x 0.41
            votes = np.rint(cm.tally[j] * 0.55 * 0.41).astype(np.int64)
            res = apportion(votes, 7, method="sainte-lague")
            assert [row["Alpha"], row["b"], row["c"]] == res.seats.tolist()
    rows = table_dicts(read_html(html).tables["plan-2-councils"])
    assert [r["region"] for r in rows] == s.plan.region_names * 2


@pytest.mark.slow
def test_ensemble_section(dossier):
    d0, ens = dossier
    from dataclasses import replace

    from dayafter.report.dossier import _ensemble_figures

    d = replace(d0, ensemble=ens, ensemble_figures=_ensemble_figures(
        ens, d0.evaluations, d0.labels, d0.census_names, d0.territory.communities))
    tab = d.ensemble_table()
    row = tab.set_index("key").loc["now/theil_h"]
    v = d.sections[0].evaluation.scalars()["now/theil_h"]
    assert row["reference"] == pytest.approx(v)
    assert row["reference percentile"] == pytest.approx(ens.percentile("now/theil_h", v))
    html = render_html(d)
    assert external_refs(html) == []
    r = read_html(html)
    assert "ensemble-table" in r.tables
    assert "sorted:now/largest_share" in d.ensemble_figures
    assert "distribution" in d.ensemble_figures


def test_xlsx_keeps_text_and_numbers(dossier, tmp_path):
    from openpyxl import load_workbook

    d = dossier[0]
    path = write_report(d, tmp_path / "d.xlsx")
    wb = load_workbook(path)
    assert {"comparison", "regions", "communities", "criteria", "units", "manifest"} <= set(wb.sheetnames)
    ws = wb["units"]
    head = [c.value for c in ws[1]]
    col = head.index("unit_id")
    ids = [row[col] for row in ws.iter_rows(min_row=2, values_only=True)]
    assert ids == d.territory.unit_ids.tolist()
    assert all(row[col].data_type == "s" for row in ws.iter_rows(min_row=2))
    regions = pd.read_excel(path, sheet_name="regions", dtype={"plan": str})
    ev = d.sections[1].evaluation
    sub = regions[(regions["plan"] == "option-b") & (regions["census"] == "before")]
    assert np.allclose(sub["population"].to_numpy(), ev.census("before").population)
    assert set(xlsx_tables(d)) == set(wb.sheetnames)
    import io

    from dayafter.report import render_xlsx

    wb2 = load_workbook(io.BytesIO(render_xlsx(d)))
    assert wb2.sheetnames == wb.sheetnames
    assert [c.value for c in wb2["units"]["A"]] == [c.value for c in ws["A"]]


def test_write_html_and_formats(dossier, tmp_path):
    d = dossier[0]
    p = write_report(d, tmp_path / "out" / "d.html")
    assert p.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    with pytest.raises(da.ConfigError, match="unknown report format"):
        write_report(d, tmp_path / "d.docx")
    assert not (tmp_path / "d.docx").exists()


def test_build_dossier_rejects_bad_input(dossier):
    d = dossier[0]
    t = d.territory
    p = d.plans[0]
    with pytest.raises(da.InputDataError, match="at least one plan"):
        build_dossier(t, [])
    with pytest.raises(da.InputDataError, match="distinct names"):
        build_dossier(t, [p, p], maps=False)
    bare = da.Territory.from_arrays(t.unit_ids, t.communities, dict(t.censuses), t.graph,
                                    area=t.area, outer_border=t.outer_border, admin=dict(t.admin))
    with pytest.raises(da.InputDataError, match="no geometry"):
        build_dossier(bare, [Plan(p.assignment, p.regions, bare.content_hash, name="x")])
    nomaps = build_dossier(bare, [Plan(p.assignment, p.regions, bare.content_hash, name="x")],
                           maps=False)
    assert external_refs(render_html(nomaps)) == []


def test_unassigned_units_and_empty_regions_render(dossier, tmp_path):
    d = dossier[0]
    t = d.territory
    a = np.array([0] * 6 + [-1] * 4 + [1] * 6)
    p = Plan(a, (Region("North", "federal"), Region("South", "krg"), Region("Empty", "krg")),
             t.content_hash, name="partial")
    dd = build_dossier(t, [p], reference=d.plans[0])
    html = render_html(dd)
    r = read_html(html)
    rows = table_dicts(r.tables["plan-1-now-regions"])
    assert [row["region"] for row in rows] == ["North", "South", "Empty"]
    assert rows[2]["population"] == "0"
    assert rows[2]["largest community"] == ""
    units = table_dicts(r.tables["units-table"])
    assert [u["partial"] for u in units][6:10] == ["", "", "", ""]
    write_report(dd, tmp_path / "p.xlsx")


@pytest.mark.parametrize("maps", [pytest.param(True, marks=pytest.mark.slow), False])  # maps: ~12 s
def test_same_inputs_give_byte_identical_html(dossier, maps):
    d = dossier[0]
    kw = {"reference": d.plans[0], "created": "2026-01-01T00:00:00+00:00",
          "councils": CouncilRules(size=5, first_divisor=None), "maps": maps}
    a = render_html(build_dossier(d.territory, d.plans, **kw))
    b = render_html(build_dossier(d.territory, d.plans, **kw))
    assert a == b


def test_manifest_records_versions_hashes_and_parameters(dossier):
    from dayafter.report import plan_hash

    d = dossier[0]
    m = d.manifest
    assert m["territory"]["content_hash"] == d.territory.content_hash
    assert [p["sha256"] for p in m["plans"]] == [plan_hash(p) for p in d.plans]
    assert plan_hash(d.plans[0]) != plan_hash(d.plans[0].with_moves([0], 1))
    assert m["parameters"]["councils"]["size"] == 7
    assert m["parameters"]["seed"] == 0
    assert {"numpy", "matplotlib", "jinja2"} <= set(m["versions"])


@pytest.mark.parametrize("examples", [pytest.param(25, marks=pytest.mark.slow), 4])  # 25: ~15-20 s
def test_any_names_are_escaped_and_round_trip(grid_territory, examples):
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    t = grid_territory
    text = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=20)

    @settings(max_examples=examples, deadline=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(names=st.lists(text, min_size=2, max_size=2, unique_by=str.strip), auth=text,
           plan_name=text, notes=text)
    def check(names, auth, plan_name, notes):
        names = [n.strip() or f"r{i}" for i, n in enumerate(names)]
        p = Plan(np.array([0] * 8 + [1] * 8), (Region(names[0], auth), Region(names[1], "x")),
                 t.content_hash, name=plan_name.strip() or "p", notes=notes)
        d = build_dossier(t, [p], maps=False, created="2026-01-01T00:00:00+00:00")
        html = render_html(d)
        assert external_refs(html) == []
        r = read_html(html)
        rows = table_dicts(r.tables["plan-1-now-regions"])
        assert [row["region"] for row in rows] == [n.strip() for n in names]
        key = table_dicts(r.tables["plan-1-key"])
        assert key[0]["authority"] == auth.strip()

    check()


def test_long_unit_lists_go_to_the_workbook_only(dossier, monkeypatch):
    from dayafter.report import render

    d = dossier[0]
    monkeypatch.setattr(render, "MAX_UNIT_ROWS", 10)
    html = render_html(d)
    assert "units-table" not in read_html(html).tables
    assert "their table is in the XLSX workbook" in html
    assert len(xlsx_tables(d)["units"]) == d.territory.n_units


# ------------------------------------------------------------------ column formats
def test_metric_columns_take_the_registry_format_and_nothing_is_matched_by_substring():
    from dayafter.metrics import registry
    from dayafter.report.render import html_table

    for m in registry.METRICS.values():
        for col in (m.name, m.label, f"{m.label}: Kurds"):
            html = html_table(pd.DataFrame({col: [0.123456]}))
            assert f"<td>{m.format(0.123456)}</td>" in html.replace(' class="num"', ""), col
    # report-only columns: by exact name; a column that merely contains a metric word is not a
    # metric ('districts shared' counts districts: it was shown as a percentage once)
    row = pd.DataFrame({"districts shared": [3], "seat share": [0.25], "Gallagher": [1.5],
                        "stranded households": [0.5], "people (current)": [1234.4]})
    html = html_table(row)
    for text in (">3<", ">25.0%<", ">1.500<", ">0<", ">1,234<"):
        assert text in html, (text, html)
    assert "300.0%" not in html and "50.0%" not in html
