"""A web ensemble job runs through the library's sampler: its run directory has a manifest, and the
run replays bit for bit from it (what `dayafter ensemble replay` does)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np


def test_ensemble_job_writes_a_replayable_run(client, workspace, tmp_path):
    from dayafter.ensemble import replay
    from dayafter.ensemble.store import load_chain

    r = client.post("/api/jobs", json={"kind": "ensemble", "params": {"steps": 60, "seed": 5}})
    assert r.status_code in (200, 201, 202), r.text
    job = client.app.state.jobs.get(r.json()["id"])
    assert job.wait(120) and job.state == "done", job.error
    res = job.results
    run_dir = Path(res["run_dir"])
    assert run_dir.parent == workspace.runs_dir
    man = json.loads(Path(res["manifest"]).read_text(encoding="utf-8"))
    assert man["status"] == "complete"
    assert man["parameters"]["steps"] == 60 and man["parameters"]["seed"] == 5
    # the job's summary is the run's own columns
    cols = load_chain(run_dir, 0, "npz")
    assert res["moved"] == int(np.sum(cols["status"] == 0))
    assert res["moved"] + res["self_loops"] == 60
    rep = replay(run_dir, tmp_path / "again", n_jobs=1)
    assert rep.identical


def test_optimize_job_writes_a_manifest_with_its_plans(client, workspace):
    import pytest

    pytest.importorskip("dayafter.optimize")
    from dayafter.io.plans import read_plan

    r = client.post("/api/jobs", json={"kind": "optimize", "params": {
        "steps": 300, "seed": 3, "maximize": [{"metric": "homogeneity"}]}})
    assert r.status_code in (200, 201, 202), r.text
    job = client.app.state.jobs.get(r.json()["id"])
    assert job.wait(180) and job.state == "done", job.error
    run_dir = Path(job.results["run_dir"])
    assert run_dir.parent == workspace.runs_dir
    man = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    assert man["kind"] == "optimize" and man["parameters"]["seed"] == 3
    assert man["optimizer"]["class"] == "ShortBurstOptimizer"
    assert man["territory_hash"] == workspace.territory.content_hash
    from dayafter._util import json_dumps

    best = read_plan(run_dir / "best.json", workspace.territory)
    if job.results["saved_as"]:  # the plan saved in the workbench is the run's best plan
        saved = workspace.plan(job.results["saved_as"])
        assert best.assignment.tolist() == saved.assignment.tolist()
    assert man["result"] == json.loads(json_dumps(job.results["summary"]))
