"""Dossiers of the built-in northern-iraq scenarios: content equals the API, HTML self-contained,
XLSX tables, and a PDF whose pages (pdftoppm) show the maps."""

from __future__ import annotations

import os
import shutil
import subprocess
from html import unescape

import numpy as np
import pandas as pd
import pytest
from tests.unit.report.htmlcheck import external_refs, read_html, table_dicts

import dayafter as da
from dayafter.comparison import comparison_table
from dayafter.report import dossier_from_case, pdf_available, render_html, write_report

REQUIRE_PDF = os.environ.get("DAYAFTER_REQUIRE_PDF") == "1"


def _need_pdf_tools() -> None:
    ok, why = pdf_available()
    missing = [] if ok else [why]
    for tool in ("pdftoppm", "pdfimages", "pdftotext"):
        if shutil.which(tool) is None:
            missing.append(f"{tool} missing: apt-get install poppler-utils")
    if missing:
        if REQUIRE_PDF:
            pytest.fail("PDF tooling required (DAYAFTER_REQUIRE_PDF=1): " + "; ".join(missing))
        pytest.skip("PDF tooling missing: " + "; ".join(missing))


@pytest.fixture(scope="module")
def dossier(iraq):
    return dossier_from_case(iraq, created="2026-01-01T00:00:00+00:00")


@pytest.fixture(scope="module")
def html(dossier):
    return render_html(dossier)


def _num(text: str) -> float:
    return float(text.replace(",", "").rstrip("%"))


def test_all_five_scenarios_are_reported(iraq, dossier):
    assert [p.name for p in dossier.plans] == list(iraq.plans)
    assert len(dossier.plans) == 5
    assert dossier.reference is not None and dossier.reference.name == iraq.reference


def test_html_has_no_external_references(html):
    assert external_refs(html) == []
    assert read_html(html).img_count == 16  # three maps for each of the five plans, one overview


def test_region_and_community_tables_equal_the_api(iraq, dossier, html):
    r = read_html(html)
    labels = {k: iraq.community_label(k) for k in iraq.territory.communities}
    for i, plan in enumerate(dossier.plans, start=1):
        ev = da.evaluate(iraq.territory, plan, reference=iraq.reference_plan)
        d = ev.to_dict()
        for census, cd in d["censuses"].items():
            rows = table_dicts(r.tables[f"plan-{i}-{census}-regions"])
            assert [row["region"] for row in rows] == [x["name"] for x in cd["regions"]]
            for row, ref in zip(rows, cd["regions"], strict=True):
                assert _num(row["population"]) == pytest.approx(ref["population"], abs=0.5)
                assert "imputed share" in row
                if ref["largest"] is not None:
                    assert row["largest community"] == labels[ref["largest"]]
                    assert _num(row["largest share"]) == pytest.approx(100 * ref["largest_share"], abs=0.051)
            comm = table_dicts(r.tables[f"plan-{i}-{census}-communities"])
            for row, (key, ref) in zip(comm, cd["communities"].items(), strict=True):
                assert row["community"] == labels[key]
                assert row["community_ar"] == iraq.communities[key]["label_ar"]
                assert _num(row["stranded people"]) == pytest.approx(ref["stranded_people"], abs=0.5)
                if ref["empowerment_plurality"] is not None:
                    assert _num(row["empowered (plurality)"]) == pytest.approx(
                        100 * ref["empowerment_plurality"], abs=0.051)


def test_criteria_and_change_equal_the_api(iraq, dossier, html):
    r = read_html(html)
    for i, plan in enumerate(dossier.plans, start=1):
        ev = da.evaluate(iraq.territory, plan, reference=iraq.reference_plan)
        res = da.check_criteria(ev, iraq.criteria)
        rows = table_dicts(r.tables[f"plan-{i}-criteria"])
        assert [(x["criterion"], x["census"], x["result"]) for x in rows] == [
            (x.criterion.name, x.census, "pass" if x.passed else "FAIL") for x in res]
        for row, x in zip(rows, res, strict=True):
            for f in x.failing:
                for region in f.get("regions", []):
                    assert region in row["failing"]
        if plan.name != iraq.reference and ev.change.units_moved:
            change = table_dicts(r.tables[f"plan-{i}-change"])
            assert sum(int(c["units"]) for c in change) == ev.change.units_moved


def test_comparison_equals_comparison_table(iraq, dossier, html):
    evs = [da.evaluate(iraq.territory, p, reference=iraq.reference_plan) for p in iraq.plans.values()]
    ref = comparison_table(evs, community_labels={k: iraq.community_label(k)
                                                  for k in iraq.territory.communities},
                           criteria=iraq.criteria)
    rows = read_html(html).tables["comparison-table"]
    assert rows[0][2:] == list(iraq.plans)
    body = {(row[0], row[1]): row[2:] for row in rows[1:]}
    assert len(body) == len(ref)
    for (section, metric), vals in ref.iterrows():
        got = body[(section, metric)]
        for g, v in zip(got, vals.tolist(), strict=True):
            if isinstance(v, str):
                assert g == v
            elif g != "-":
                scale = 100 if g.endswith("%") else 1
                decimals = len(g.rstrip("%").partition(".")[2])
                assert _num(g) == pytest.approx(scale * v, abs=0.501 * 10.0 ** -decimals)


def test_names_in_latin_and_arabic_and_provenance(iraq, html):
    r = read_html(html)
    units = table_dicts(r.tables["units-table"])
    t = iraq.territory
    assert [u["unit_id"] for u in units] == t.unit_ids.tolist()
    assert [u["name_ar"] for u in units] == t.labels["name_ar"].tolist()
    assert [u["name_en"] for u in units] == t.labels["name_en"].tolist()
    assert [u["governorate_ar"] for u in units] == t.labels["governorate_ar"].tolist()
    assert html.count('dir="rtl" lang="ar"') >= 3 * t.n_units
    legend = r.tables["plan-1-legend"]
    assert legend[0][1:] == [iraq.community_label(k) for k in t.communities]
    assert legend[1][1:] == [iraq.communities[k]["label_ar"] for k in t.communities]
    prov = table_dicts(r.tables["provenance-table"])
    status = iraq.provenance["status"]
    share = float((status == "imputed").mean())
    allrow = [p for p in prov if p["census"] == "all" and p["status"] == "imputed"]
    assert (_num(allrow[0]["share"]) if allrow else 0.0) == pytest.approx(100 * share, abs=0.051)
    text = unescape(html)
    assert t.content_hash in text
    assert iraq.sources_md.splitlines()[0] in text


def test_xlsx_tables_equal_the_api(iraq, dossier, tmp_path):
    from openpyxl import load_workbook

    path = write_report(dossier, tmp_path / "dossier.xlsx")
    regions = pd.read_excel(path, sheet_name="regions", dtype={"plan": str, "census": str})
    for plan in dossier.plans:
        ev = da.evaluate(iraq.territory, plan)
        for census in ev.censuses:
            sub = regions[(regions["plan"] == plan.name) & (regions["census"] == census)]
            assert np.allclose(sub["population"].to_numpy(), ev.census(census).population)
    wb = load_workbook(path, read_only=True)  # read-only workbooks keep the file open until closed
    try:
        rows = list(wb["units"].iter_rows(values_only=True))
    finally:
        wb.close()
    assert rows[0][0] == "unit_id"
    assert [r[0] for r in rows[1:]] == iraq.territory.unit_ids.tolist()


def _hex(c: str) -> np.ndarray:
    return np.array([int(c[i:i + 2], 16) for i in (1, 3, 5)], dtype=float)


@pytest.mark.slow
@pytest.mark.pdf
def test_pdf_pages_show_the_maps(iraq, tmp_path):
    _need_pdf_tools()
    from PIL import Image

    names = [iraq.reference, "nineveh-plains-sinjar-province"]
    d = dossier_from_case(iraq, names)
    pdf = write_report(d, tmp_path / "dossier.pdf")
    assert pdf.read_bytes().startswith(b"%PDF-")
    listing = subprocess.run(["pdfimages", "-list", str(pdf)], capture_output=True, text=True,
                             check=True).stdout.splitlines()[2:]
    assert len([ln for ln in listing if " image " in ln]) >= 7  # overview, three maps per plan
    subprocess.run(["pdftoppm", "-r", "30", "-png", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 4
    # the authority colours of the maps appear on the rendered pages
    colours = [d.palette.authority_colour(a) for a in sorted(d.palette.authority)]
    seen = set()
    for page in pages:
        px = np.asarray(Image.open(page).convert("RGB"), dtype=float).reshape(-1, 3)
        for c in colours:
            if (np.abs(px - _hex(c)).max(axis=1) < 12).sum() > 200:
                seen.add(c)
    assert seen == set(colours)
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    ev = d.sections[1].evaluation
    assert f"{ev.census('baseline').population[0]:,.0f}" in text
    assert "nineveh-plains-sinjar-province" in text


def test_security_and_settlement_sections_equal_the_engines(iraq, tmp_path):
    import json
    from importlib import resources
    from pathlib import Path

    from dayafter.security import allocate_forces, load_force_catalog
    from dayafter.settle import claims_from_spec, settle

    pkg = resources.files("dayafter.cases.northern_iraq")
    t = iraq.territory
    cat = load_force_catalog(Path(str(pkg / "security" / "forces.json")))
    problem, _, _ = claims_from_spec(t, json.loads((pkg / "settle" / "parties.json").read_text()))
    st = settle(problem, "knaster")
    names = [iraq.reference, "krg-releases-claims"]
    runs = {n: allocate_forces(t, cat, plan=iraq.plans[n]) for n in names}
    d = dossier_from_case(iraq, names, security=runs, settlements=[st], maps=False)
    r = read_html(render_html(d))
    summary = table_dicts(r.tables["security-summary"])
    assert [x["plan"] for x in summary] == names
    for i, name in enumerate(names, start=1):
        a = runs[name]
        assert _num(summary[i - 1]["shortfall"]) == pytest.approx(a.total_shortfall, abs=0.5)
        forces = table_dicts(r.tables[f"plan-{i}-security-forces"])
        assert [f["force"] for f in forces] == list(a.force_names)
        for f, used, rep in zip(forces, a.used, a.force_report(), strict=True):
            assert _num(f["used"]) == pytest.approx(used, abs=0.5)
            assert f["why not used"] == ("; ".join(rep["why"]) or "")
        rows = table_dicts(r.tables[f"plan-{i}-security"])
        ref = a.by_region(iraq.plans[name])
        assert [x["region"] for x in rows] == [x["region"] for x in ref]
        for row, x in zip(rows, ref, strict=True):
            assert _num(row["shortfall"]) == pytest.approx(x["shortfall"], abs=0.5)
            assert _num(row["requirement"]) == pytest.approx(x["requirement"], abs=0.5)
        # every unit's requirement is counted in exactly one region
        assert sum(_num(x["requirement"]) for x in rows) == pytest.approx(a.requirement.sum(), abs=len(rows))
    parties = table_dicts(r.tables["settlement-1-parties"])
    assert [p["party"] for p in parties] == list(problem.parties)
    for p, tr in zip(parties, st.transfers, strict=True):
        assert _num(p["transfer"]) == pytest.approx(tr, abs=0.5)
    units = table_dicts(r.tables["settlement-1-units"])
    assert [(u["unit_id"], u["holder"]) for u in units] == [
        (x["unit_id"], x["holder"]) for x in st.to_dict()["units"]]
    path = write_report(d, tmp_path / "d.xlsx")
    sheets = pd.read_excel(path, sheet_name=None)
    assert {"security forces", "security regions", "settlement parties", "settlement units"} <= set(sheets)
    assert np.allclose(sheets["settlement parties"]["transfer"].to_numpy(), st.transfers)
