"""Polities and control in Chromium: who governs each region, the units held by another force
or authority (counted here from the plan), and the map coloured by control."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e


def test_polities_panel_and_control_map(page, grid_server, e2e):
    ws = grid_server.workspace
    base = ws.plan("stripes")
    # units 0 and 1 (Stripe 1, federal) held by the KRG: control differs from the polity
    held = base.with_control([0, 1], "krg").renamed("held")
    ws.add_plan(held, open_it=False)
    page.reload()
    e2e.wait_ready(page)
    page.on("dialog", lambda d: d.accept())
    page.get_by_role("button", name="Open held").click()
    page.wait_for_function("window.dayafter.control[0] === 'krg'")
    page.locator("#polities-box summary").click()
    page.wait_for_selector("#polities-table tbody tr")
    rows = page.locator("#polities-table tbody tr")
    assert rows.count() == held.k
    first = rows.nth(0).locator("th, td").all_inner_texts()
    auth = held.regions[0].authority
    assert first[0] == held.regions[0].name and auth in first[1]
    sel = held.assignment == 0
    ctl = held.control_of_units()
    want_others = int(sum(1 for i in range(ws.territory.n_units) if sel[i] and ctl[i] != auth))
    assert first[3] == str(want_others) == "2"
    census = page.evaluate("window.dayafter.census")
    people = float(ws.territory.population(census)[[0, 1]].sum())
    assert first[4] == f"{people:,.0f}"
    assert page.locator("#polities-summary").inner_text().startswith("2 units are held by another")
    assert page.locator("#polities-units li").count() == 2
    first_unit = page.locator("#polities-units li").first.inner_text()
    assert str(ws.territory.unit_ids[0]) in first_unit and "held by KRG" in first_unit
    # the grid ships no force catalog: the panel says the security check does not run
    assert "No force catalog" in page.locator("#polities").inner_text()
    # colour the map by control: the held units take the KRG's colour, their neighbours federal
    page.get_by_role("button", name="Colour the map by control").click()
    page.wait_for_function("window.dayafter.colorBy === 'control'")
    colour = page.evaluate("""() => { const m = window.dayafter.map;
        return [0, 2].map(i => m.getFeatureState({ source: 'units', id: i }).color); }""")
    assert colour[0] != colour[1]
    legend = page.locator("#legend").inner_text()
    assert "Who holds the unit" in legend and "KRG" in legend and "federal" in legend
    # who governs: the held units are still in the federal polity
    page.get_by_label("Colour by").select_option("authority")
    colour2 = page.evaluate("""() => { const m = window.dayafter.map;
        return [0, 2].map(i => m.getFeatureState({ source: 'units', id: i }).color); }""")
    assert colour2[0] == colour2[1] == colour[1]
