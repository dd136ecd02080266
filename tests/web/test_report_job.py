"""The report button's job: a dossier of the draft and chosen plans (dayafter.report) written as
HTML and PDF, with progress by stage, cancel, and downloads of exactly the files it wrote."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from dayafter.report import pdf_available
from dayafter.web import Settings, create_app
from dayafter.web.demo import grid_workspace
from dayafter.web.jobs import make_job
from dayafter.web.security import CSRF_HEADER

CSRF = {CSRF_HEADER: "1"}  # what the workbench page sends with every change


def _wait(c, job_id, timeout=120):
    t0 = time.monotonic()
    while True:
        j = c.get(f"/api/jobs/{job_id}").json()
        if j["state"] not in ("queued", "running"):
            return j
        assert time.monotonic() - t0 < timeout, j
        time.sleep(0.1)


@pytest.mark.parametrize("full", [False, pytest.param(True, marks=pytest.mark.slow)])
def test_a_report_job_writes_the_dossier_of_the_draft_and_chosen_plans(tmp_path, full):
    """Without maps and as HTML only in the fast suite (maps and PDF take 10-20 s)."""
    app = create_app(Settings(workspace=grid_workspace(4, 4, plans_dir=tmp_path / "plans")))
    c = TestClient(app, headers=CSRF)
    c.get("/api/session")
    kinds = {k["kind"]: k for k in c.get("/api/jobs/kinds").json()}
    assert "report" in kinds
    c.post("/api/draft/paint", json={"region": 1, "units": [0]})
    c.patch("/api/draft", json={"title": "Variant with unit 0 moved"})
    formats = ["html", "pdf"] if full and pdf_available()[0] else ["html"]
    params = {"plans": ["halves"], "formats": formats, "maps": full}
    job = c.post("/api/jobs", json={"kind": "report", "params": params}).json()
    assert job["kind"] == "report"
    done = _wait(c, job["id"])
    assert done["state"] == "done", done
    assert done["total"] == 1 + len(formats) and done["done"] == done["total"]
    res = done["results"]
    assert res["plans"] == ["stripes", "halves"]  # the draft (opened from stripes, edited) first
    assert [f["name"] for f in res["files"]] == [f"dossier.{f}" for f in formats]
    html = c.get(f"/api/jobs/{job['id']}/files/dossier.html")
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert "attachment" in html.headers["content-disposition"]
    text = html.text
    assert "halves" in text and "stripes" in text and "<html" in text.lower()
    assert len(html.content) == res["files"][0]["bytes"]
    if "pdf" in formats:
        pdf = c.get(f"/api/jobs/{job['id']}/files/dossier.pdf")
        assert pdf.status_code == 200 and pdf.content[:5] == b"%PDF-"
    # only the files the job lists: no other name, no path
    for bad in ("manifest.json", "..%2Fplans", "dossier.xlsx"):
        r = c.get(f"/api/jobs/{job['id']}/files/{bad}")
        assert r.status_code in (404, 422), (bad, r.status_code)


def test_a_report_of_an_unknown_plan_or_format_is_refused_before_it_starts(tmp_path):
    app = create_app(Settings(workspace=grid_workspace(4, 4, plans_dir=tmp_path / "plans")))
    c = TestClient(app, headers=CSRF)
    r = c.post("/api/jobs", json={"kind": "report", "params": {"plans": ["no such plan"]}})
    assert r.status_code == 422 and "no such plan" in r.json()["message"]
    r = c.post("/api/jobs", json={"kind": "report", "params": {"formats": ["docx"]}})
    assert r.status_code == 422
    r = c.post("/api/jobs", json={"kind": "report", "params": {"steps": 10}})
    assert r.status_code in (400, 422) and "unknown report parameters" in r.json()["message"]
    assert c.get("/api/jobs").json() == []


def test_a_cancelled_report_stops_at_its_next_stage(tmp_path):
    ws = grid_workspace(4, 4, plans_dir=tmp_path / "plans")
    job = make_job("report", ws, ws.draft.plan, {"formats": ["html"], "maps": False})
    job.cancel()
    job.run()  # cancelled before it started: never runs
    assert job.state == "cancelled" and job.results is None
    job = make_job("report", ws, ws.draft.plan, {"formats": ["html"], "maps": False})
    seen = []
    inner = job.report

    def report(done, total, message="", partial=None):
        seen.append(message)
        if done == 1:
            job.cancel()
        inner(done, total, message, partial)

    job.report = report
    job.run()
    assert job.state == "cancelled" and len(seen) == 2
    assert not list(ws.runs_dir.glob("report-*/dossier.html"))
