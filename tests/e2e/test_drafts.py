"""Safe drafts in the browser: two tabs of one session (a change in one shows in the other; a stale
edit is refused and the tab shows the current draft), the draft surviving a restart of the server,
a visible error while the server is down, and editable title and notes."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.e2e


def unit_xy(pg, i: int) -> tuple[float, float]:
    """Screen position of the centre of unit ``i``."""
    return tuple(pg.evaluate(
        """(i) => { const S = window.dayafter; const b = S.bboxes[i];
        const p = S.map.project([(b[0] + b[2]) / 2, (b[1] + b[3]) / 2]);
        const r = S.map.getCanvas().getBoundingClientRect(); return [r.left + p.x, r.top + p.y]; }""", i))


def _click_unit(pg, i: int) -> None:
    x, y = unit_xy(pg, i)
    pg.mouse.click(x, y)


def test_two_tabs_of_one_session(browser, grid_server, e2e):
    context = browser.new_context(viewport={"width": 1500, "height": 1000})
    try:
        a = context.new_page()
        b = context.new_page()
        errors: list[str] = []
        for pg in (a, b):
            pg.on("pageerror", lambda e: errors.append(str(e)))
        a.goto(grid_server.url)
        e2e.wait_ready(a)
        b.goto(grid_server.url)
        e2e.wait_ready(b)
        assert a.evaluate("window.dayafter.draft.version") == b.evaluate("window.dayafter.draft.version")
        # a change in tab A reaches tab B through the draft event stream, without a reload
        a.get_by_role("radio", name="Stripe 2").check()
        _click_unit(a, 0)
        a.wait_for_function("window.dayafter.draft.undo === 1")
        b.wait_for_function("window.dayafter.draft.undo === 1 && window.dayafter.assignment[0] === 1", timeout=10_000)
        assert "another tab" in b.locator("#status").inner_text()
        # tab B stops hearing of changes (as when its stream is slow): its next edit is stale
        b.evaluate("window.dayafterStore.set({draft: {...window.dayafter.draft, version: window.dayafter.draft.version - 1}})")
        stale = b.evaluate("window.dayafter.draft.version")
        b.get_by_role("radio", name="Stripe 2").check()
        _click_unit(b, 1)
        b.wait_for_function("document.getElementById('status').dataset.kind === 'error'")
        assert "changed in another tab" in b.locator("#status").inner_text()
        # the edit was refused: the draft is as tab A left it, and tab B shows it again
        b.wait_for_function(f"window.dayafter.draft.version > {stale}")
        assert b.evaluate("window.dayafter.assignment") == a.evaluate("window.dayafter.assignment")
        assert b.evaluate("window.dayafter.draft.undo") == 1
        assert not errors, errors
    finally:
        context.close()


def test_the_draft_survives_a_restart_and_the_tab_says_when_the_server_is_down(browser, tmp_path, e2e):
    from dayafter.web import Settings
    from dayafter.web.demo import grid_workspace

    plans = tmp_path / "plans"
    context = browser.new_context(viewport={"width": 1500, "height": 1000})
    try:
        srv = e2e.LiveServer(Settings(workspace=grid_workspace(6, 6, plans_dir=plans)))
        port = srv.port
        with srv:
            pg = context.new_page()
            pg.goto(srv.url)
            e2e.wait_ready(pg)
            pg.get_by_label("Title").fill("Northern variant")
            pg.get_by_role("button", name="Keep title and notes").click()
            pg.wait_for_function("window.dayafter.draft.title === 'Northern variant'")
            assert pg.locator("#draft-name").inner_text() == "Northern variant"
            pg.get_by_role("radio", name="Stripe 2").check()
            for i in (0, 6):
                _click_unit(pg, i)
                pg.wait_for_function(f"window.dayafter.assignment[{i}] === 1")
            before = pg.evaluate("[window.dayafter.assignment, window.dayafter.draft.undo]")
            srv.app.state.workspace.store.close()
        # the server is gone: the tab says so, and an edit is not reported as done
        pg.wait_for_selector("#offline:not([hidden])", timeout=15_000)
        _click_unit(pg, 12)
        pg.wait_for_function("document.getElementById('status').dataset.kind === 'error'")
        assert "cannot be reached" in pg.locator("#status").inner_text()
        assert pg.evaluate("window.dayafter.assignment[12]") != 1 or before[0][12] == 1

        srv2 = e2e.LiveServer(Settings(workspace=grid_workspace(6, 6, plans_dir=plans)), port=port)
        with srv2:
            # the same tab reconnects by itself; a fresh page of the session finds its draft
            pg.wait_for_selector("#offline[hidden]", state="attached", timeout=15_000)
            again = context.new_page()
            again.goto(srv2.url)
            e2e.wait_ready(again)
            assert again.evaluate("[window.dayafter.assignment, window.dayafter.draft.undo]") == before
            assert again.locator("#draft-name").inner_text() == "Northern variant"
            assert again.get_by_label("Title").input_value() == "Northern variant"
            again.get_by_role("button", name="Undo").click()
            again.wait_for_function(f"window.dayafter.draft.undo === {before[1] - 1}")
            assert again.evaluate("window.dayafter.assignment[6]") != 1
            srv2.app.state.workspace.store.close()
    finally:
        context.close()
