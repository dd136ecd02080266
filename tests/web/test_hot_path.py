"""The evaluation hot path: kept evaluations, strokes sharing one evaluation, compact undo entries.

Every answer must stay exactly what a fresh computation gives for the plan it describes.
"""

from __future__ import annotations

import asyncio
import itertools
import json

import numpy as np
import pytest
from tests.web._threads import run_async

from dayafter.web import Settings, create_app
from dayafter.web.app import json_bytes
from dayafter.web.demo import grid_workspace
from dayafter.web.workspace import Workspace


def _fresh(ws, plan):
    """The evaluation computed from scratch by a new workspace over the same data (nothing kept),
    through JSON as the API sends it."""
    other = Workspace(ws.territory, scenarios=ws.scenarios, criteria=ws.criteria, plans_dir=ws.plans_dir)
    other.reference = ws.reference
    return json.loads(json_bytes(other.evaluation(plan)))


def test_evaluations_are_kept_per_plan_object_and_equal_fresh_ones(workspace):
    ws = workspace
    plan = ws.plan("stripes")
    assert ws.cached_evaluation_json(plan) is None
    data = ws.evaluation_json(plan)
    assert ws.cached_evaluation_json(plan) is data and ws.evaluation_json(plan) is data
    assert json.loads(data) == _fresh(ws, plan)
    # the dict form after only the JSON was kept: the same content
    assert json.loads(json_bytes(ws.evaluation(plan))) == json.loads(data)
    # a new plan (a stroke) is evaluated anew
    ws.open("stripes")
    ws.paint([0, 1, 2], 1)
    assert ws.cached_evaluation_json(ws.draft.plan) is None
    assert json.loads(ws.evaluation_json()) == _fresh(ws, ws.draft.plan)
    # only the last EVALUATIONS_KEPT are kept
    for i in range(ws.EVALUATIONS_KEPT + 1):
        u = i % 36
        assert ws.paint([u], 1 - max(int(ws.draft.plan.assignment[u]), 0))["changed"] == [u]
        ws.evaluation_json()
    assert len(ws._evaluations) == ws.EVALUATIONS_KEPT
    assert ws.cached_evaluation_json(plan) is None


def test_a_changed_reference_is_not_served_from_the_kept_evaluation(workspace):
    ws = workspace
    plan = ws.plan("stripes")
    before = json.loads(ws.evaluation_json(plan))
    ws.open("stripes")
    ws.paint([0, 1], 0)
    ws.save_draft("ref")
    ws.reference = "ref"
    assert ws.cached_evaluation_json(plan) is None
    after = json.loads(ws.evaluation_json(plan))
    assert after == _fresh(ws, plan) and after != before


def test_undo_entries_are_compact_and_restore_the_plans(workspace):
    ws = workspace
    ws.open("stripes")
    seen = [ws.draft.plan]
    rng = np.random.default_rng(3)
    for _ in range(30):
        ws.paint(rng.choice(36, 3, replace=False).tolist(), int(rng.integers(-1, 2)))
        if ws.draft.plan is not seen[-1]:
            seen.append(ws.draft.plan)
    ws.add_region("Third")
    seen.append(ws.draft.plan)
    ws.paint([5, 6], 2)
    seen.append(ws.draft.plan)
    stack = ws.draft.undo
    assert len(stack) == len(seen) - 1
    # consecutive strokes share their regions and meta objects: one new object per entry
    assert sum(1 for a, b in itertools.pairwise(stack) if a[1] is b[1]) >= len(stack) - 3
    for want in reversed(seen[:-1]):
        assert ws.undo()
        got = ws.draft.plan
        assert np.array_equal(got.assignment, want.assignment) and got.regions == want.regions
        assert got.name == want.name and dict(got.meta) == dict(want.meta)
    assert not ws.undo()
    for want in seen[1:]:
        assert ws.redo()
        assert np.array_equal(ws.draft.plan.assignment, want.assignment)
        assert ws.draft.plan.regions == want.regions


@pytest.mark.parametrize("threads", [0, 1])
def test_concurrent_strokes_get_the_current_drafts_evaluation(tmp_path, threads):
    """Strokes sent at once all land, and every answer's evaluation is that of a draft that holds
    the stroke; the draft read afterwards is evaluated exactly."""
    import httpx2

    ws = grid_workspace(6, 6, plans_dir=tmp_path)
    app = create_app(Settings(workspace=ws, compute_threads=threads))
    rng = np.random.default_rng(7)
    strokes = [{"region": int(rng.integers(0, 2)), "units": [int(u)]} for u in rng.permutation(36)[:24]]

    async def run():
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://t", headers={"X-Dayafter-CSRF": "1"}) as c:
            replies = await asyncio.gather(*(c.post("/api/draft/paint", json=s) for s in strokes))
            final = await c.get("/api/draft")
        return replies, final

    replies, final = run_async(run)
    assert all(r.status_code == 200 for r in replies)
    draft = final.json()
    a = np.asarray(draft["draft"]["assignment"])
    # every stroke touched its own unit: each landed (the last stroke on a unit wins; here one each)
    for s in strokes:
        assert a[s["units"][0]] == s["region"]
    assert draft["draft"]["undo"] == sum(1 for r in replies if r.json()["changed"])
    assert draft["evaluation"] == _fresh(ws, ws.draft.plan)
    # each answer carries the evaluation of a draft that already holds its stroke
    for s, r in zip(strokes, replies, strict=True):
        body = r.json()
        assert body["region"] == s["region"] and body["evaluation"]["regions"]
        assert body["draft"]["undo"] >= 1


def test_the_app_prepares_its_first_evaluations_before_it_serves(tmp_path):
    from fastapi.testclient import TestClient

    ws = grid_workspace(5, 5, plans_dir=tmp_path / "plans")
    assert ws.cached_evaluation_json(ws.draft.plan) is None
    app = create_app(Settings(workspace=ws))
    with TestClient(app):  # the lifespan runs: Workspace.warm
        assert ws.cached_evaluation_json(ws.draft.plan) is not None
        assert all(ws.cached_evaluation_json(p) is not None for p in ws.scenarios.values())
        # still what a fresh computation gives
        assert json.loads(ws.cached_evaluation_json(ws.draft.plan)) == _fresh(ws, ws.draft.plan)
    cold = grid_workspace(5, 5, plans_dir=tmp_path / "cold")
    with TestClient(create_app(Settings(workspace=cold, warm=False))):
        assert cold.cached_evaluation_json(cold.draft.plan) is None


def test_warming_problems_are_a_warning_not_a_failed_start(tmp_path, monkeypatch):
    from dayafter.errors import DataQualityWarning, InputDataError

    ws = grid_workspace(4, 4, plans_dir=tmp_path / "plans")

    def broken(plan=None):
        raise InputDataError("no metrics today", hint="none")

    monkeypatch.setattr(ws, "evaluation_json", broken)
    with pytest.warns(DataQualityWarning, match="no metrics today"):
        ws.warm()


def test_the_draft_state_as_json_is_the_draft_state(workspace):
    ws = workspace

    def same():
        for assignment in (False, True):
            data, plan = ws.draft_snapshot_json(assignment=assignment)
            assert plan is ws.draft.plan
            assert json.loads(data) == json.loads(json_bytes(ws.draft_state(assignment=assignment)))

    same()
    ws.paint([0, 1], 1)
    same()
    ws.set_lock(0, True)  # the draft changes, not its plan: the kept part of the plan still holds
    same()
    ws.edit_details(title="T", notes="a \"quoted\" note\nwith lines")
    same()
    ws.undo()
    same()
    ws.set_lock(0, False)
    ws.paint([2], -1)
    same()
