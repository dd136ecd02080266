"""The metrics panel's ranges over census draws (GET /api/draft/ranges, /api/plans/{name}/ranges)."""

from __future__ import annotations

import numpy as np
import pytest

COMMUNITY_FIGURES = ("empowerment_plurality", "empowerment_majority", "stranded")


@pytest.fixture(scope="module")
def case_client(tmp_path_factory):
    # the built-in case: every figure has a stated range, so the draws spread
    from fastapi.testclient import TestClient

    from dayafter.project import Project
    from dayafter.web import Settings, create_app
    from dayafter.web.security import CSRF_HEADER
    from dayafter.web.workspace import Workspace

    ws = Workspace.from_project(Project.from_case("northern-iraq"),
                                plans_dir=tmp_path_factory.mktemp("plans"))
    with TestClient(create_app(Settings(workspace=ws)), headers={CSRF_HEADER: "1"}) as c:
        yield c


def _figures(reply):
    return reply["summary"]["figures"]


def test_draft_ranges_bracket_the_panels_own_figures(case_client):
    client = case_client
    # the point of every community figure is the number the panel shows (the plain evaluation),
    # and p05 <= p50 <= p95
    ev = client.get("/api/draft").json()["evaluation"]
    r = client.get("/api/draft/ranges", params={"draws": 64})
    assert r.status_code == 200
    figs = _figures(r.json())
    assert r.json()["summary"]["draws"]["draws"] == 64
    n = 0
    for census, cm in ev["censuses"].items():
        for com, m in cm["communities"].items():
            for f in COMMUNITY_FIGURES:
                fig = figs[f"{census}/{f}:{com}"]
                assert fig["point"] == pytest.approx(m[f], abs=1e-12)
                assert fig["p05"] <= fig["p50"] + 1e-12 <= fig["p95"] + 2e-12
                n += 1
    assert n == 2 * 9 * len(COMMUNITY_FIGURES)
    # the estimates' ranges spread some figures (the case's composition is estimated)
    assert any(v["p95"] - v["p05"] > 0.01 for v in figs.values()
               if v["p95"] is not None and v["p05"] is not None)
    # criteria come with the share of draws in which they pass
    crit = r.json()["summary"]["criteria"]
    assert crit and all(0.0 <= c["pass_share"] <= 1.0 for c in crit)


def test_a_territory_without_ranges_has_zero_width_ranges(client):
    # the synthetic grid states no ranges or statuses: every draw is the census as given
    ev = client.get("/api/draft").json()["evaluation"]
    figs = _figures(client.get("/api/draft/ranges", params={"draws": 32}).json())
    for census, cm in ev["censuses"].items():
        for com, m in cm["communities"].items():
            for f in COMMUNITY_FIGURES:
                fig = figs[f"{census}/{f}:{com}"]
                assert fig["p05"] == fig["p50"] == fig["p95"] == pytest.approx(m[f], abs=1e-12)


def test_ranges_follow_the_draft_and_refine_with_more_draws(case_client):
    client = case_client
    quick = client.get("/api/draft/ranges", params={"draws": 16}).json()
    again = client.get("/api/draft/ranges", params={"draws": 16}).json()
    assert again == quick  # the same seed gives the same draws
    client.post("/api/draft/paint", json={"region": 1, "units": [0, 1, 2, 3]})
    after = client.get("/api/draft/ranges", params={"draws": 16}).json()
    assert after["plan_key"] != quick["plan_key"]  # the front end drops replies for an older draft
    refined = client.get("/api/draft/ranges", params={"draws": 256}).json()
    assert refined["plan_key"] == after["plan_key"]
    assert refined["summary"]["draws"]["draws"] == 256
    # a different seed gives different draws (some range moves)
    other = client.get("/api/draft/ranges", params={"draws": 16, "seed": 7}).json()
    a = np.array([v["p95"] for v in _figures(after).values() if v["p95"] is not None])
    b = np.array([v["p95"] for v in _figures(other).values() if v["p95"] is not None])
    assert a.shape == b.shape and not np.allclose(a, b)


def test_stored_plan_ranges_and_bounds(client):
    r = client.get("/api/plans/halves/ranges", params={"draws": 32})
    assert r.status_code == 200 and r.json()["plan"] == "halves"
    r = client.get("/api/plans/no-such-plan/ranges")
    assert r.status_code == 422 and "no-such-plan" in r.json()["message"]
    for bad in (0, 7, 2001, 10**9):
        r = client.get("/api/draft/ranges", params={"draws": bad})
        assert r.status_code == 422 and "draws" in r.json()["message"]
    assert client.get("/api/draft/ranges", params={"seed": -1}).status_code == 422
