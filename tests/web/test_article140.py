"""The Article 140 panel: a settlement of the case run from the draft (GET /api/draft/article140)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest


@pytest.fixture(scope="module")
def case_client(tmp_path_factory):
    from fastapi.testclient import TestClient

    from dayafter.project import Project
    from dayafter.web import Settings, create_app
    from dayafter.web.workspace import Workspace

    ws = Workspace.from_project(Project.from_case("northern-iraq"),
                                plans_dir=tmp_path_factory.mktemp("plans"))
    from dayafter.web.security import CSRF_HEADER

    with TestClient(create_app(Settings(workspace=ws)), headers={CSRF_HEADER: "1"}) as c:
        yield c, ws


def test_the_case_offers_its_settlements(case_client):
    client, _ws = case_client
    info = client.get("/api/article140").json()
    assert info["available"] is True
    names = {s["name"]: s["steps"] for s in info["settlements"]}
    assert names["article-140"][:3] == ["normalise", "census", "referendum"]
    assert "security-first" in names


def test_a_run_from_the_draft_equals_the_library_run_from_the_same_plan(case_client):
    client, ws = case_client
    client.post("/api/plans/krg-releases-claims/open")
    r = client.get("/api/draft/article140", params={"settlement": "article-140", "draws": 20, "seed": 3})
    assert r.status_code == 200
    got = r.json()
    assert got["draft"] == "krg-releases-claims" and got["draws"] == 20
    assert [o["kind"] for o in got["timeline"]] == ["normalise", "census", "referendum", "transfer",
                                                     "deploy", "elect"]
    assert all(0.0 <= a["certainty"] <= 1.0 for a in got["referendum"]["areas"])
    # the same settlement run directly by the library from the same plan (the CLI's path)
    from dayafter import cases
    from dayafter.sequence import SequenceInputs, case_settlements, run_sequence

    case = cases.load("northern-iraq")
    inputs = SequenceInputs.from_case(case, council_rules=ws.council_rules)
    s = dataclasses.replace(case_settlements()["article-140"], plan="krg-releases-claims")
    want = run_sequence(s, inputs, rng=np.random.default_rng(3), draws=20).to_dict()
    assert got["years"] == want["years"]
    assert got["metrics"] == pytest.approx(want["metrics"], rel=1e-9, nan_ok=True)
    assert got["claims"] == want["claims"]
    # the other settlement of the case starts with the deployment
    other = client.get("/api/draft/article140", params={"settlement": "security-first", "draws": 20}).json()
    assert other["timeline"][0]["kind"] == "deploy"


def test_refusals(case_client, client):
    case, _ws = case_client
    r = case.get("/api/draft/article140", params={"settlement": "no-such"})
    assert r.status_code == 422 and "article-140" in r.json()["hint"]
    for bad in (0, 9, 1001):
        assert case.get("/api/draft/article140", params={"draws": bad}).status_code == 422
    # a territory without Article 140 data (the synthetic grid): no panel, a clear refusal
    assert client.get("/api/article140").json()["available"] is False
    r = client.get("/api/draft/article140")
    assert r.status_code == 422 and "no settlements" in r.json()["message"]
