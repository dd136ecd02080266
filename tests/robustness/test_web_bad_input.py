"""The web half of the bad-input corpus (issue 9, part 1).

The corpus's bad layers, census tables, plans and projects (tests/robustness/test_bad_input_corpus.py,
reused as is) are uploaded through the import endpoints, and bad JSON bodies are posted to the other
endpoints. Every answer is 4xx JSON in the API's error shape, with a one-line message that names the
file (or field) and a hint, never a 500; where the CLI reads the same file, the web gives the CLI's
message (the CLI names the file by its path, the web by its name).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from dayafter.cli._common import run_guarded
from dayafter.cli.main import app as cli_app
from dayafter.errors import DayafterError
from dayafter.web import Settings, create_app
from dayafter.web.demo import grid_workspace
from dayafter.web.security import CSRF_HEADER
from tests.robustness.test_bad_input_corpus import CASES, Case

SHAPE = {"error", "message", "hint", "unit_ids", "source"}
I18N = {"message_i18n", "hint_i18n"}  # the keys of the message and hint, when they have one

# Options of 'territory build' the upload form has a field for; a case using any other option (or a
# file that does not exist, or a bare .shp without its side files) has no web form.
_FORM = {"--id-col": "id_col", "--communities": "communities"}

# Where the web's message differs from the CLI's on purpose (the CLI names the layer, the web the
# census table the problem is in, which is the file to fix).
_NAMES_THE_TABLE = {"table-unknown-ids", "table-missing-units", "table-duplicate-ids", "table-leading-zeros",
                    "table-negative"}


def _request(case: Case, tmp: Path) -> tuple[str, dict, Path | None] | None:
    """The upload that matches the CLI case: (endpoint, httpx keyword arguments, project) or None."""
    args = [str(a) for a in case.setup(tmp)]
    if args[:2] == ["territory", "build"]:
        layer = Path(args[2])
        if not layer.is_file() or layer.suffix == ".shp":
            return None
        data: dict[str, str] = {}
        files: list[tuple[str, tuple[str, bytes]]] = [("layer", (layer.name, layer.read_bytes()))]
        censuses: list[str] = []
        opts = args[3:]
        for flag, value in zip(opts[::2], opts[1::2], strict=False):
            if flag in _FORM:
                data[_FORM[flag]] = value
            elif flag == "--census" and "=" in value and Path(value.split("=", 1)[1]).is_file():
                cname, path = value.split("=", 1)
                files.append(("tables", (Path(path).name, Path(path).read_bytes())))
                censuses.append(cname)
            else:
                return None
        if len(opts) % 2:
            return None
        data.setdefault("id_col", "uid")
        return "/api/import/territory/files", {"data": {**data, "table_censuses": censuses}, "files": files}, None
    if args[:2] == ["plan", "evaluate"]:
        plan, project = Path(args[2]), Path(args[4])
        if len(args) > 5 or not project.is_file():
            return None
        if not plan.is_file():
            # no plan file: a web case only when the project itself is the bad input
            from dayafter.io.project import read_project

            try:
                read_project(project)
            except DayafterError:
                return "/api/import/project", {"params": {"filename": project.name},
                                               "content": project.read_bytes()}, None
            return None
        return "/api/import/plan", {"params": {"filename": plan.name}, "content": plan.read_bytes()}, project
    return None


def _cli_line(case: Case, tmp: Path, capsys) -> str:
    args = [str(a) for a in case.setup(tmp)]
    assert run_guarded(cli_app, args=args) == case.code
    err = capsys.readouterr().err
    line = next(ln for ln in err.splitlines() if ln.startswith("error: "))
    return line[len("error: "):]


def _web_cases() -> list[Case]:
    import tempfile

    out = []
    with tempfile.TemporaryDirectory() as d:
        for i, c in enumerate(CASES):
            sub = Path(d) / str(i)
            sub.mkdir()
            try:
                if _request(c, sub) is not None:
                    out.append(c)
            except Exception:  # a case whose files need more than a folder: not a web case
                continue
    return out


WEB_CASES = _web_cases()


def test_a_good_share_of_the_corpus_goes_through_the_web():
    assert len(WEB_CASES) >= 30, [c.name for c in WEB_CASES]


# GDAL reports some damaged files (a corrupt GeoPackage's header) as a RuntimeWarning from inside its
# error handler, besides the error we answer with; the CLI records warnings, a server just logs them.
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.parametrize("case", WEB_CASES, ids=[c.name for c in WEB_CASES])
def test_web_bad_input(case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    files = tmp_path / "files"
    files.mkdir()
    endpoint, kw, project = _request(case, files)
    plans = tmp_path / "plans"
    if project is not None:
        settings = Settings(project=project, case=None, plans_dir=plans)
    else:
        settings = Settings(workspace=grid_workspace(3, 3, plans_dir=plans), plans_dir=plans)
    with TestClient(create_app(settings), raise_server_exceptions=False, headers={CSRF_HEADER: "1"}) as c:
        r = c.post(endpoint, **kw)
    assert 400 <= r.status_code < 500, (r.status_code, r.text)
    assert r.status_code == (409 if case.code == 4 else 422), r.text
    body = r.json()
    assert SHAPE <= set(body) <= SHAPE | I18N and body["error"] != "RequestValidationError"
    line = DayafterError(body["message"], hint=body["hint"], source=body["source"]).one_line()
    assert "\n" not in line and "Traceback" not in line and body["hint"], line
    assert str(tmp_path) not in line and "dayafter-import-" not in line, line  # no server paths
    uploaded = [f[1][0] for f in kw.get("files", [])] + [kw.get("params", {}).get("filename")]
    if case.names_file:
        assert body["source"] in uploaded, line
    for needle in case.needles:
        assert needle in line, line
    # the CLI reading the same files says the same thing (it names the file by its path)
    (tmp_path / "cli").mkdir()
    cli = _cli_line(case, tmp_path / "cli", capsys)
    web = DayafterError(body["message"], hint=body["hint"]).one_line()
    cli_text = cli.split(": ", 1)[1] if cli.startswith(str(tmp_path)) else cli  # drop the source
    cli_text = cli_text.replace(str(tmp_path / "cli") + "/", "")
    if case.name not in _NAMES_THE_TABLE and case.name != "plan-wrong-extension":
        assert web == cli_text, f"\nweb: {web}\ncli: {cli_text}"


# ------------------------------------------------------------------------------ bad JSON bodies
@pytest.fixture
def client(tmp_path):
    ws = grid_workspace(6, 6, plans_dir=tmp_path / "plans")
    with TestClient(create_app(Settings(workspace=ws)), raise_server_exceptions=False, headers={CSRF_HEADER: "1"}) as c:
        yield c


BAD_BODIES = [
    # (method, path, body or raw bytes, the field the message must name)
    ("POST", "/api/draft/paint", {"region": "0", "units": [1]}, "region"),
    ("POST", "/api/draft/paint", {"region": -2, "units": [1]}, "region"),
    ("POST", "/api/draft/paint", {"region": 0, "units": [-1]}, "units.0"),
    ("POST", "/api/draft/paint", {"region": 0, "units": [1.5]}, "units.0"),
    ("POST", "/api/draft/paint", {"region": 0, "units": "all"}, "units"),
    ("POST", "/api/draft/paint", {"region": 0, "units": [10**13]}, "units.0"),
    ("POST", "/api/draft/paint", {"region": 0, "unit_ids": [3]}, "unit_ids.0"),
    ("POST", "/api/draft/paint", {"region": 0, "colour": "red"}, "colour"),
    ("POST", "/api/draft/paint", {"units": [1]}, "region"),
    ("POST", "/api/draft/paint", [0, 1], ""),
    ("POST", "/api/draft/paint", b'{"region": 0, "units": [1,', "JSON"),
    ("POST", "/api/draft/paint", {"region": 0, "admin_level": "x" * 500}, "admin_level"),
    ("POST", "/api/draft/save", {}, "name"),
    ("POST", "/api/draft/save", {"name": ""}, "name"),
    ("POST", "/api/draft/save", {"name": 7}, "name"),
    ("POST", "/api/draft/save", {"name": "x" * 201}, "name"),
    ("POST", "/api/draft/save", {"name": "a\nb"}, "name"),
    ("POST", "/api/draft/save", {"nom": "x"}, "name"),
    ("POST", "/api/plans/stripes/duplicate", {"new_name": None}, "new_name"),
    ("POST", "/api/plans/stripes/rename", {"new_name": ["x"]}, "new_name"),
    ("POST", "/api/draft/regions", {"name": ["North"]}, "name"),
    ("POST", "/api/draft/regions", {"name": "N", "capital": "x"}, "capital"),
    ("PATCH", "/api/draft/regions/0", {"status": 3}, "status"),
    ("PATCH", "/api/draft/regions/first", {"name": "x"}, "index"),
    ("PUT", "/api/draft/regions/0/lock", {"locked": "yes"}, "locked"),
    ("PUT", "/api/draft/regions/0/lock", {}, "locked"),
    ("POST", "/api/draft/settle", {"method": "knaster", "budget": -1}, "budget"),
    ("POST", "/api/draft/settle", {"method": ""}, "method"),
    ("POST", "/api/draft/settle", {"method": "knaster", "apply": "please"}, "apply"),
    ("POST", "/api/draft/settle", b'{"method": "knaster", "budget": NaN}', "budget"),
    ("POST", "/api/jobs", {"kind": "ensemble", "params": {"steps": 0}}, "params.steps"),
    ("POST", "/api/jobs", {"kind": "ensemble", "params": {"steps": "many"}}, "params.steps"),
    ("POST", "/api/jobs", {"kind": "ensemble", "params": {"seed": -1}}, "params.seed"),
    ("POST", "/api/jobs", {"kind": "ensemble", "params": {"tolerance": 2}}, "params.tolerance"),
    ("POST", "/api/jobs", {"kind": "ensemble", "params": {"walkers": 3}}, "params.walkers"),
    ("POST", "/api/jobs", {"kind": "ensemble", "params": [1, 2]}, "params"),
    ("POST", "/api/jobs", {"kind": "optimize", "params": {"maximize": [{"metric": "x", "sign": 1}]}},
     "params.maximize"),
    ("POST", "/api/jobs", {"kind": "", "params": {}}, "kind"),
    ("POST", "/api/jobs", {}, "kind"),
    ("GET", "/api/units/abc", None, "index"),
    ("GET", "/api/compare?a=stripes", None, "b"),
    ("POST", "/api/import/plan", b"x", "filename"),
    ("POST", "/api/import/plan?filename=" + "x" * 300 + ".csv", b"x", "filename"),
    ("POST", "/api/import/territory/files", None, "layer"),
    ("GET", "/api/export/plan?format=" + "j" * 40, None, "format"),
]


@pytest.mark.parametrize("method, path, body, field", BAD_BODIES,
                         ids=[f"{m} {p[:40]} {i}" for i, (m, p, _b, _f) in enumerate(BAD_BODIES)])
def test_bad_request_bodies(client, method, path, body, field):
    kw = {"content": body, "headers": {"Content-Type": "application/json"}} if isinstance(body, bytes) else (
        {"json": body} if body is not None else {})
    r = client.request(method, path, **kw)
    assert r.status_code == 422, (r.status_code, r.text)
    b = r.json()
    assert SHAPE <= set(b) <= SHAPE | I18N and b["error"] == "RequestValidationError" and b["source"] == "request"
    assert b["unit_ids"] == [] and b["hint"] and "\n" not in b["message"]
    assert field in b["message"], b["message"]


def test_unreadable_bodies(client):
    r = client.post("/api/draft/paint", content=b"\xff\xfe not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400, r.text
    b = r.json()
    assert SHAPE <= set(b) <= SHAPE | I18N and "request body could not be read" in b["message"] and "UTF-8" in b["hint"]


def test_the_front_end_requests_stay_valid(client):
    """The bodies web/src/main.js sends (kept in step with it) pass the request models."""
    assert client.post("/api/draft/paint", json={"region": 0, "units": [0, 1]}).status_code == 200
    assert client.post("/api/draft/paint", json={"region": -1, "unit_ids": ["u0_0"]}).status_code in (200, 422)
    assert client.post("/api/draft/regions", json={"name": "Added"}).status_code == 200
    assert client.patch("/api/draft/regions/0", json={"authority": "Council"}).status_code == 200
    assert client.put("/api/draft/regions/0/lock", json={"locked": True}).status_code == 200
    assert client.put("/api/draft/regions/0/lock", json={"locked": False}).status_code == 200
    assert client.post("/api/draft/save", json={"name": "mine"}).status_code == 200
    assert client.post("/api/plans/mine/duplicate", json={"new_name": "mine 2"}).status_code == 200
    assert client.post("/api/plans/mine%202/rename", json={"new_name": "mine 3"}).status_code == 200
    job = {"kind": "ensemble", "params": {"steps": 10, "seed": 1, "tolerance": 0.25, "balance": "plan"}}
    r = client.post("/api/jobs", json=job)
    assert r.status_code in (200, 409, 422) and r.json().get("error") != "RequestValidationError", r.text
    opt = {"kind": "optimize", "params": {"steps": 10, "seed": 1, "tolerance": 0.25, "balance": "equal",
                                          "maximize": [{"metric": "empowerment_plurality", "communities": ["alpha"]}]}}
    r = client.post("/api/jobs", json=opt)
    assert r.json().get("error") != "RequestValidationError", r.text
    settle = client.post("/api/draft/settle", json={"method": "knaster", "budget": 0, "census": "current",
                                                    "apply": False})
    assert settle.json().get("error") != "RequestValidationError", settle.text
    client.app.state.jobs.shutdown()
