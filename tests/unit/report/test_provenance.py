"""The provenance part of the report: figures by size and composition status with their ranges, and
the census comparison per district, checked against hand computations on small tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from tests.unit.report.htmlcheck import read_html, table_dicts

from dayafter.plan import Plan, Region
from dayafter.report import (
    build_dossier,
    census_comparison_table,
    provenance_statuses,
    render_html,
    xlsx_tables,
)
from dayafter.testing.grids import grid_territory

PROV = pd.DataFrame({
    "census": ["census"] * 6,
    "unit_id": ["u00000"] * 3 + ["u00001"] * 3,
    "field": ["total", "a", "b"] * 2,
    "value": ["100", "60", "40", "50", "50", "0"],
    "low": ["100", "30", "20", "25", "40", "0"],
    "high": ["100", "90", "60", "100", "80", "0"],
    "size_status": ["sourced", "sourced", "sourced", "imputed", "imputed", "imputed"],
    "composition_status": ["derived", "derived", "imputed", "imputed", "imputed", "imputed"],
    "status": ["sourced", "derived", "imputed", "imputed", "imputed", "imputed"],
})


def test_provenance_statuses_by_hand():
    got = provenance_statuses(PROV).set_index(["part", "status"])
    size = got.loc[("size", "sourced")]
    assert size["figures"] == 1 and size["share"] == 0.5
    assert size["people"] == 100 and size["people share"] == pytest.approx(100 / 150)
    assert size["median range"] == 0.0  # a census count: low = high
    imp = got.loc[("size", "imputed")]
    assert imp["median range"] == pytest.approx((100 - 25) / 50)
    der = got.loc[("composition", "derived")]
    assert der["figures"] == 1 and der["people"] == 60
    assert der["median range"] == pytest.approx((90 - 30) / 60)
    ci = got.loc[("composition", "imputed")]
    # b=40 (range 20-60), a=50 (40-80), b=0 (not counted in the median: value 0)
    assert ci["figures"] == 3 and ci["people"] == 90
    assert ci["median range"] == pytest.approx(np.median([40 / 40, 40 / 50]))
    # without the columns, nothing
    assert provenance_statuses(PROV.drop(columns=["size_status"])).empty
    assert provenance_statuses(None).empty


COMP = pd.DataFrame({
    "district": ["D1", "D2"], "district_en": ["One", "Two"], "governorate": ["G", "G"],
    "governorate_en": ["Gov", "Gov"], "census_districts": ["0101 One", ""],
    "census_districts_part": ["", "0102 Two: 40"], "census_total": ["100", "0"],
    "case_current": ["100", "50"], "current_low": ["100", "40"], "current_high": ["100", "60"],
    "difference": ["0", "50"], "match": ["exact", "moves"], "case_baseline": ["80", "50"],
    "growth": ["1.250", "1.000"],
})


def test_census_comparison_table():
    got = census_comparison_table(COMP)
    assert got["census districts"].tolist() == ["0101 One", "part: 0102 Two: 40"]
    assert got["current"].tolist() == [100.0, 50.0] and got["growth"].tolist() == [1.25, 1.0]
    assert census_comparison_table(None).empty


def test_dossier_shows_statuses_and_comparison():
    t = grid_territory(1, 2, communities=np.array([[60.0, 40.0], [50.0, 0.0]]))
    plan = Plan(np.array([0, 0], dtype=np.int32), (Region("All", "federal"),), t.content_hash, name="one")
    d = build_dossier(t, [plan], provenance=PROV, census_comparison=COMP, maps=False,
                      created="2026-01-01T00:00:00+00:00")
    html = render_html(d)
    r = read_html(html)
    st = table_dicts(r.tables["provenance-status-table"])
    assert {(x["part"], x["status"]) for x in st} == {("size", "sourced"), ("size", "imputed"),
                                                       ("composition", "derived"), ("composition", "imputed")}
    comp = table_dicts(r.tables["census-comparison-table"])
    assert [c["district"] for c in comp] == ["D1", "D2"] and comp[1]["match"] == "moves"
    assert "1 of 2 districts match" in html
    tabs = xlsx_tables(d)
    assert len(tabs["provenance statuses"]) == 4 and len(tabs["census comparison"]) == 2
