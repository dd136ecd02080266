"""Shared evidence in the browser: the report button's job (progress, then the HTML dossier
downloaded and opened), a read-only link opened by a second party, and the print stylesheet."""

from __future__ import annotations

import os

import pytest

pytestmark = pytest.mark.e2e


def unit_xy(pg, i: int) -> tuple[float, float]:
    return tuple(pg.evaluate(
        """(i) => { const S = window.dayafter; const b = S.bboxes[i];
        const p = S.map.project([(b[0] + b[2]) / 2, (b[1] + b[3]) / 2]);
        const r = S.map.getCanvas().getBoundingClientRect(); return [r.left + p.x, r.top + p.y]; }""", i))


def test_report_button_makes_a_dossier_to_download_and_open(page, grid_server, tmp_path):
    page.locator("#cmp-b").select_option("halves")
    # HTML only and no maps keeps the test short (the server's job kind gives the defaults)
    page.wait_for_function("window.dayafter.jobKinds !== undefined")
    page.evaluate("""() => { const k = window.dayafter.jobKinds.find(x => x.kind === 'report');
                     k.params.formats = ['html']; k.params.maps = false; }""")
    page.get_by_role("button", name="Make a report (HTML and PDF)").click()
    job = page.locator(".job").first
    job.locator("[data-format='html']").wait_for(timeout=120_000)
    assert job.get_attribute("data-state") == "done"
    assert "2 of 2" in job.locator(".job-progress").inner_text()
    with page.expect_download() as dl:
        job.locator("[data-format='html']").click()
    path = tmp_path / "dossier.html"
    dl.value.save_as(path)
    text = path.read_text(encoding="utf-8")
    assert "halves" in text and "stripes" in text
    viewer = page.context.new_page()
    viewer.goto(path.as_uri())
    assert viewer.locator("h1").first.inner_text().strip()
    viewer.close()


def test_a_read_only_link_shows_the_draft_and_cannot_change_it(browser, page, grid_server):
    page.get_by_role("radio", name="Stripe 2").check()
    x, y = unit_xy(page, 0)
    page.mouse.click(x, y)
    page.wait_for_function("window.dayafter.draft.undo === 1")
    page.get_by_role("button", name="Make a read-only link to this draft").click()
    page.wait_for_function("document.getElementById('share-link').value.includes('?share=')")
    link = page.locator("#share-link").input_value()
    shared = page.evaluate("window.dayafter.assignment")
    other = browser.new_context(viewport={"width": 1500, "height": 1000})  # the second party
    try:
        pg = other.new_page()
        pg.goto(link)
        pg.wait_for_selector("body[data-ready='1']", timeout=60_000)
        assert pg.locator("#readonly").is_visible()
        assert pg.evaluate("window.dayafter.assignment") == shared
        assert not pg.locator("#save").is_visible() and not pg.locator("#new-plan").is_visible()
        assert pg.get_by_role("button", name="Open stripes").count() == 0
        # a click on the map paints nothing; a change asked for directly is refused by the server
        x, y = unit_xy(pg, 1)
        pg.mouse.click(x, y)
        status = pg.evaluate("""async () => (await fetch('api/draft/undo', {method: 'POST',
            headers: {'X-Requested-With': 'dayafter', 'X-Dayafter-Share': new URLSearchParams(location.search).get('share')}})).status""")
        assert status == 403
        assert pg.evaluate("window.dayafter.assignment") == shared
        # the owner's later edits do not reach the link
        page.mouse.click(*unit_xy(page, 1))
        page.wait_for_function("window.dayafter.draft.undo === 2")
        pg.reload()
        pg.wait_for_selector("body[data-ready='1']", timeout=60_000)
        assert pg.evaluate("window.dayafter.assignment") == shared
    finally:
        other.close()


def test_print_shows_the_map_without_the_controls(page, grid_server, tmp_path):
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    page.emulate_media(media="print")
    img = page.locator("#map-print")
    assert img.is_visible()
    assert page.evaluate("document.getElementById('map-print').src.startsWith('data:image/png')")
    assert page.evaluate("document.getElementById('map-print').naturalWidth") > 100
    assert not page.locator("#undo").is_visible() and not page.locator("#job-form").is_visible()
    assert page.locator("#metrics").is_visible()
    pdf = page.pdf(path=str(tmp_path / "print.pdf"))
    assert pdf[:5] == b"%PDF-"
    page.emulate_media(media="screen")


SEARCHES = [("Tal Afar", "Markaz Telafar"), ("تلعفر", "Markaz Telafar"), ("Shingal", "Markaz Sinjar"),
            ("شەنگال", "Markaz Sinjar"), ("Qaraqosh", "Markaz Al-Hamdaniya"), ("بخديدا", "Markaz Al-Hamdaniya"),
            ("Qahtaniya", "Al-Qahtanya"), ("Bashiqa", "Bashiqa")]


def test_legible_map_on_the_built_in_case(browser, tmp_path, e2e):
    """Region labels, outlines, the legend, the reference layers and the place search by each
    spelling, on the built-in case; and the same page in Arabic (right to left)."""
    from dayafter.web import Settings

    with e2e.LiveServer(Settings(plans_dir=tmp_path / "plans")) as srv:
        pg = browser.new_page(viewport={"width": 1500, "height": 1000})
        try:
            _legible(pg, srv, tmp_path, e2e)
        finally:
            pg.close()  # before the server stops: the page holds event streams open


def _legible(pg, srv, tmp_path, e2e):
    pg.goto(srv.url)
    e2e.wait_ready(pg)
    k = pg.evaluate("window.dayafter.draft.regions.length")
    pg.wait_for_function(f"document.querySelectorAll('.region-label').length === {k}")
    assert "largest" in pg.locator(".region-label").first.inner_text()
    assert pg.evaluate("!!window.dayafter.map.getLayer('governorate-outlines') && "
                       "!!window.dayafter.map.getLayer('district-outlines')")
    pg.wait_for_function("window.dayafter.referenceLayers.length === 4")
    assert pg.locator(".place-label", has_text="Mosul").count() == 1
    legend = pg.locator("#legend").inner_text()
    assert "governorate outline" in legend and "river" in legend
    units = pg.evaluate("window.dayafter.units.labels.name_en")
    for query, place in SEARCHES:
        pg.get_by_label("Find a place (English, Arabic or Kurdish)").fill(query)
        pg.get_by_role("button", name="Find", exact=True).click()
        want = units.index(place)
        pg.wait_for_function("(w) => JSON.stringify(window.dayafter.highlight) === JSON.stringify([w])", arg=want)
        assert pg.evaluate(f"window.dayafter.map.getFeatureState({{source: 'units', id: {want}}}).found") is True
    # right to left: the language switch at any time, the labels and legend follow
    pg.get_by_label("Language").select_option("ar")
    pg.wait_for_function("document.documentElement.dir === 'rtl'")
    pg.wait_for_function("document.querySelector('.region-label').textContent.includes('الأكبر')")
    assert "مفتاح الخريطة" in pg.locator("#legend").inner_text()
    pg.evaluate("const S = window.dayafter; S.map.fitBounds(S.meta.bounds, {padding: 20, duration: 0});"
                "document.querySelectorAll('.left, .right, .center').forEach(e => e.scrollTop = 0); window.scrollTo(0, 0);")
    pg.evaluate("const m = window.dayafter.map; m.once('idle', () => { document.body.dataset.idle2 = '1'; }); m.triggerRepaint();")
    pg.wait_for_selector("body[data-idle2='1']")
    pg.screenshot(path=str(tmp_path / "rtl.png"))
    if os.environ.get("DAYAFTER_SAVE_RTL"):
        pg.screenshot(path=os.environ["DAYAFTER_SAVE_RTL"])
