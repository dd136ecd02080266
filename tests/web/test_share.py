"""Read-only share links: a signed token shows a copy of the draft; the server refuses every change
made through it, and a bad or expired token, whatever the page does."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from dayafter.web import Settings, create_app
from dayafter.web.demo import grid_workspace
from dayafter.web.security import CSRF_HEADER
from dayafter.web.share import make_token, read_token, share_secret

TOKEN = "an-access-token-of-the-server-0123"


def _app(tmp_path, token=None):
    return create_app(Settings(workspace=grid_workspace(4, 4, plans_dir=tmp_path / "plans"), token=token))


CSRF = {CSRF_HEADER: "1"}  # what the workbench page sends with every change (also through a link)


def _auth(token):
    return {"Authorization": f"Bearer {token}", **CSRF} if token else dict(CSRF)


def _share(app, token=None):
    owner = TestClient(app, headers=_auth(token))
    owner.get("/api/session")
    owner.post("/api/draft/paint", json={"region": 1, "units": [0, 4]})
    owner.patch("/api/draft", json={"title": "Shared variant"})
    shown = owner.get("/api/draft").json()["draft"]
    link = owner.post("/api/share", json={"hours": 2}).json()
    assert link["query"] == f"?share={link['token']}"
    assert link["expires"] > time.time() + 7000
    return owner, shown, link["token"]


def test_a_share_link_shows_a_copy_of_the_draft_and_refuses_every_change(tmp_path):
    app = _app(tmp_path)
    owner, shown, tok = _share(app)
    viewer = TestClient(app, headers=CSRF)
    h = {"X-Dayafter-Share": tok}
    seen = viewer.get("/api/draft", headers=h).json()["draft"]
    assert seen["assignment"] == shown["assignment"] and seen["title"] == "Shared variant"
    assert viewer.get("/api/share", headers=h).json()["read_only"] is True
    assert viewer.get("/api/share").json()["read_only"] is False
    # the owner keeps editing; the link shows the draft as it was shared
    owner.post("/api/draft/paint", json={"region": 1, "units": [8]})
    assert viewer.get("/api/draft", headers=h).json()["draft"]["assignment"] == shown["assignment"]
    for method, path, body in [("post", "/api/draft/paint", {"region": 0, "units": [0]}),
                               ("post", "/api/draft/undo", None), ("patch", "/api/draft", {"title": "x"}),
                               ("post", "/api/draft/save", {"name": "stolen"}), ("post", "/api/share", {}),
                               ("delete", "/api/draft/regions/0", None), ("post", "/api/jobs", {"kind": "report"})]:
        kw = {"json": body} if body is not None else {}
        for where in ({"headers": h}, {"params": {"share": tok}}):
            r = getattr(viewer, method)(path, **where, **kw)
            assert r.status_code == 403 and r.json()["error"] == "ReadOnly", (path, r.status_code)
    assert viewer.get("/api/draft", headers=h).json()["draft"] == seen
    assert "stolen" not in [p["name"] for p in owner.get("/api/plans").json()]


def test_a_tampered_or_expired_token_is_refused(tmp_path):
    app = _app(tmp_path)
    _owner, _shown, tok = _share(app)
    viewer = TestClient(app, headers=CSRF)
    payload, sig = tok.split(".")
    for bad in (payload + "." + sig[:-2] + ("AA" if sig[-2:] != "AA" else "BB"), "garbage", payload):
        r = viewer.get("/api/draft", headers={"X-Dayafter-Share": bad})
        assert r.status_code == 403 and r.json()["error"] == "ShareLinkInvalid"
    secret = share_secret(app.state.workspace)
    sid = read_token(secret, tok)["s"]
    old = make_token(secret, sid, time.time() - 1)
    assert viewer.get("/api/draft", headers={"X-Dayafter-Share": old}).status_code == 403


def test_a_share_link_stands_in_for_the_access_token_read_only(tmp_path):
    app = _app(tmp_path, token=TOKEN)
    _owner, shown, tok = _share(app, TOKEN)
    stranger = TestClient(app, headers=CSRF)
    assert stranger.get("/api/draft").status_code == 401
    r = stranger.get("/api/draft", params={"share": tok})
    assert r.status_code == 200 and r.json()["draft"]["assignment"] == shown["assignment"]
    assert stranger.post("/api/draft/undo", params={"share": tok}).status_code == 403
    # the page load with ?share= sets a cookie for the page's own files, not for the API
    page = stranger.get("/", params={"share": tok})
    assert page.status_code in (200, 404)
    assert "dayafter_share" in stranger.cookies
    assert stranger.get("/api/draft").status_code == 401
    # the plain page clears it
    stranger.get("/")
    assert "dayafter_share" not in stranger.cookies


def test_links_outlive_a_restart(tmp_path):
    app = _app(tmp_path)
    _owner, shown, tok = _share(app)
    app.state.workspace.store.close()
    again = _app(tmp_path)
    r = TestClient(again, headers=CSRF).get("/api/draft", headers={"X-Dayafter-Share": tok})
    assert r.status_code == 200 and r.json()["draft"]["assignment"] == shown["assignment"]
