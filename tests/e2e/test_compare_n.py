"""Comparison of N plans in Chromium: every cell judged better or worse than plan A (a
non-contiguous region is worse, whatever its sign), the map of the units changing authority, and
metrics hidden when they do not fit the plan's purpose."""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.e2e


def unit_xy(pg, i: int) -> tuple[float, float]:
    return tuple(pg.evaluate(
        """(i) => { const S = window.dayafter; const b = S.bboxes[i];
        const p = S.map.project([(b[0] + b[2]) / 2, (b[1] + b[3]) / 2]);
        const r = S.map.getCanvas().getBoundingClientRect(); return [r.left + p.x, r.top + p.y]; }""", i))


def _split_the_draft(page):
    """Paint unit 0 (in Stripe 1, the left column) into Stripe 2: Stripe 2 is in two pieces."""
    page.get_by_role("radio", name="Stripe 2").check()
    x, y = unit_xy(page, 0)
    page.mouse.click(x, y)
    page.wait_for_function("window.dayafter.draft.undo === 1")


def test_three_plans_judged_against_a_and_the_change_map(page, grid_server):
    _split_the_draft(page)
    page.get_by_label("Compare A").select_option("stripes")
    page.get_by_label("with B").select_option("halves")
    page.locator("#cmp-more").get_by_label("The draft").check()
    page.get_by_role("button", name="Compare", exact=True).click()
    page.wait_for_selector("#compare:not([hidden]) #cmp-table tbody tr")
    heads = page.locator("#cmp-table thead th").all_inner_texts()
    assert len(heads) == 7 and heads[2].startswith("A: ") and heads[5].startswith("C: ")
    assert [heads[3], heads[4], heads[6]] == ["B: halves", "B − A", "C − A"]
    row = page.locator("#cmp-table tbody tr[data-key='noncontiguous_regions']")
    cells = row.locator("td")
    # td: section, A, B, B-A, C, C-A; the draft (C) has one more non-contiguous region: worse
    assert cells.nth(4).inner_text() == "1" and cells.nth(5).inner_text() == "1"
    assert "worse" in cells.nth(4).get_attribute("class")
    assert "worse" in cells.nth(5).get_attribute("class")
    assert cells.nth(1).get_attribute("data-verdict") == "reference"
    # cut edges: the verdict follows a count made here, lower is better
    ws = grid_server.workspace
    u, v, _ = ws.territory.graph.edges()
    cut = [int(np.sum(ws.plan(n).assignment[u] != ws.plan(n).assignment[v])) for n in ("stripes", "halves")]
    crow = page.locator("#cmp-table tbody tr[data-key='cut_edges']").locator("td")
    want = "better" if cut[1] < cut[0] else ("worse" if cut[1] > cut[0] else "")
    assert (crow.nth(2).get_attribute("class") or "").replace("num", "").strip() == want
    # the change map: from A (stripes) to C (the draft), unit 0 changes authority
    page.locator("#cmp-changes").select_option("(draft)")
    page.wait_for_function("window.dayafter.compareChanges && window.dayafter.compareChanges.after === '(draft)'")
    ch = page.evaluate("window.dayafter.compareChanges")
    assert ch["units"] == [0] and ch["new"] == [ws.plan("stripes").regions[1].authority]
    pop = {c: float(ws.territory.population(c)[0]) for c in ws.territory.census_names}
    assert ch["people"] == pytest.approx(pop)
    assert "1 unit changes" in page.locator("#cmp-changes-summary").inner_text()
    assert page.locator("#map-b canvas").count() == 1
    # B (halves) against A (stripes): brute force over the units
    page.locator("#cmp-changes").select_option("halves")
    page.wait_for_function("window.dayafter.compareChanges.after === 'halves'")
    old = ws.plan("stripes").authority_of_units()
    new = ws.plan("halves").authority_of_units()
    assert page.evaluate("window.dayafter.compareChanges.units") == np.flatnonzero(old != new).tolist()


def test_deviation_hidden_for_provinces_with_a_why_and_show_all(page, grid_server):
    # the grid's plans carry authorities: their regions are provinces (polities)
    assert page.evaluate("window.dayafter.draft.purpose") == "polities"
    heads = page.locator("#metrics table").first.locator("th[scope=col]").all_inner_texts()
    assert not any(h.startswith("Dev.") for h in heads)
    why = page.locator("#metrics-hidden abbr")
    assert "differ in size by design" in why.get_attribute("title")
    options = "[...document.querySelectorAll('#color-by option')].map(o => o.value)"
    assert "metric:abs_deviation" not in page.evaluate(options)  # nor offered as a map colouring
    page.locator("#show-all-metrics").check()
    page.wait_for_function("[...document.querySelectorAll('#metrics th')].some(h => h.textContent.startsWith('Dev.'))")
    assert "metric:abs_deviation" in page.evaluate(options)
    page.locator("#show-all-metrics").uncheck()
    page.wait_for_function(f"!{options}.includes('metric:abs_deviation')")
    # the comparison hides the row too, with the reason on hover
    page.get_by_label("Compare A").select_option("stripes")
    page.get_by_label("with B").select_option("halves")
    page.get_by_role("button", name="Compare", exact=True).click()
    page.wait_for_selector("#compare:not([hidden]) #cmp-table tbody tr")
    assert page.locator("#cmp-table tbody tr[data-key='max_abs_deviation']").count() == 0
    assert "max |deviation|" in page.locator("#cmp-hidden-note").inner_text()
    page.locator("#cmp-show-all").check()
    page.wait_for_selector("#cmp-table tbody tr[data-key='max_abs_deviation']")
    # a plan of districts shows deviation: the purpose is an edit of the draft
    page.locator("#cmp-show-all").uncheck()
    page.get_by_label("What the regions are for").select_option("districts")
    page.wait_for_function("window.dayafter.draft.purpose === 'districts'")
    page.wait_for_function("[...document.querySelectorAll('#metrics th')].some(h => h.textContent.startsWith('Dev.'))")
    assert page.locator("#metrics-hidden").count() == 0


def test_comparison_and_polities_panels_pass_axe(page, grid_server, e2e):
    import json

    page.get_by_label("Compare A").select_option("stripes")
    page.get_by_label("with B").select_option("halves")
    page.locator("#cmp-more").get_by_label("The draft").check()
    page.get_by_role("button", name="Compare", exact=True).click()
    page.wait_for_selector("#compare:not([hidden]) #cmp-table tbody tr")
    page.wait_for_function("window.dayafter.compareChanges !== undefined")
    page.locator("#polities-box summary").click()
    page.wait_for_selector("#polities-table tbody tr")
    page.add_script_tag(content=e2e.axe_source())
    result = page.evaluate("""async () => {
        const r = await axe.run(document, { resultTypes: ['violations'] });
        return r.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length,
                                       target: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
    }""")
    serious = [v for v in result if v["impact"] in ("serious", "critical")]
    assert not serious, json.dumps(serious, indent=1)
