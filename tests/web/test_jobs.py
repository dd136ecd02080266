"""Job machinery: queue, progress over server-sent events, cancel, results."""

from __future__ import annotations

import json
import threading

import numpy as np
import pytest

from dayafter.errors import ConfigError
from dayafter.web.jobs import Job, JobCancelled, JobRunner, _percentile, available_kinds


def test_runner_runs_reports_and_cancels():
    runner = JobRunner(workers=1)
    gate = threading.Event()

    def slow(report):
        for i in range(10_000):
            report(i, 10_000, "working")
            gate.wait(0.01)
        return {"never": True}

    def quick(report):
        report(1, 1)
        return {"answer": 42}

    a = Job("test", slow)
    b = Job("test", quick)
    c = Job("test", quick)
    runner.submit(a)
    runner.submit(b)
    runner.submit(c)
    c.cancel()  # cancelled while queued: never runs
    assert c.state == "cancelled"
    while a.done < 3:
        gate.wait(0.01)
    runner.cancel(a.id)
    assert a.wait(10) and a.state == "cancelled" and a.results is None
    assert b.wait(10) and b.state == "done" and b.results == {"answer": 42}
    assert [j["id"] for j in runner.list()][-1] == a.id
    runner.shutdown()


def test_failure_is_reported_not_raised():
    def broken(report):
        raise ValueError("boom")

    job = Job("test", broken)
    job.run()
    assert job.state == "failed" and job.error["error"] == "ValueError" and "boom" in job.message
    with pytest.raises(JobCancelled):
        cancelled = Job("test", broken)
        cancelled.cancel()
        cancelled.report(0, 1)


def test_percentile_against_definition():
    rng = np.random.default_rng(0)
    s = rng.integers(0, 10, 500)
    for v in (-1, 0, 3, 9, 12):
        expect = (sum(x < v for x in s) + 0.5 * sum(x == v for x in s)) / len(s)
        assert _percentile(s, v) == pytest.approx(expect)


needs_ensemble = pytest.mark.skipif(not any(k["kind"] == "ensemble" for k in available_kinds()),
                                    reason="dayafter.ensemble is not installed")


@pytest.mark.slow
@needs_ensemble
def test_ensemble_job_over_http_with_sse(client):
    kinds = client.get("/api/jobs/kinds").json()
    assert "ensemble" in [k["kind"] for k in kinds]
    r = client.post("/api/jobs", json={"kind": "ensemble", "params": {"steps": 400, "seed": 1}})
    assert r.status_code == 200, r.text
    jid = r.json()["id"]
    events = []
    with client.stream("GET", f"/api/jobs/{jid}/events") as s:
        for line in s.iter_lines():
            if line.startswith("data: "):
                events.append(json.loads(line[6:]))
    assert events[-1]["state"] == "done"
    res = client.get(f"/api/jobs/{jid}").json()["results"]
    assert res["steps"] == 400 and res["moved"] + res["self_loops"] == 400
    assert 0.0 <= res["percentile"]["cut_edges"] <= 1.0
    q = res["quantiles"]["cut_edges"]
    assert q == sorted(q)
    # the starting plan (stripes) has 6 cut edges on a 6x6 grid: the reference count
    assert res["plan"]["cut_edges"] == 6


@pytest.mark.slow
@needs_ensemble
def test_ensemble_job_cancel_and_bad_input(client):
    r = client.post("/api/jobs", json={"kind": "ensemble", "params": {"steps": 5_000_000, "chunk": 20}})
    jid = r.json()["id"]
    with client.stream("GET", f"/api/jobs/{jid}/events") as s:
        for line in s.iter_lines():
            if line.startswith("data: ") and json.loads(line[6:])["done"] > 0:
                break
    client.post(f"/api/jobs/{jid}/cancel")
    with client.stream("GET", f"/api/jobs/{jid}/events") as s:
        last = [json.loads(x[6:]) for x in s.iter_lines() if x.startswith("data: ")][-1]
    assert last["state"] == "cancelled" and last["done"] < 5_000_000
    # unassigned units: refused at once, with the reason
    client.post("/api/draft/paint", json={"region": -1, "units": [0]})
    bad = client.post("/api/jobs", json={"kind": "ensemble", "params": {"steps": 10}})
    assert bad.status_code == 422 and "unassigned" in bad.json()["message"]
    assert client.post("/api/jobs", json={"kind": "nope"}).status_code == 400


needs_optimize = pytest.mark.skipif(not any(k["kind"] == "optimize" for k in available_kinds()),
                                    reason="dayafter.optimize is not installed")


@pytest.mark.slow
@needs_optimize
def test_optimize_job_saves_a_better_or_equal_plan(client, workspace):
    from dayafter.metrics import evaluate

    client.post("/api/plans/halves/open")
    r = client.post("/api/jobs", json={"kind": "optimize", "params": {
        "steps": 2000, "seed": 3, "minimize": [{"metric": "stranded", "communities": ["gamma"]}]}})
    assert r.status_code == 200, r.text
    job = client.app.state.jobs.get(r.json()["id"])
    assert job.wait(120) and job.state == "done", job.error
    res = job.results
    start = evaluate(workspace.territory, workspace.plan("halves")).census("baseline").stranded[2]
    best = workspace.plan(res["saved_as"])
    got = evaluate(workspace.territory, best).census("baseline")
    # the saved plan is what the job reports, and no worse than the starting plan
    assert got.stranded[2] == pytest.approx(res["summary"]["values"]["stranded gamma"]
                                            if "stranded gamma" in res["summary"]["values"]
                                            else next(iter(res["summary"]["values"].values())))
    assert got.stranded[2] <= start + 1e-12
    assert [p["name"] for p in client.get("/api/plans").json()][-1] == res["saved_as"]


@pytest.mark.slow
@needs_ensemble
def test_ensemble_bounds_around_the_plan_or_equal(client, workspace):
    from dayafter.web.jobs import _balance

    plan = workspace.plan("halves")
    pop = workspace.territory.population("baseline")
    b = _balance(workspace.territory, plan, {"tolerance": 0.1}, "baseline")
    for j in range(plan.k):
        total = pop[plan.assignment == j].sum()
        assert b["pop_min"][j] == pytest.approx(0.9 * total) and b["pop_max"][j] == pytest.approx(1.1 * total)
    assert _balance(workspace.territory, plan, {"balance": "equal", "tolerance": 0.1}, "baseline") == {"tolerance": 0.1}
    # refused by the request model (422, naming the field) before the engine sees them
    for params, field in (({"balance": "odd"}, "params.balance"), ({"tolerance": 1.5}, "params.tolerance")):
        r = client.post("/api/jobs", json={"kind": "ensemble", "params": params})
        assert r.status_code == 422 and r.json()["error"] == "RequestValidationError", r.text
        assert field in r.json()["message"]
    # a zero-width band around the plan is a valid (if very tight) constraint: the job completes
    r = client.post("/api/jobs", json={"kind": "ensemble", "params": {"steps": 50, "tolerance": 0.0}})
    job = client.app.state.jobs.get(r.json()["id"])
    assert job.wait(120) and job.state == "done", job.error
    assert job.results["moved"] + job.results["self_loops"] == 50


@pytest.mark.slow
@needs_ensemble
@needs_optimize
def test_jobs_run_on_the_built_in_case_with_default_bounds(tmp_path):
    """Scenario regions differ in size by a factor of ten: the default bounds follow the plan."""
    from fastapi.testclient import TestClient

    from dayafter.metrics import evaluate
    from dayafter.web import Settings, create_app
    from dayafter.web.security import CSRF_HEADER

    app = create_app(Settings(plans_dir=tmp_path))
    ws = app.state.workspace
    with TestClient(app, headers={CSRF_HEADER: "1"}) as c:
        ens = c.post("/api/jobs", json={"kind": "ensemble", "params": {"steps": 300, "seed": 5}})
        opt = c.post("/api/jobs", json={"kind": "optimize", "params": {
            "steps": 1500, "seed": 5, "maximize": [{"metric": "empowerment_plurality", "communities": ["yazidi"]}]}})
        assert ens.status_code == 200 and opt.status_code == 200, (ens.text, opt.text)
        e = app.state.jobs.get(ens.json()["id"])
        o = app.state.jobs.get(opt.json()["id"])
        assert e.wait(180) and e.state == "done", e.error
        assert o.wait(180) and o.state == "done", o.error
    start = evaluate(ws.territory, ws.plan(ws.reference)).census("baseline")
    best = evaluate(ws.territory, ws.plan(o.results["saved_as"])).census("baseline")
    y = start.communities.index("yazidi")
    assert best.empowerment_plurality[y] >= start.empowerment_plurality[y]
    # every region of the optimized plan stays within 25% of its population in the scenario
    a0, a1 = ws.plan(ws.reference).assignment, ws.plan(o.results["saved_as"]).assignment
    pop = ws.territory.population("baseline")
    p0 = np.bincount(a0, weights=pop, minlength=start.population.size)
    p1 = np.bincount(a1, weights=pop, minlength=start.population.size)
    assert np.all(p1 >= 0.75 * p0 - 1e-6) and np.all(p1 <= 1.25 * p0 + 1e-6)


def _ranged_workspace(plans_dir):
    """The demo grid with stated ranges on its baseline census (every figure within ±40%), and
    the same territory without them."""
    from dayafter.web.demo import grid_workspace

    ws = grid_workspace(6, 6, plans_dir=plans_dir, ranges=0.4)
    assert list(ws.territory.ranges) == ["baseline"]
    return ws, ws.territory.with_ranges({}, replace=True)


def test_the_child_process_gets_the_census_ranges(tmp_path):
    """Without its ranges the child's draws would be another territory's (the default error only)."""
    import pickle

    from dayafter.optimize import Objective
    from dayafter.web.jobs import _territory_from_state, _territory_state

    ws, bare = _ranged_workspace(tmp_path)
    t = ws.territory
    back = _territory_from_state(pickle.loads(pickle.dumps(_territory_state(t))))
    assert list(back.ranges) == ["baseline"]
    for name in ("low", "high", "total_low", "total_high"):
        np.testing.assert_array_equal(getattr(back.ranges["baseline"], name), getattr(t.ranges["baseline"], name))
    assert back.content_hash == t.content_hash
    obj = Objective.from_dict({"census": "baseline", "combine": "worst", "draws": {"n": 3, "seed": 0},
                               "maximize": ["homogeneity"]})
    got = obj.census_draws(back).census("baseline")
    np.testing.assert_array_equal(got, obj.census_draws(t).census("baseline"))
    # the ranges change the draws: a territory without them draws differently
    assert not np.allclose(got, obj.census_draws(bare).census("baseline"))


@needs_optimize
def test_optimize_job_refuses_draws_out_of_range(tmp_path):
    from dayafter.web.jobs import make_job

    ws, _ = _ranged_workspace(tmp_path)
    terms = {"minimize": [{"metric": "stranded", "communities": ["gamma"]}]}
    for bad in (-1, 65):
        with pytest.raises(ConfigError, match=r"census draws must lie in 0\.\.64") as e:
            make_job("optimize", ws, ws.plan("halves"), {"draws": bad, **terms})
        assert e.value.key == "web.draws_range" and e.value.args_i18n == {"n": bad, "max": 64}
    with pytest.raises(ConfigError, match="seed must be 0 or more"):
        make_job("optimize", ws, ws.plan("halves"), {"draws": 2, "draw_seed": -1, **terms})


@pytest.mark.slow
@needs_optimize
def test_optimize_job_robust_over_census_draws(tmp_path):
    """A short optimization with draws on a territory with ranges: the child scores the plan on
    the draws of the stated ranges, and the objective is the worst over the census and its draws."""
    from fastapi.testclient import TestClient

    from dayafter.metrics import evaluate
    from dayafter.optimize import Objective
    from dayafter.web import Settings, create_app
    from dayafter.web.security import CSRF_HEADER

    ws, bare = _ranged_workspace(tmp_path / "plans")
    app = create_app(Settings(workspace=ws))
    term = {"metric": "homogeneity"}
    with TestClient(app, headers={CSRF_HEADER: "1"}) as client:
        client.post("/api/plans/halves/open")
        r = client.post("/api/jobs", json={"kind": "optimize", "params": {
            "steps": 300, "seed": 3, "census": "baseline", "draws": 4, "draw_seed": 1, "maximize": [term]}})
        assert r.status_code == 200, r.text
        job = client.app.state.jobs.get(r.json()["id"])
        assert job.wait(180) and job.state == "done", job.error
        res = job.results
    summary = res["summary"]
    per = summary["census_objectives"]
    assert sorted(per) == ["baseline", "baseline~1", "baseline~2", "baseline~3", "baseline~4"]
    assert len({round(v, 9) for v in per.values()}) > 1  # the draws differ from the census
    assert summary["objective"] == pytest.approx(min(per.values()))
    assert res["census_label"] == "the worst of 'baseline' and 4 draws of its ranges (seed 1)"
    [row] = res["robust"]["censuses"]
    assert res["robust"]["draws"] == 4 and res["robust"]["seed"] == 1 and res["robust"]["combine"] == "worst"
    draws = [per[f"baseline~{j}"] for j in range(1, 5)]
    assert row == {"census": "baseline", "value": per["baseline"], "low": min(draws), "high": max(draws)}
    # the child drew from the stated ranges: its scores are the parent's on the ranged territory,
    # not those on the same territory without ranges
    best = ws.plan(res["saved_as"])
    obj = Objective.from_dict({"census": "baseline", "combine": "worst", "draws": {"n": 4, "seed": 1},
                               "maximize": [term]})

    def scores(t):
        return obj.census_scores(evaluate(t, best, censuses=["baseline"]), obj.draw_evaluation(t, best))

    assert scores(ws.territory) == pytest.approx(per, abs=1e-9)
    assert scores(bare) != pytest.approx(per, abs=1e-9)
