"""Safe drafts: one per browser session, a version on every change (stale edits refused), changes
streamed to the session's other tabs, and drafts with their undo history kept in SQLite across a
restart of the server."""

from __future__ import annotations

import json
import sqlite3

import numpy as np
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dayafter.web import Settings, create_app
from dayafter.web.demo import grid_workspace
from dayafter.web.drafts import StaleDraft
from dayafter.web.security import CSRF_HEADER
from dayafter.web.workspace import Workspace

CSRF = {CSRF_HEADER: "1"}  # what the workbench page sends with every change


def _app(plans_dir):
    return create_app(Settings(workspace=grid_workspace(6, 6, plans_dir=plans_dir)))


def _browser(app) -> TestClient:
    """A client with a session of its own, as the front end gets one."""
    c = TestClient(app, headers=CSRF)
    r = c.get("/api/session")
    assert r.status_code == 200 and "dayafter_session" in c.cookies
    assert r.json()["new"] is True
    return c


def _version(c) -> int:
    return c.get("/api/draft").json()["draft"]["version"]


def test_each_browser_session_has_its_own_draft(tmp_path):
    app = _app(tmp_path / "plans")
    a, b = _browser(app), _browser(app)
    assert a.cookies["dayafter_session"] != b.cookies["dayafter_session"]
    start = a.get("/api/draft").json()["draft"]["assignment"]
    r = a.post("/api/draft/paint", json={"region": 1, "units": [0]})
    assert r.status_code == 200 and r.json()["changed"] == [0]
    assert a.get("/api/draft").json()["draft"]["assignment"][0] == 1
    assert b.get("/api/draft").json()["draft"]["assignment"] == start  # B's draft is untouched
    assert b.post("/api/draft/undo").json()["done"] is False  # B's undo cannot undo A's edit
    assert a.get("/api/draft").json()["draft"]["undo"] == 1
    # a second call keeps the session; a script without the cookie edits the shared draft
    assert a.get("/api/session").json()["new"] is False
    ws = app.state.workspace
    assert ws.draft.plan.assignment.tolist() == start


def test_a_stale_edit_is_refused_and_names_the_versions(tmp_path):
    app = _app(tmp_path / "plans")
    tab1 = _browser(app)
    tab2 = TestClient(app, headers=CSRF, cookies=dict(tab1.cookies))  # the same browser, another tab
    v = _version(tab1)
    start = tab1.get("/api/draft").json()["draft"]["assignment"]
    u = next(i for i, j in enumerate(start) if j != 1 and i > 0)
    r = tab1.post("/api/draft/paint", json={"region": 1, "units": [0]},
                  headers={"X-Dayafter-Draft-Version": str(v)})
    assert r.status_code == 200 and r.json()["draft"]["version"] == v + 1
    for method, path, body in [("post", "/api/draft/paint", {"region": 1, "units": [u]}),
                               ("post", "/api/draft/undo", None), ("post", "/api/draft/regions", {"name": "X"}),
                               ("patch", "/api/draft", {"title": "T"}), ("delete", "/api/draft/regions/0", None),
                               ("post", "/api/plans/halves/open", None)]:
        kw = {"json": body} if body is not None else {}
        stale = getattr(tab2, method)(path, headers={"X-Dayafter-Draft-Version": str(v)}, **kw)
        assert stale.status_code == 409, path
        err = stale.json()
        assert err["error"] == "StaleDraft"
        assert f"version {v} " in err["message"] and f"version {v + 1}" in err["message"]
        assert err["hint"]
        # the same in the reader's language: the catalogue's key and the versions as numbers
        name = tab1.get("/api/draft").json()["draft"]["name"]
        assert err["message_i18n"]["key"] == ("web.stale_draft" if name else "web.stale_draft_unnamed")
        assert {k: err["message_i18n"]["args"][k] for k in ("expect", "version")} == {"expect": v, "version": v + 1}
        assert err["hint_i18n"]["key"] == "web.stale_draft_hint"
    d = tab1.get("/api/draft").json()["draft"]
    assert d["version"] == v + 1 and d["undo"] == 1 and d["assignment"][u] != 1
    ok = tab2.post("/api/draft/paint", json={"region": 1, "units": [u]},
                   headers={"X-Dayafter-Draft-Version": str(v + 1)})
    assert ok.status_code == 200
    bad = tab2.post("/api/draft/undo", headers={"X-Dayafter-Draft-Version": "seven"})
    assert bad.status_code == 422 and "X-Dayafter-Draft-Version" in bad.json()["message"]
    assert bad.json()["message_i18n"] == {"key": "web.bad_version_header", "args": {"value": "seven"}}


def test_versions_grow_with_every_change_and_never_repeat(tmp_path):
    ws = grid_workspace(4, 4, plans_dir=tmp_path / "plans")
    seen = [ws.draft.version]
    ws.paint([0], 1)
    seen.append(ws.draft.version)
    ws.set_lock(0, True)
    seen.append(ws.draft.version)
    ws.open("halves")  # a new draft continues the version count: an old tab cannot edit it
    seen.append(ws.draft.version)
    ws.new_plan()
    seen.append(ws.draft.version)
    ws.undo()  # nothing to undo: no change, no new version
    seen.append(ws.draft.version)
    assert seen == [0, 1, 2, 3, 4, 4]
    with pytest.raises(StaleDraft):
        ws.paint([1], 0, expect=3)


def test_drafts_and_undo_history_survive_a_restart(tmp_path):
    plans = tmp_path / "plans"
    app = _app(plans)
    c = _browser(app)
    cookie = dict(c.cookies)
    start = c.get("/api/draft").json()["draft"]["assignment"]
    for u in (0, 1, 2):
        c.post("/api/draft/paint", json={"region": 1, "units": [u]})
    c.post("/api/draft/undo")
    c.post("/api/draft/regions", json={"name": "East"})
    c.patch("/api/draft", json={"title": "Working title", "notes": "Two lines\nof notes"})
    c.put("/api/draft/regions/0/lock", json={"locked": True})
    before = c.get("/api/draft").json()["draft"]
    app.state.workspace.store.close()
    assert (tmp_path / "plans.drafts.sqlite").is_file()

    app2 = _app(plans)  # a new server process reads the same plan folder
    c2 = TestClient(app2, headers=CSRF, cookies=cookie)
    after = c2.get("/api/draft").json()["draft"]
    assert after == before
    assert after["title"] == "Working title" and after["notes"] == "Two lines\nof notes"
    assert after["locked"] == [0] and after["redo"] == 0 and after["undo"] == 4
    for _ in range(4):
        c2.post("/api/draft/undo")
    assert c2.get("/api/draft").json()["draft"]["assignment"] == start
    for _ in range(4):
        c2.post("/api/draft/redo")
    assert c2.get("/api/draft").json()["draft"]["assignment"] == before["assignment"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=st.lists(st.tuples(st.sampled_from(["paint", "undo", "redo", "add", "remove", "lock", "open",
                                                "title"]),
                              st.integers(0, 15), st.integers(-1, 3)), max_size=25))
def test_the_stored_draft_is_the_draft_in_memory_after_any_edits(tmp_path_factory, ops):
    plans = tmp_path_factory.mktemp("drafts") / "plans"
    ws = grid_workspace(4, 4, plans_dir=plans)
    for op, u, j in ops:
        try:
            if op == "paint":
                ws.paint([u], j, session="s")
            elif op == "undo":
                ws.undo(session="s")
            elif op == "redo":
                ws.redo(session="s")
            elif op == "add":
                ws.add_region(f"R{u}", session="s")
            elif op == "remove":
                ws.remove_region(max(j, 0), session="s")
            elif op == "lock":
                ws.set_lock(max(j, 0), bool(u % 2), session="s")
            elif op == "open":
                ws.open("halves" if u % 2 else "stripes", session="s")
            else:
                ws.edit_details(title=f"t{u}", session="s")
        except Exception as exc:  # refused edits (no such region, locked region...) change nothing
            assert type(exc).__name__ == "InputDataError", exc
    mem = ws.draft_of("s")
    ws.store.close()
    again = Workspace(ws.territory, scenarios=ws.scenarios, plans_dir=plans)
    disk = again.draft_of("s")
    assert disk.plan == mem.plan
    assert (disk.version, disk.base, disk.dirty, disk.locked) == (mem.version, mem.base, mem.dirty, mem.locked)
    for stack in ("undo", "redo"):
        got, want = getattr(disk, stack), getattr(mem, stack)
        assert len(got) == len(want)
        for a, b in zip(got, want, strict=True):
            assert np.array_equal(a[0], b[0]) and a[1] == b[1] and a[2:4] == b[2:4] and dict(a[4]) == dict(b[4])
    again.store.close()


def _serve(app):
    """uvicorn serving ``app`` in a thread (the test client buffers whole responses, so an endless
    event stream needs a real server); yields the base URL."""
    import contextlib
    import socket
    import threading
    import time

    import uvicorn

    @contextlib.contextmanager
    def run():
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                               timeout_graceful_shutdown=1))
        t = threading.Thread(target=server.run, daemon=True)
        t.start()
        t0 = time.monotonic()
        while not server.started:
            assert t.is_alive() and time.monotonic() - t0 < 30, "the test server did not start"
            time.sleep(0.02)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            t.join(timeout=10)

    return run()


def test_the_other_tabs_of_a_session_hear_of_each_change(tmp_path):
    import http.client
    import urllib.parse

    app = _app(tmp_path / "plans")
    with _serve(app) as url:
        host = urllib.parse.urlsplit(url)
        conn = http.client.HTTPConnection(host.hostname, host.port, timeout=10)
        conn.request("GET", "/api/session")
        r = conn.getresponse()
        r.read()
        cookie = r.getheader("set-cookie").split(";")[0]
        c = TestClient(app, headers=CSRF, cookies=dict([cookie.split("=", 1)]))
        v = _version(c)
        conn.request("GET", "/api/draft/events", headers={"Cookie": cookie})
        stream = conn.getresponse()
        assert stream.status == 200 and stream.getheader("content-type").startswith("text/event-stream")
        events = []
        while len(events) < 2:
            line = stream.readline().decode()
            assert line, "the stream ended"
            if line.startswith("data: "):
                events.append(json.loads(line[6:]))
                if len(events) == 1:  # the current version first, then each change
                    r = c.post("/api/draft/paint", json={"region": 1, "units": [0]},
                               headers={"X-Dayafter-Tab": "tab-b"})
                    assert r.status_code == 200, r.text
        conn.close()
    assert events == [{"version": v, "tab": ""}, {"version": v + 1, "tab": "tab-b"}]


def test_saving_a_scenario_copy_does_not_keep_its_title_and_notes(tmp_path):
    ws = grid_workspace(4, 4, plans_dir=tmp_path / "plans")
    ws.open("stripes")
    ws.paint([0], 1)
    plan = ws.save_draft("my variant")
    assert plan.meta["title"] == "my variant"
    assert plan.notes == "Derived from the scenario 'stripes'."
    assert plan.meta["derived_from"] == "stripes"
    row = next(p for p in ws.list_plans() if p["name"] == "my variant")
    assert row["title"] == "my variant"
    # edited title and notes are kept
    ws.open("halves")
    ws.edit_details(title="Halves, revised", notes="Why: a test.")
    plan = ws.save_draft("halves 2")
    assert plan.meta["title"] == "Halves, revised" and plan.notes == "Why: a test."
    assert ws.draft.dirty is False and ws.draft.base == "halves 2"


def test_delete_a_region_and_give_it_a_colour(tmp_path):
    ws = grid_workspace(4, 4, plans_dir=tmp_path / "plans", k=3)
    ws.open("stripes")
    k = ws.draft.plan.k
    before = ws.draft.plan.assignment.copy()
    ws.edit_region(1, color="#123ABC")
    ws.edit_region(1, name="Middle")
    assert ws.draft_state()["colors"][1] == "#123abc"  # the colour follows the renamed region
    ws.set_lock(k - 1, True)
    ws.remove_region(1)
    p = ws.draft.plan
    assert p.k == k - 1 and "Middle" not in p.region_names
    a = before.astype(int)
    want = np.where(a == 1, -1, np.where(a > 1, a - 1, a))
    assert p.assignment.tolist() == want.tolist()
    assert ws.draft.locked == {k - 2}  # the lock moved with its region
    assert all(c is None for c in ws.draft_state()["colors"])
    ws.undo()
    assert ws.draft.plan.k == k and ws.draft_state()["colors"][1] == "#123abc"
    with pytest.raises(Exception, match="not #rrggbb"):
        ws.edit_region(0, color="#12345")
    one = ws.new_plan()
    assert one.k == 1
    with pytest.raises(Exception, match="at least one region"):
        ws.remove_region(0)


def test_a_damaged_drafts_file_is_one_clear_error(tmp_path):
    (tmp_path / "plans.drafts.sqlite").write_bytes(b"this is not a database" * 100)
    with pytest.raises(Exception) as exc:
        grid_workspace(3, 3, plans_dir=tmp_path / "plans")
    assert "drafts file" in str(exc.value) and "delete it" in str(exc.value)


def test_drafts_of_other_data_are_not_read(tmp_path):
    plans = tmp_path / "plans"
    ws = grid_workspace(4, 4, plans_dir=plans)
    ws.paint([0], 1, session="s")
    ws.store.close()
    other = grid_workspace(4, 5, plans_dir=plans)  # another territory in the same folder
    assert other.draft_of("s").undo == []
    other.store.close()
    with sqlite3.connect(plans.with_name("plans.drafts.sqlite")) as db:
        hashes = {r[0] for r in db.execute("SELECT territory_hash FROM drafts")}
    assert hashes == {other.territory.content_hash}


def _committed_version(db_path, session=""):
    """The draft version another connection reads from the file (what a restart would find)."""
    with sqlite3.connect(db_path) as db:
        row = db.execute("SELECT version FROM drafts WHERE session = ?", (session,)).fetchone()
    return None if row is None else int(row[0])


def test_every_answered_edit_is_committed_before_the_answer(tmp_path):
    plans = tmp_path / "plans"
    app = _app(plans)
    db_path = tmp_path / "plans.drafts.sqlite"
    assert app.state.workspace.store.group_commits
    c = TestClient(app, headers=CSRF)
    for u in range(5):
        v = c.post("/api/draft/paint", json={"region": 1, "units": [u]}).json()["draft"]["version"]
        assert _committed_version(db_path) == v  # read by another connection: on disk
    v = c.post("/api/draft/undo").json()["draft"]["version"]
    assert _committed_version(db_path) == v
    # an edit refused halfway leaves the others (its own writes are rolled back alone)
    assert c.post("/api/draft/paint", json={"region": 9, "units": [0]}).status_code == 422
    assert _committed_version(db_path) == v


def test_grouped_edits_commit_together_and_a_failed_one_alone_is_undone(tmp_path):
    from dayafter.web.drafts import flush_pending

    ws = grid_workspace(4, 4, plans_dir=tmp_path / "plans")
    store = ws.store
    store.group_commits = True
    db_path = store.path
    v0 = ws.draft.version

    def stroke(u):
        assert ws.paint([u], 1 - max(int(ws.draft.plan.assignment[u]), 0))["changed"] == [u]

    stroke(0)
    stroke(1)
    assert _committed_version(db_path) == v0  # held: not committed yet
    with pytest.raises(RuntimeError), store.transaction():
        store.set_setting("doomed", "1")
        raise RuntimeError("an edit that fails")
    flush_pending()
    assert _committed_version(db_path) == v0 + 2
    assert store.setting("doomed") is None
    stroke(2)
    store.close()  # closing commits what is held
    with sqlite3.connect(db_path) as db:
        assert db.execute("SELECT version FROM drafts WHERE session = ''").fetchone()[0] == v0 + 3
        assert db.execute("SELECT count(*) FROM history WHERE session = '' AND stack = 'undo'").fetchone()[0] == 3
