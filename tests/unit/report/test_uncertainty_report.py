"""The report's uncertainty section: interval bars, robust/fragile column, sensitivity chart."""

from __future__ import annotations

import numpy as np
import pytest
from tests.unit.report.htmlcheck import external_refs

import dayafter as da
from dayafter.plan import Plan, Region
from dayafter.report import build_dossier, render_html, xlsx_tables
from dayafter.report.uncertainty import interval_svg, uncertainty_section, uncertainty_table
from dayafter.territory import CensusRange
from dayafter.testing.grids import grid_territory


@pytest.fixture(scope="module")
def setup():
    # community b is 9% of the west: its stranded share jumps at 9%, within 2 points of 10%
    tab = np.array([[910.0, 90], [905, 95], [500, 500], [480, 520]])
    t = grid_territory(2, 2, communities=tab)
    r = CensusRange(tab * 0.8, tab * 1.2, tab.sum(1) * 0.9, tab.sum(1) * 1.1, source="test")
    t = t.with_ranges({"census": r})
    west = Plan(np.array([0, 0, 1, 1]), (Region("West", "federal"), Region("East", "krg")),
                t.content_hash, name="west-east")
    one = Plan(np.zeros(4, dtype=int), (Region("All", "federal"),), t.content_hash, name="one")
    crit = da.criteria_from_spec([{"name": "few-stranded", "metric": "stranded", "max": 0.2}])
    return t, west, one, crit


def test_section_holds_ranges_verdicts_pass_shares_and_paired(setup):
    t, west, one, crit = setup
    sec = uncertainty_section(t, [west, one], draws=200, seed=1, reference=one, criteria=crit,
                              labels={"b": "Bees"}, charts=False)
    assert sec.plan_names == ["west-east", "one"] and sec.reference == "one"
    df = uncertainty_table(sec, labels={"b": "Bees"})
    row = df[(df.plan == "west-east") & (df.community == "Bees") & (df.metric == "stranded")].iloc[0]
    assert row.p05 <= row.p50 <= row.p95
    assert row.verdict == "fragile" and "West" in row.reason and "10% stranded" in row.reason
    assert {c["name"] for c in sec.summaries["west-east"]["criteria"]} == {"few-stranded"}
    assert "census/stranded:b" in sec.paired["west-east"]
    assert "one" not in sec.paired
    assert sec.sweeps["west-east"]["census"]["communities"]["b"]["flips"]


def test_dossier_with_draws_renders_the_section(setup):
    t, west, one, crit = setup
    d = build_dossier(t, [west, one], reference=one, criteria=crit, labels={"b": "Bees"}, maps=False,
                      draws=100, seed=2, created="2026-01-01T00:00:00+00:00")
    m = d.manifest["parameters"]["extras"]["uncertainty"]
    assert m["draws"] == 100 and m["seed"] == 2 and m["model"]["draws"] == 100
    html = render_html(d)
    assert external_refs(html) == []
    assert 'id="uncertainty"' in html and 'href="#uncertainty"' in html
    assert "<svg class=\"interval\"" in html
    assert "fragile" in html and "robust" in html.lower()
    assert "Why fragile" in html and "Sensitivity to the stranded threshold" in html
    assert html.count("data:image/png;base64,") >= 2      # interval and sensitivity charts
    sheets = xlsx_tables(d)
    assert {"uncertainty", "uncertainty criteria", "uncertainty paired"} <= set(sheets)
    assert set(sheets["uncertainty"]["verdict"]) <= {"robust", "fragile"}


def test_dossier_without_draws_has_no_section(setup):
    t, west, _one, _crit = setup
    d = build_dossier(t, [west], maps=False, created="2026-01-01T00:00:00+00:00")
    assert not d.extras and "extras" not in d.manifest["parameters"]
    html = render_html(d)
    assert 'id="uncertainty"' not in html
    assert "uncertainty" not in xlsx_tables(d)


def test_interval_svg_scales_to_the_bar():
    svg = interval_svg(0.5, 0.25, 0.75, width=102)
    assert 'x="26.0"' in svg and 'width="50.0"' in svg      # 25% .. 75% of a 100-pixel track
    assert interval_svg(None, 0.1, 0.2) == ""
    assert "#cc3311" in interval_svg(0.1, 0.0, 0.3, fragile=True)
