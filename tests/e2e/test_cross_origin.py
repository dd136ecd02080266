"""Cross-site requests from a real second origin in Chromium (issue 22, point 1).

An attacker page served from another loopback address (127.0.0.2, or another port when that
address cannot be bound) tries what the issue found possible: text/plain and multipart POSTs that
replace the territory or save a plan, body-less POSTs that discard the draft, a form posted into a
hidden frame, a cross-origin fetch with the custom header, and framing the workbench. Everything is
refused and nothing changes on the server, while the real page, opened at the same time, paints,
undoes and saves.
"""

from __future__ import annotations

import http.server
import socket
import threading

import pytest

pytestmark = pytest.mark.e2e

ATTACK = """<!doctype html><html><body><iframe name="framed" src="{victim}"></iframe>
<script>
const T = "{victim}api/";
const results = {{}};
async function attempt(name, fn) {{
  try {{ const r = await fn(); results[name] = r.type === "opaque" ? "opaque" : r.status; }}
  catch (e) {{ results[name] = "failed"; }}
}}
let sinks = 0;
function form(action, enctype, fields) {{
  const sink = document.createElement("iframe"); sink.name = "sink" + (++sinks); document.body.append(sink);
  const f = document.createElement("form");
  f.method = "POST"; f.action = T + action; f.target = sink.name; f.enctype = enctype;
  for (const [k, v] of Object.entries(fields)) {{
    const i = document.createElement("input"); i.name = k; i.value = v; f.append(i);
  }}
  document.body.append(f); f.submit();
}}
const layer = JSON.stringify({{type: "FeatureCollection", features: [{{type: "Feature",
  properties: {{uid: "X", a: 1}}, geometry: {{type: "Polygon", coordinates: [[[0,0],[1,0],[1,1],[0,0]]]}}}}]}});
window.attack = (async () => {{
  await attempt("save-text-plain", () => fetch(T + "draft/save", {{method: "POST", mode: "no-cors",
    headers: {{"Content-Type": "text/plain"}}, body: JSON.stringify({{name: "pwned"}})}}));
  await attempt("territory-text-plain", () => fetch(T + "import/territory?filename=x.geojson&id_col=uid&communities=a",
    {{method: "POST", mode: "no-cors", headers: {{"Content-Type": "text/plain"}}, body: layer}}));
  const fd = new FormData(); fd.append("layer", new Blob([layer]), "x.geojson"); fd.append("id_col", "uid");
  fd.append("communities", "a");
  await attempt("territory-multipart", () => fetch(T + "import/territory/files", {{method: "POST", mode: "no-cors", body: fd}}));
  await attempt("new-draft", () => fetch(T + "draft/new", {{method: "POST", mode: "no-cors"}}));
  await attempt("undo", () => fetch(T + "draft/undo", {{method: "POST", mode: "no-cors", credentials: "include"}}));
  await attempt("delete-plan", () => fetch(T + "plans/stripes", {{method: "DELETE", mode: "no-cors"}}));
  await attempt("custom-header", () => fetch(T + "draft/new", {{method: "POST", headers: {{"X-Dayafter-CSRF": "1"}}}}));
  await attempt("json", () => fetch(T + "draft/paint", {{method: "POST", headers: {{"Content-Type": "application/json"}},
    body: JSON.stringify({{region: 0, units: [0, 1, 2, 3]}})}}));
  form("draft/save", "text/plain", {{'{{"name": "pwned2", "x': '"}}'}});
  form("plans/stripes/open", "application/x-www-form-urlencoded", {{a: "1"}});
  form("import/territory/files", "multipart/form-data", {{id_col: "uid", communities: "a"}});
  await new Promise((r) => setTimeout(r, 1500));
  return results;
}})();
</script></body></html>"""


def _attacker_host(victim_port: int) -> str:
    """127.0.0.2 when it can be bound (another address: another site), else 127.0.0.1 (another port:
    another origin of the same site)."""
    try:
        with socket.socket() as s:
            s.bind(("127.0.0.2", 0))
        return "127.0.0.2"
    except OSError:
        return "127.0.0.1"


@pytest.fixture
def attacker(grid_server):
    host = _attacker_host(grid_server.port)
    page = ATTACK.format(victim=grid_server.url).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args: object) -> None:
            pass

    srv = http.server.ThreadingHTTPServer((host, 0), Handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://{host}:{srv.server_address[1]}/"
    srv.shutdown()
    srv.server_close()


def _server_state(ws, session=""):
    """The territory, a session's draft and the saved plans (the page edits its own session's
    draft: the ``dayafter_session`` cookie)."""
    return (ws.territory.n_units, ws.draft_of(session).plan.assignment.tolist(), ws.draft.plan.assignment.tolist(),
            [p["name"] for p in ws.list_plans()])


def _session(page):
    return next((c["value"] for c in page.context.cookies() if c["name"] == "dayafter_session"), "")


def test_another_origin_cannot_change_the_workbench(browser, grid_server, attacker, page, monkeypatch):
    from dayafter.web.security import SameOriginMiddleware

    # what the server decided about each state-changing request (the server runs in this process)
    decided: list[tuple[str, str, int | None]] = []
    check = SameOriginMiddleware.problem

    def recording(self, scope):
        found = check(self, scope)
        if scope.get("method") not in ("GET", "HEAD", "OPTIONS"):
            decided.append((scope["method"], scope["path"], found[0] if found else None))
        return found

    monkeypatch.setattr(SameOriginMiddleware, "problem", recording)
    ws = grid_server.workspace
    sess = _session(page)
    assert sess  # the page has a session (and draft) of its own
    before = _server_state(ws, sess)
    ctx = browser.new_context()
    evil = ctx.new_page()
    evil.goto(attacker)
    results = evil.evaluate("window.attack")
    evil.wait_for_timeout(500)
    # the simple requests and the forms reached the server, which refused every one
    assert {p for _m, p, _s in decided} >= {"/api/draft/save", "/api/draft/new", "/api/draft/undo",
                                             "/api/import/territory", "/api/import/territory/files",
                                             "/api/plans/stripes/open"}, decided
    assert all(s == 403 for _m, _p, s in decided), decided
    # the ones that need a pre-flight (custom header, JSON, DELETE) never left the browser
    assert "/api/draft/paint" not in {p for _m, p, _s in decided}
    assert all(m != "DELETE" for m, _p, _s in decided)
    assert results["custom-header"] == "failed" and results["json"] == "failed", results
    # the attacker's page reads nothing back: every fetch failed or stayed opaque
    assert set(results.values()) <= {"failed", "opaque"}, results
    # and cannot frame the workbench (X-Frame-Options / frame-ancestors)
    frame = next(f for f in evil.frames if f.name == "framed")
    assert not frame.evaluate("!!document.querySelector('#map')")
    ctx.close()
    assert _server_state(ws, sess) == before
    n_attacks = len(decided)

    # the real page, open at the same time, works: paint, undo, redo, save
    page.get_by_role("radio", name="Stripe 2").check()
    xy = page.evaluate(
        """() => { const S = window.dayafter; const b = S.bboxes[0];
        const p = S.map.project([(b[0] + b[2]) / 2, (b[1] + b[3]) / 2]);
        const r = S.map.getCanvas().getBoundingClientRect(); return [r.left + p.x, r.top + p.y]; }""")
    page.mouse.click(*xy)
    page.wait_for_function("window.dayafter.draft.undo === 1")
    assert int(ws.draft_of(sess).plan.assignment[0]) == 1
    page.get_by_role("button", name="Undo").click()
    page.wait_for_function("window.dayafter.draft.undo === 0")
    assert ws.draft_of(sess).plan.assignment.tolist() == before[1]
    page.get_by_role("button", name="Redo").click()
    page.wait_for_function("window.dayafter.draft.undo === 1")
    page.get_by_label("Save as").fill("own page")
    page.get_by_role("button", name="Save", exact=True).click()
    page.wait_for_function("window.dayafter.plans.some(p => p.name === 'own page')")
    assert "own page" in [p["name"] for p in ws.list_plans()]
    own = decided[n_attacks:]
    assert len(own) >= 4 and all(s is None for _m, _p, s in own), own  # the page's own changes all passed
