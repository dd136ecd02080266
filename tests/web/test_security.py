"""Access token beyond loopback, and the upload size limit (issue 9, part 3)."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from tests.web._threads import run_async

from dayafter.errors import ConfigError
from dayafter.web import Settings, create_app
from dayafter.web.security import (
    COOKIE,
    CSRF_HEADER,
    BodyLimitMiddleware,
    HostCheckMiddleware,
    TokenMiddleware,
    is_loopback,
    resolve_token,
)

TOKEN = "s3cret-token-for-the-tests-0123456789"
SHAPE = {"error", "message", "hint", "unit_ids", "source"}
I18N = {"message_i18n", "hint_i18n"}  # the keys of the message and hint, when they have one


@pytest.mark.parametrize("host, loop", [("127.0.0.1", True), ("127.8.9.10", True), ("::1", True), ("[::1]", True),
                                        ("localhost", True), ("LOCALHOST", True), ("0.0.0.0", False),
                                        ("::", False), ("192.168.1.20", False), ("example.org", False),
                                        ("", False)])
def test_is_loopback(host, loop):
    assert is_loopback(host) is loop


def test_resolve_token():
    assert resolve_token("127.0.0.1", None) is None
    assert resolve_token("127.0.0.1", TOKEN) == TOKEN  # a token given on loopback is used
    made = resolve_token("0.0.0.0", None)
    assert made and len(made) >= 40 and made != resolve_token("0.0.0.0", None)
    assert resolve_token("0.0.0.0", TOKEN) == TOKEN
    for kw in ({"token": None, "disabled": True}, {"token": ""}):
        with pytest.raises(ConfigError, match="without an access token"):
            resolve_token("192.168.1.20", **kw)
    with pytest.raises(ConfigError, match="at least 16"):
        resolve_token("0.0.0.0", "short")


def test_create_app_refuses_a_network_address_without_token(workspace):
    with pytest.raises(ConfigError, match="without an access token"):
        create_app(Settings(workspace=workspace, host="0.0.0.0"))


@pytest.fixture
def guarded(workspace):
    app = create_app(Settings(workspace=workspace, host="0.0.0.0", token=TOKEN))
    with TestClient(app, headers={CSRF_HEADER: "1"}) as c:
        yield c


def _unauthorized(r):
    assert r.status_code == 401, r.text
    body = r.json()
    assert SHAPE <= set(body) <= SHAPE | I18N and body["error"] == "Unauthorized" and body["hint"]
    assert r.headers["www-authenticate"].startswith("Bearer")
    assert COOKIE not in r.headers.get("set-cookie", "")
    return body


@pytest.mark.parametrize("path", ["/api/meta", "/api/plans", "/", "/index.html", "/api/jobs/job1/events",
                                  "/api/plans/stripes/evaluation", "/api/nothing-here"])
def test_every_path_needs_the_token(guarded, path):
    body = _unauthorized(guarded.get(path))
    assert "needs its access token" in body["message"]
    _unauthorized(guarded.post("/api/draft/paint", json={"region": 0, "units": [0]}))


def test_wrong_tokens_are_refused(guarded):
    for headers in ({"Authorization": "Bearer nope"}, {"X-Dayafter-Token": TOKEN[:-1]},
                    {"Authorization": f"Basic {TOKEN}"}, {"Cookie": f"{COOKIE}=wrong"},
                    {"Authorization": f"Bearer {TOKEN}x"}):
        guarded.cookies.clear()
        body = _unauthorized(guarded.get("/api/meta", headers=headers))
        if "Basic" not in headers.get("Authorization", ""):
            assert "wrong access token" in body["message"]
    _unauthorized(guarded.get("/api/meta", params={"token": "nope"}))


def test_header_and_query_tokens_and_the_cookie(guarded):
    assert guarded.get("/api/meta", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200
    assert guarded.get("/api/meta", headers={"X-Dayafter-Token": TOKEN}).status_code == 200
    guarded.cookies.clear()
    # the browser's first load carries ?token=...; the answer sets a strict, HttpOnly cookie
    first = guarded.get("/", params={"token": TOKEN})
    assert first.status_code == 200 and b"<html" in first.content.lower()
    cookie = first.headers["set-cookie"]
    assert cookie.startswith(f"{COOKIE}={TOKEN}")
    for attr in ("HttpOnly", "SameSite=Strict", "Path=/"):
        assert attr in cookie
    # from then on the cookie alone is enough (API, static files)
    assert guarded.get("/api/meta").status_code == 200
    assert guarded.get("/index.html").status_code == 200
    guarded.cookies.clear()
    _unauthorized(guarded.get("/api/meta"))


def test_the_built_front_end_uses_relative_addresses():
    # the cookie is only sent to the same origin: the built app must not call an absolute URL
    from importlib import resources

    assets = resources.files("dayafter.web") / "static" / "assets"
    js = "".join(p.read_text(encoding="utf-8") for p in assets.iterdir() if p.name.endswith(".js"))
    # one fetch wrapper prefixes every API path with the relative "api/" (web/src/api.js)
    # and the event streams (web/src/sync.js, panels/jobs.js) use relative addresses too
    assert '="api/"' in js and '"api/draft/events"' in js and "`api/jobs/${" in js
    assert "fetch(`/api" not in js and "http://127.0.0.1" not in js and "localhost:" not in js
    assert "EventSource(`/" not in js and 'EventSource("/' not in js


def test_loopback_needs_no_token(client):
    assert client.get("/api/meta").status_code == 200
    assert "set-cookie" not in client.get("/").headers


# ------------------------------------------------------------------------------ upload limits
@pytest.fixture
def small(workspace):
    app = create_app(Settings(workspace=workspace, max_upload_bytes=1000))
    with TestClient(app, headers={CSRF_HEADER: "1"}) as c:
        yield c


def _too_large(r):
    assert r.status_code == 413, r.text
    body = r.json()
    assert SHAPE <= set(body) <= SHAPE | I18N and body["error"] == "RequestTooLarge"
    assert "1000 bytes" in body["message"] and "--max-upload-mb" in body["hint"]


def test_upload_over_the_limit_by_content_length(small):
    _too_large(small.post("/api/import/plan", params={"filename": "p.csv"}, content=b"x" * 1001))
    _too_large(small.post("/api/import/project", params={"filename": "p.gpkg"}, content=b"x" * 5000))
    _too_large(small.post("/api/import/territory/files", files={"layer": ("u.geojson", b"{" * 2000)},
                          data={"id_col": "uid"}))
    # at the limit it goes through to the endpoint (which refuses the content itself)
    r = small.post("/api/import/plan", params={"filename": "p.csv"}, content=b"x" * 1000)
    assert r.status_code == 422 and r.json()["error"] == "InputDataError"


def test_streamed_upload_over_the_limit(small):
    def chunks():
        for _ in range(20):
            yield b"y" * 100

    _too_large(small.post("/api/import/plan", params={"filename": "p.csv"}, content=chunks()))


def test_invalid_content_length_is_refused(small):
    r = small.post("/api/draft/save", content=b'{"name": "x"}',
                   headers={"Content-Length": "-5", "Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["error"] == "BadRequest"


def _run_asgi(app, headers, chunks):
    """Drive an ASGI app with a body sent in chunks; returns (sent messages, bytes the app read)."""
    sent, read = [], []
    pending = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1} for i, c in enumerate(chunks)]

    async def receive():
        return pending.pop(0) if pending else {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/", "headers": headers, "query_string": b""}
    run_async(lambda: app(scope, receive, send))
    return sent, read


def test_body_limit_counts_streamed_chunks_and_stops_early():
    read: list[bytes] = []

    async def echo(scope, receive, send):
        while True:
            m = await receive()
            if m["type"] == "http.disconnect":
                break
            read.append(m["body"])
            if not m.get("more_body"):
                break
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    mw = BodyLimitMiddleware(echo, max_bytes=250)
    sent, _ = _run_asgi(mw, [], [b"a" * 100] * 10)
    assert sent[0]["status"] == 413 and len(sent) == 2  # the app's own answer is dropped
    assert json.loads(sent[1]["body"])["error"] == "RequestTooLarge"
    assert sum(map(len, read)) <= 200  # the app never saw more than the limit
    read.clear()
    sent, _ = _run_asgi(mw, [], [b"a" * 100, b"a" * 100])
    assert sent[0]["status"] == 200 and sum(map(len, read)) == 200
    with pytest.raises(ConfigError):
        BodyLimitMiddleware(echo, max_bytes=0)


def test_token_middleware_passes_lifespan_and_guards_websockets():
    seen = []

    async def app(scope, receive, send):
        seen.append(scope["type"])

    mw = TokenMiddleware(app, TOKEN)
    sent = []

    async def send(m):
        sent.append(m)

    async def receive():
        return {"type": "websocket.connect"}

    run_async(lambda: mw({"type": "lifespan"}, receive, send))
    run_async(lambda: mw({"type": "websocket", "headers": [], "query_string": b""}, receive, send))
    assert seen == ["lifespan"] and sent == [{"type": "websocket.close", "code": 1008}]


@pytest.mark.parametrize("base, ok", [("http://127.0.0.1:8765", True), ("http://localhost:8765", True),
                                      ("http://[::1]:8765", True), ("http://127.0.0.1", True),
                                      ("http://evil.example:8765", False), ("http://192.168.1.9", False),
                                      ("http://testserver", False)])
def test_host_check_against_dns_rebinding(workspace, base, ok):
    app = create_app(Settings(workspace=workspace, check_host=True))
    with TestClient(app, base_url=base, headers={CSRF_HEADER: "1"}) as c:
        r = c.get("/api/meta")
    if ok:
        assert r.status_code == 200, r.text
    else:
        assert r.status_code == 403
        body = r.json()
        assert SHAPE <= set(body) <= SHAPE | I18N and body["error"] == "Forbidden"
        assert "127.0.0.1" in body["hint"]


def test_host_check_accepts_the_served_host_name_and_needs_a_host():
    seen = []

    async def inner(scope, receive, send):
        seen.append(scope["path"])

    mw = HostCheckMiddleware(inner, extra=("Workbench.LAN",))
    sent = []

    async def send(message):
        sent.append(message)

    async def receive():
        return {"type": "http.request", "body": b""}

    for host, passes in ((b"workbench.lan:80", True), (b"", False), (b"[::1]", True)):
        scope = {"type": "http", "path": "/x", "headers": [(b"host", host)] if host else []}
        sent.clear()
        run_async(lambda scope=scope: mw(scope, receive, send))
        assert (sent == []) is passes
        if not passes:
            assert sent[0]["status"] == 403
    assert seen == ["/x", "/x"]
