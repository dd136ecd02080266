"""Shared evidence in the browser: the report button's job (progress, then the HTML dossier
downloaded and opened), a read-only link opened by a second party, and the print stylesheet."""

from __future__ import annotations

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
