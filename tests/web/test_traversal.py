"""No name or file name sent to the API reaches outside the plan folder (issue 9, part 3).

Every route that takes a name (plans/{name}, duplicate, rename, delete, save, export) or a client file
name (the imports) is tried with ``..``, absolute paths, encoded dots, backslashes, NUL and links that
lead out of the folder. After each request, no file appeared anywhere but under the plan folder (and
the system's temporary folder, which the imports use and clean), and refused requests answer 4xx JSON.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from dayafter.io.plans import plan_to_dict
from dayafter.web import Settings, create_app
from dayafter.web.demo import grid_workspace
from dayafter.web.security import CSRF_HEADER

SHAPE = {"error", "message", "hint", "unit_ids", "source"}
I18N = {"message_i18n", "hint_i18n"}  # the keys of the message and hint, when they have one

NASTY = [
    "../escape", "../../escape", "../../../../../../tmp/escape", "..", ".", "...", "./..", "....//escape",
    "..\\..\\escape", "..%2f..%2fescape", "%2e%2e%2fescape", "%252e%252e%252fescape", "~/escape",
    "plans/../../escape", "/etc/passwd", "escape/../../..", "..;/escape", ".json", "../escape.json",
    "C:\\Windows\\escape", "\\\\server\\share\\escape", "-rf", "*", "escape\u202e.json", "lang/../../ئەسکەیپ",
]


@pytest.fixture
def area(tmp_path):
    """``tmp_path/area/plans`` is the plan folder; ``tmp_path/outside`` holds a file that must stay as it is."""
    plans = tmp_path / "area" / "plans"
    plans.mkdir(parents=True)
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "target.json").write_text("precious\n")
    return tmp_path, plans


@pytest.fixture
def app_client(area):
    _tmp, plans = area
    ws = grid_workspace(4, 4, plans_dir=plans)
    with TestClient(create_app(Settings(workspace=ws, plans_dir=plans)), headers={CSRF_HEADER: "1"}) as c:
        yield c


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*")}


def _check_contained(tmp: Path, plans: Path, before: set[Path]) -> None:
    new = _files(tmp) - before
    stray = [p for p in new if plans not in p.parents]
    assert not stray, f"files created outside the plan folder: {stray}"
    assert (tmp / "outside" / "target.json").read_text() == "precious\n"
    for p in new:
        assert not p.is_symlink()
    assert not Path("/tmp/escape").exists()


def _json_4xx(r, *codes):
    assert 400 <= r.status_code < 500, (r.status_code, r.text)
    if codes:
        assert r.status_code in codes, (r.status_code, r.text)
    body = r.json()
    assert SHAPE <= set(body) <= SHAPE | I18N and body["message"] and "\n" not in body["message"]
    return body


@pytest.mark.parametrize("name", NASTY)
def test_names_in_the_path_never_leave_the_plan_folder(app_client, area, name):
    tmp, plans = area
    before = _files(tmp)
    from urllib.parse import quote

    enc = quote(name, safe="")
    for method, path in (("GET", f"/api/plans/{enc}"), ("GET", f"/api/plans/{enc}/evaluation"),
                         ("POST", f"/api/plans/{enc}/open"), ("DELETE", f"/api/plans/{enc}"),
                         ("POST", f"/api/plans/{enc}/duplicate"), ("POST", f"/api/plans/{enc}/rename")):
        r = app_client.request(method, path, json={"new_name": "fine"} if method == "POST" else None)
        if r.url.path != path and r.status_code < 400:
            # the client resolved "." and ".." segments (as browsers do) and asked for another address:
            # whatever that is, it is the app's own (the front end's page, or a plan list)
            assert b"root:" not in r.content and b"precious" not in r.content
            continue
        _json_4xx(r)
    _json_4xx(app_client.get("/api/export/plan", params={"name": name}))
    _json_4xx(app_client.get("/api/compare", params={"a": name, "b": "stripes"}))
    _check_contained(tmp, plans, before)


@pytest.mark.parametrize("raw", ["/api/plans/../../etc/passwd", "/api/plans/..%2f..%2fetc%2fpasswd",
                                 "/api/plans/%2e%2e/%2e%2e/etc/passwd", "/api/plans/%2e%2e%5c%2e%2e%5cetc",
                                 "/../../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/assets/..%2f..%2fapp.py",
                                 "/assets/%2e%2e/%2e%2e/web/app.py", "/..%5c..%5cetc%5cpasswd",
                                 "/api/plans/a%00b", "/%00", "//etc/passwd"])
def test_raw_paths_are_refused(app_client, area, raw):
    tmp, plans = area
    before = _files(tmp)
    r = app_client.get(raw)
    _json_4xx(r)
    assert b"root:" not in r.content and b"create_app" not in r.content
    _check_contained(tmp, plans, before)


@pytest.mark.parametrize("name", NASTY)
def test_saved_names_stay_names(app_client, area, name):
    """A plan may be called anything printable: the name is kept, its file is a safe name inside the folder."""
    tmp, plans = area
    before = _files(tmp)
    r = app_client.post("/api/draft/save", json={"name": name})
    if name in (".", ".."):  # the only names refused: no address could reach them ("/api/plans/..")
        _json_4xx(r, 422)
        return
    assert r.status_code == 200, r.text
    names = [p["name"] for p in r.json()["plans"]]
    assert name.strip() in names
    files = list(plans.glob("*.json"))
    assert len(files) == 1 and files[0].parent == plans
    dup = app_client.post("/api/plans/stripes/duplicate", json={"new_name": name + " copy"})
    assert dup.status_code == 200, dup.text
    if "%" in name:
        # Starlette's TestClient decodes the path twice ("%252e" arrives as "."), unlike a server:
        # such names are addressed by the front end fine, but cannot be checked here
        _check_contained(tmp, plans, before)
        return
    ren = app_client.post(f"/api/plans/{_q(name.strip())}/rename", json={"new_name": name + " renamed"})
    assert ren.status_code == 200, ren.text
    # an export of the plan names a safe download file
    exp = app_client.get("/api/export/plan", params={"name": (name + " renamed").strip()})
    assert exp.status_code == 200
    disp = exp.headers["content-disposition"]
    assert "/" not in disp.split('filename="')[1] and "\\" not in disp.split('filename="')[1]
    dele = app_client.delete(f"/api/plans/{_q((name + ' renamed').strip())}")
    assert dele.status_code == 200, dele.text
    _check_contained(tmp, plans, before)
    # a fresh workspace over the same folder reads back exactly what was saved
    ws2 = grid_workspace(4, 4, plans_dir=plans)
    assert sorted(ws2.saved) == sorted({(name + " copy").strip()})


def _q(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")


@pytest.mark.parametrize("bad", ["a\x00b", "tab\there", "line\nbreak", "\x7f", "x" * 201, "", " "])
def test_unprintable_or_long_names_are_refused(app_client, area, bad):
    tmp, plans = area
    before = _files(tmp)
    for r in (app_client.post("/api/draft/save", json={"name": bad}),
              app_client.post("/api/plans/stripes/duplicate", json={"new_name": bad})):
        body = _json_4xx(r, 422)
        assert body["error"] in ("RequestValidationError", "InputDataError")
    _check_contained(tmp, plans, before)
    assert not list(plans.glob("*.json"))


def _plan_bytes(ws, name="imported") -> bytes:
    plan = ws.plan("stripes").renamed(name)
    return json.dumps(plan_to_dict(plan, ws.territory)).encode()


@pytest.mark.parametrize("filename", ["../../escape.json", "/tmp/escape.json", "..\\..\\escape.json",
                                      "%2e%2e%2fescape.json", "a\x00b.json", "..json", "....json",
                                      "x" * 250 + ".json", "\u0633" * 120 + ".json", "dir/.json"])
def test_import_file_names_never_leave_the_plan_folder(app_client, area, filename):
    tmp, plans = area
    before = _files(tmp)
    ws = app_client.app.state.workspace
    r = app_client.post("/api/import/plan", params={"filename": filename}, content=_plan_bytes(ws))
    if len(filename) > 255 or filename == "dir/.json":  # too long; a dot-file without extension
        _json_4xx(r, 422)
    else:
        assert r.status_code == 200, r.text
        assert r.json()["added"] == ["imported"]
    bad = app_client.post("/api/import/plan", params={"filename": filename}, content=b"not, a\nplan")
    body = _json_4xx(bad, 422)
    if len(filename) <= 255:
        # the message names the file by its last component, without control characters
        assert "/" not in body["source"] and "\\" not in body["source"]
        assert "\x00" not in body["source"]
    _check_contained(tmp, plans, before)


@pytest.mark.parametrize("filename", ["../../../escape.gpkg", "..\\..\\escape.gpkg", "/tmp/escape.gpkg",
                                      "a\x00b.gpkg", "...gpkg", "%2e%2e%2f.gpkg"])
def test_imported_territories_keep_their_plans_inside(area, filename):
    from tests.robustness.test_bad_input_corpus import _project

    tmp, plans = area
    src = tmp / "area" / "src"
    src.mkdir()
    data = _project(src).read_bytes()
    ws = grid_workspace(4, 4, plans_dir=plans)
    with TestClient(create_app(Settings(workspace=ws, plans_dir=plans)), headers={CSRF_HEADER: "1"}) as c:
        before = _files(tmp)
        r = c.post("/api/import/project", params={"filename": filename}, content=data)
        assert r.status_code == 200, r.text
        r = c.post("/api/draft/save", json={"name": "after import"})
        assert r.status_code == 200, r.text
        new_ws = c.app.state.workspace
        assert plans in new_ws.plans_dir.parents and new_ws.plans_dir.parent == plans / "imported"
        _check_contained(tmp, plans, before)
        # the same file under a multipart territory import
        lay = c.post("/api/import/territory/files", files={"layer": (filename.replace(".gpkg", ".geojson"), b"{}")},
                     data={"id_col": "uid", "communities": "a,b"})
        body = _json_4xx(lay, 422)
        assert "/" not in body["source"] and "\x00" not in body["source"]
        _check_contained(tmp, plans, before)


def test_links_out_of_the_plan_folder_are_neither_read_nor_written(area):
    tmp, plans = area
    ws0 = grid_workspace(4, 4, plans_dir=plans)
    # a valid plan file outside, linked from inside: not read (the workbench reads nothing outside)
    outside_plan = tmp / "outside" / "plan.json"
    outside_plan.write_bytes(_plan_bytes(ws0, "outsider"))
    os.symlink(outside_plan, plans / "outsider.json")
    # a link named like a plan file the workbench will write: the link is replaced, not followed
    os.symlink(tmp / "outside" / "target.json", plans / "victim.json")
    inner = plans / "inner.json"
    inner.write_bytes(_plan_bytes(ws0, "inner"))
    os.symlink(inner, plans / "inner-link.json")  # a link that stays inside is fine
    with pytest.warns(Warning, match="outside the plan folder"):
        ws = grid_workspace(4, 4, plans_dir=plans)
    assert "outsider" not in ws.saved and "inner" in ws.saved
    assert any("outside the plan folder" in s for s in ws.skipped_files)
    with TestClient(create_app(Settings(workspace=ws, plans_dir=plans)), headers={CSRF_HEADER: "1"}) as c:
        names = [p["name"] for p in c.get("/api/plans").json()]
        assert "outsider" not in names
        _json_4xx(c.get("/api/plans/outsider"), 422)
        assert c.post("/api/draft/save", json={"name": "victim"}).status_code == 200
        assert c.post("/api/plans/victim/rename", json={"new_name": "victim2"}).status_code == 200
        assert c.delete("/api/plans/victim2").status_code == 200
    assert (tmp / "outside" / "target.json").read_text() == "precious\n"
    assert outside_plan.exists() and json.loads(outside_plan.read_text())["name"] == "outsider"
