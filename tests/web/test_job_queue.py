"""The bounded job queue: 429 with Retry-After when full, 503 once the runner stops (issue 9, part 3)."""

from __future__ import annotations

import threading

import pytest
from fastapi.testclient import TestClient

from dayafter.errors import ConfigError
from dayafter.web import Settings, create_app
from dayafter.web.jobs import Job, JobQueueFull, JobRunner, JobsClosed
from dayafter.web.security import CSRF_HEADER

SHAPE = {"error", "message", "hint", "unit_ids", "source"}
I18N = {"message_i18n", "hint_i18n"}  # the keys of the message and hint, when they have one


def _blocking(gate: threading.Event, started: threading.Semaphore | None = None):
    def work(report):
        if started is not None:
            started.release()
        while not gate.wait(0.02):
            report(0, 1, "waiting")  # raises JobCancelled once cancelled
        return {"ok": True}
    return Job("test", work)


def test_runner_bounds_the_queue_and_frees_places():
    gate = threading.Event()
    started = threading.Semaphore(0)
    runner = JobRunner(workers=2, max_queued=3)
    try:
        jobs = [_blocking(gate, started) for _ in range(5)]
        for j in jobs:
            runner.submit(j)
        assert started.acquire(timeout=10) and started.acquire(timeout=10)  # two run, three wait
        with pytest.raises(JobQueueFull, match="3 jobs already wait") as info:
            runner.submit(_blocking(gate))
        assert info.value.http_status == 429 and info.value.hint
        # cancelling a waiting job frees its place at once
        runner.cancel(jobs[4].id)
        extra = _blocking(gate)
        runner.submit(extra)
        with pytest.raises(JobQueueFull):
            runner.submit(_blocking(gate))
        gate.set()
        for j in [*jobs[:4], extra]:
            assert j.wait(timeout=20) and j.state == "done"
        assert jobs[4].state == "cancelled"
        # all done: the queue takes jobs again
        again = _blocking(gate)
        runner.submit(again)
        assert again.wait(timeout=20) and again.state == "done"
    finally:
        gate.set()
        runner.shutdown()


def test_a_queue_of_zero_runs_only_as_many_jobs_as_workers():
    gate = threading.Event()
    runner = JobRunner(workers=1, max_queued=0)
    try:
        runner.submit(_blocking(gate))
        with pytest.raises(JobQueueFull):
            runner.submit(_blocking(gate))
    finally:
        gate.set()
        runner.shutdown()


def test_a_stopped_runner_takes_no_jobs():
    runner = JobRunner(workers=1)
    runner.shutdown()
    with pytest.raises(JobsClosed, match="stopping") as info:
        runner.submit(_blocking(threading.Event()))
    assert info.value.http_status == 503
    assert runner.list() == []


def test_runner_settings_are_checked():
    with pytest.raises(ConfigError):
        JobRunner(workers=0)
    with pytest.raises(ConfigError):
        JobRunner(workers=1, max_queued=-1)


def test_http_answers_429_then_503(workspace, monkeypatch):
    import dayafter.web.jobs as jobs_mod

    gate = threading.Event()
    monkeypatch.setattr(jobs_mod, "make_job", lambda kind, ws, plan, params: _blocking(gate))
    app = create_app(Settings(workspace=workspace, max_jobs_queued=2))
    try:
        with TestClient(app, headers={CSRF_HEADER: "1"}) as c:
            codes = [c.post("/api/jobs", json={"kind": "ensemble"}).status_code for _ in range(3)]
            assert codes == [200, 200, 200]  # one runs, two wait
            full = c.post("/api/jobs", json={"kind": "ensemble"})
            assert full.status_code == 429, full.text
            body = full.json()
            assert SHAPE <= set(body) <= SHAPE | I18N and body["error"] == "JobQueueFull" and "2 jobs already wait" in body["message"]
            assert int(full.headers["retry-after"]) > 0
            # the job list still answers while the queue is full
            assert len(c.get("/api/jobs").json()) == 3
            gate.set()
            for j in c.get("/api/jobs").json():
                app.state.jobs.get(j["id"]).wait(timeout=20)
            assert c.post("/api/jobs", json={"kind": "ensemble"}).status_code == 200
            app.state.jobs.shutdown()
            closed = c.post("/api/jobs", json={"kind": "ensemble"})
            assert closed.status_code == 503, closed.text
            assert closed.json()["error"] == "JobsClosed" and closed.json()["hint"]
    finally:
        gate.set()
