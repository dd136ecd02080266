"""Cross-site protection of the workbench (issue 22, point 1): a state-changing request needs the
same-origin proof (no other site's Origin or Sec-Fetch-Site, the X-Dayafter-CSRF header), bodies
are JSON outside the upload endpoints, every answer forbids framing, old jobs are forgotten, and
the server drops connections that never finish their request."""

from __future__ import annotations

import socket
import threading
import time

import pytest
from fastapi.testclient import TestClient

from dayafter.web import Settings, create_app
from dayafter.web.jobs import Job, JobRunner
from dayafter.web.security import (
    CSRF_HEADER,
    SECURITY_HEADERS,
    SameOriginMiddleware,
    uvicorn_options,
)

SHAPE = {"error", "message", "hint", "unit_ids", "source"}
I18N = {"message_i18n", "hint_i18n"}  # the keys of the message and hint, when they have one
OWN = "http://testserver"


@pytest.fixture
def app(workspace):
    return create_app(Settings(workspace=workspace))


@pytest.fixture
def bare(app):
    """A client that sends what a browser on another page could: no custom header."""
    with TestClient(app) as c:
        yield c


def _changing_routes(app) -> list[tuple[str, str]]:
    out = []
    for path, ops in app.openapi()["paths"].items():
        for m in ops:
            if m.upper() not in ("GET", "HEAD", "OPTIONS"):
                out.append((m.upper(), path.replace("{index}", "0").replace("{name}", "stripes")
                            .replace("{job_id}", "job1")))
    return out


def _refused(r, status=403, error="CrossSiteRequest"):
    assert r.status_code == status, (r.status_code, r.text)
    body = r.json()
    assert SHAPE <= set(body) <= SHAPE | I18N and body["error"] == error and body["hint"], body
    return body


def _state(app):
    ws = app.state.workspace
    return (ws.territory.n_units, ws.draft.plan.assignment.tolist(), ws.list_plans())


def test_every_changing_route_needs_the_header(app, bare):
    routes = _changing_routes(app)
    assert len(routes) >= 15  # the API's POST/PUT/PATCH/DELETE endpoints
    before = _state(app)
    for method, path in routes:
        body = _refused(bare.request(method, path))
        assert CSRF_HEADER in body["message"] and CSRF_HEADER in body["hint"]
    assert _state(app) == before


def test_the_attacks_of_the_issue_are_refused(app, bare):
    """A text/plain or multipart 'simple' POST that replaced the territory, a body-less POST that
    discarded the draft: refused, nothing changes."""
    before = _state(app)
    layer = b'{"type": "FeatureCollection", "features": []}'
    _refused(bare.post("/api/import/territory?filename=x.geojson&id_col=id&communities=a", content=layer,
                       headers={"Content-Type": "text/plain", "Origin": "http://evil.example"}))
    _refused(bare.post("/api/import/territory/files", files={"layer": ("x.geojson", layer)},
                       data={"id_col": "id"}, headers={"Origin": "http://127.0.0.1:9"}))
    for path in ("/api/draft/new", "/api/draft/undo", "/api/plans/stripes/open"):
        _refused(bare.post(path, headers={"Sec-Fetch-Site": "cross-site"}))
    _refused(bare.post("/api/draft/save", content=b'{"name": "pwned"}', headers={"Content-Type": "text/plain"}))
    assert _state(app) == before


@pytest.mark.parametrize("headers, ok", [
    ({CSRF_HEADER: "1"}, True),
    ({CSRF_HEADER: "1", "Origin": OWN}, True),
    ({CSRF_HEADER: "1", "Origin": OWN + ":80"}, True),  # the default port written out
    ({CSRF_HEADER: "1", "Origin": OWN, "Sec-Fetch-Site": "same-origin"}, True),
    ({CSRF_HEADER: "1", "Sec-Fetch-Site": "none"}, True),
    ({CSRF_HEADER: ""}, False),
    ({"X-Requested-With": "dayafter"}, False),
    ({CSRF_HEADER: "1", "Origin": "http://testserver:8001"}, False),  # another port: another origin
    ({CSRF_HEADER: "1", "Origin": "https://testserver"}, False),
    ({CSRF_HEADER: "1", "Origin": "null"}, False),  # a sandboxed frame or a file:// page
    ({CSRF_HEADER: "1", "Origin": "http://evil.example"}, False),
    ({CSRF_HEADER: "1", "Sec-Fetch-Site": "same-site"}, False),  # another port of the same host
    ({CSRF_HEADER: "1", "Sec-Fetch-Site": "cross-site"}, False),
    ({CSRF_HEADER: "1", "Origin": OWN, "Sec-Fetch-Site": "cross-site"}, False),
])
def test_the_proof(bare, headers, ok):
    r = bare.post("/api/draft/paint", json={"region": 1, "units": [0]}, headers=headers)
    if ok:
        assert r.status_code == 200, r.text
    else:
        _refused(r)


@pytest.mark.parametrize("path, ctype, status", [
    ("/api/draft/paint", "text/plain", 415),
    ("/api/draft/paint", "application/x-www-form-urlencoded", 415),
    ("/api/draft/paint", "multipart/form-data; boundary=x", 415),
    ("/api/draft/paint", None, 415),  # a body without a type
    ("/api/draft/paint", "application/json; charset=utf-8", 200),
    ("/api/import/plan?filename=p.json", "text/plain", 415),
    ("/api/import/plan?filename=p.json", "application/x-www-form-urlencoded", 415),
])
def test_json_bodies_outside_the_uploads(bare, path, ctype, status):
    headers = {CSRF_HEADER: "1", **({"Content-Type": ctype} if ctype else {})}
    r = bare.post(path, content=b'{"region": 1, "units": [0]}', headers=headers)
    if status == 200:
        assert r.status_code == 200, r.text
    else:
        body = _refused(r, 415, "UnsupportedMediaType")
        assert "Content-Type" in body["hint"] or "multipart" in body["hint"]


def test_uploads_take_a_file_or_a_multipart_form(bare):
    h = {CSRF_HEADER: "1"}
    # a raw body, typed or not, reaches the endpoint (which then judges the file itself)
    for extra in ({"Content-Type": "application/octet-stream"}, {}, {"Content-Type": "application/json"}):
        r = bare.post("/api/import/plan?filename=p.json", content=b"{}", headers={**h, **extra})
        assert r.status_code == 422 and r.json()["error"] != "CrossSiteRequest", r.text
    r = bare.post("/api/import/territory/files", files={"layer": ("x.geojson", b"{}")}, data={"id_col": "id"},
                  headers=h)
    assert r.status_code not in (403, 415), r.text


def test_reads_need_no_proof(bare):
    for path in ("/", "/api/meta", "/api/draft", "/api/plans", "/api/units.geojson"):
        assert bare.get(path, headers={"Sec-Fetch-Site": "cross-site"}).status_code == 200, path


def test_security_headers_on_every_answer(bare):
    for r in (bare.get("/"), bare.get("/api/meta"), bare.get("/api/nothing"), bare.post("/api/draft/undo")):
        for k, v in SECURITY_HEADERS:
            assert r.headers[k.decode()] == v.decode(), (r.url, k)
    assert "frame-ancestors 'none'" in bare.get("/").headers["content-security-policy"]


def test_the_check_can_be_turned_off_for_embedding(workspace):
    app = create_app(Settings(workspace=workspace, same_origin=False))
    assert not any(m.cls is SameOriginMiddleware for m in app.user_middleware)
    with TestClient(app) as c:
        assert c.post("/api/draft/undo").status_code in (200, 409)


# ------------------------------------------------------------------------------ old jobs
def _quick(n: int) -> Job:
    return Job("test", lambda report: {"n": n})


def test_finished_jobs_are_pruned_by_count_and_age():
    runner = JobRunner(workers=1, max_queued=8, max_kept=3, max_age=3600)
    try:
        jobs = []
        for i in range(7):
            runner.submit(j := _quick(i))
            jobs.append(j)
            assert j.wait(30)
        listed = [d["id"] for d in runner.list()]
        assert listed == [j.id for j in jobs[-3:]][::-1]  # the 3 newest, newest first
        with pytest.raises(Exception, match="no job"):
            runner.get(jobs[0].id)
        for j in jobs[-3:]:
            j.finished = time.time() - 7200  # finished two hours ago
        assert runner.list() == []
    finally:
        runner.shutdown()


def test_running_jobs_are_never_pruned():
    gate = threading.Event()

    def slow(report):
        gate.wait(30)
        return {}

    runner = JobRunner(workers=1, max_queued=8, max_kept=0, max_age=0.01)
    try:
        runner.submit(j := Job("slow", slow))
        time.sleep(0.1)
        assert [d["id"] for d in runner.list()] == [j.id]
        gate.set()
        assert j.wait(30)
        assert runner.list() == []
    finally:
        gate.set()
        runner.shutdown()


# ------------------------------------------------------------------------------ slow clients
@pytest.fixture(params=["fast", "h11"])
def live(workspace, request):
    import uvicorn

    fast = request.param == "fast"
    if fast:
        pytest.importorskip("httptools")
        pytest.importorskip("uvloop")

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(Settings(workspace=workspace)), host="127.0.0.1",
                                           port=port, log_level="warning", lifespan="on",
                                           **uvicorn_options(keep_alive=0.5, header_timeout=0.5,
                                                             body_timeout=0.5, fast=fast)))
    t = threading.Thread(target=server.run, daemon=True)
    t.start()
    t0 = time.monotonic()
    while not server.started:
        assert time.monotonic() - t0 < 30 and t.is_alive(), "the server did not start"
        time.sleep(0.02)
    yield port
    server.should_exit = True
    t.join(10)


def _closed_within(sock: socket.socket, seconds: float) -> bool:
    """True when the server closes the connection within ``seconds`` (reading what it sends)."""
    sock.settimeout(seconds)
    t0 = time.monotonic()
    try:
        while time.monotonic() - t0 < seconds:
            if not sock.recv(65536):
                return True
    except TimeoutError:
        return False
    except ConnectionResetError:
        return True
    return False


def test_slow_and_idle_connections_are_dropped(live):
    # a client that never sends anything
    with socket.create_connection(("127.0.0.1", live)) as s:
        assert _closed_within(s, 5)
    # a client that trickles its headers (slowloris): one header line a while, never the end
    with socket.create_connection(("127.0.0.1", live)) as s:
        s.sendall(b"GET /api/meta HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        t0 = time.monotonic()
        closed = False
        for k in range(10):
            time.sleep(0.15)
            try:
                s.sendall(f"X-Slow-{k}: 1\r\n".encode())
            except OSError:
                closed = True
                break
        # closed while the headers were still coming: the timeout runs from the first byte and a
        # trickle does not renew it
        assert closed, "a client trickling its headers kept its connection"
        assert time.monotonic() - t0 < 5
    # a client that announces a body and stops sending it
    with socket.create_connection(("127.0.0.1", live)) as s:
        s.sendall(b"POST /api/draft/paint HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                  b"X-Dayafter-CSRF: 1\r\nContent-Length: 1000\r\n\r\n{\"region\"")
        assert _closed_within(s, 5)
    # a well-behaved client is answered, and its idle kept-alive connection closed afterwards
    with socket.create_connection(("127.0.0.1", live)) as s:
        s.sendall(b"GET /api/meta HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        s.settimeout(10)
        first = s.recv(65536)
        assert first.startswith(b"HTTP/1.1 200")
        assert _closed_within(s, 5)


def test_oversized_headers_are_refused(live):
    # 64 KiB of request line and headers at most: a larger head is refused and the connection closed
    with socket.create_connection(("127.0.0.1", live)) as s:
        s.sendall(b"GET /api/meta HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        try:
            for k in range(100):
                s.sendall(f"X-Big-{k}: {'a' * 1000}\r\n".encode())
        except OSError:
            pass
        s.settimeout(10)
        data = b""
        try:
            while chunk := s.recv(65536):
                data += chunk
        except (ConnectionResetError, TimeoutError):
            pass
        assert data.split(b" ")[1] in (b"400", b"431")
    # the server still answers the next client
    with socket.create_connection(("127.0.0.1", live)) as s:
        s.sendall(b"GET /api/meta HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        s.settimeout(10)
        assert s.recv(65536).startswith(b"HTTP/1.1 200")


def test_uvicorn_options_pick_the_fast_parser_when_installed():
    pytest.importorskip("httptools")
    pytest.importorskip("uvloop")
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    opts = uvicorn_options()
    assert opts["loop"] == "uvloop" and issubclass(opts["http"], HttpToolsProtocol)
    slow = uvicorn_options(fast=False)
    assert slow["loop"] == "asyncio" and not issubclass(slow["http"], HttpToolsProtocol)
