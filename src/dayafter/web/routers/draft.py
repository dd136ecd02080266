"""The draft: the plan being edited (paint, undo/redo, regions, save), evaluated as it changes."""

from __future__ import annotations

import asyncio
import time
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import Field

from dayafter._util import json_bytes
from dayafter.web.routers._common import _MAX_UNITS, NameBody, ShortText, _Body, _ws
from dayafter.web.workspace import Workspace

router = APIRouter()


class PaintBody(_Body):
    region: int = Field(ge=-1, le=_MAX_UNITS, description="target region index; -1 erases")
    units: list[Annotated[int, Field(ge=0, le=_MAX_UNITS)]] = Field(
        default_factory=list, max_length=_MAX_UNITS, description="unit indices")
    unit_ids: list[ShortText] = Field(default_factory=list, max_length=_MAX_UNITS,
                                      description="unit ids (alternative)")
    admin_level: ShortText | None = None
    admin_code: ShortText | None = None


class RegionBody(_Body):
    name: ShortText | None = None
    authority: ShortText | None = None
    status: ShortText | None = None


class LockBody(_Body):
    locked: bool


def _draft_reply(ws: Workspace, *, assignment: bool = True, **extra: Any) -> dict[str, Any]:
    t0 = time.perf_counter()
    state, plan = ws.draft_snapshot(assignment=assignment)
    out: dict[str, Any] = {"draft": state, "evaluation": ws.evaluation(plan)}
    out["server_ms"] = (time.perf_counter() - t0) * 1e3
    out.update(extra)
    return out


def _draft_response(ws: Workspace, *, assignment: bool = True, t0: float | None = None,
                    **extra: Any) -> Response:
    """:func:`_draft_reply` as a ready response: the evaluation's JSON is kept with it by the
    workspace, so a draft seen before (after undo, or asked for again) is not encoded again."""
    t0 = time.perf_counter() if t0 is None else t0
    state, plan = ws.draft_snapshot(assignment=assignment)
    return _draft_bytes(state, ws.evaluation_json(plan), t0, extra)


def _draft_bytes(state: dict[str, Any], evaluation: bytes, t0: float, extra: dict[str, Any]) -> Response:
    tail = {"server_ms": (time.perf_counter() - t0) * 1e3, **extra}
    body = b"".join((b'{"draft":', json_bytes(state), b',"evaluation":', evaluation, b",",
                     json_bytes(tail)[1:]))
    return Response(body, media_type="application/json")


async def compute(request: Request, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Run ``fn(*args, **kwargs)``, an evaluation, where ``Settings.compute_threads`` says.

    With 0 (the default) it runs on the event loop, after one turn of the loop so that the requests
    already in (other strokes) are applied first and find its evaluation ready: the work holds the
    GIL either way, and a thread would only add the switching between it and the loop (under load,
    the loop and a busy thread hand the GIL back and forth every 5 ms, and every answer waits).
    With 1 or more it runs in that many threads of its own.
    """
    import functools

    call = functools.partial(fn, *args, **kwargs)
    state = request.app.state
    if state.settings.compute_threads == 0:
        await asyncio.sleep(0)
        return call()
    import anyio
    import anyio.to_thread

    limiter = getattr(state, "compute_limiter", None)
    if limiter is None:
        limiter = state.compute_limiter = anyio.CapacityLimiter(state.settings.compute_threads)
    return await anyio.to_thread.run_sync(call, limiter=limiter)


@router.get("/draft")
async def get_draft(request: Request) -> Response:
    """The plan being edited, with its evaluation."""
    return await _current_draft(request, _ws(request), time.perf_counter())


@router.post("/draft/new")
def new_draft(request: Request) -> Response:
    """Start an empty plan (every unit unassigned, one region)."""
    ws = _ws(request)
    ws.new_plan()
    return _draft_response(ws)


@router.post("/draft/paint")
async def paint(request: Request, body: PaintBody) -> Response:
    """Move units (by index, by id, or a whole admin unit) to a region; returns the changes and
    the evaluation of the draft as it is when the answer is made.

    The stroke is applied at once (a quick array update); the evaluation follows through
    :func:`compute`. When several strokes arrive together (several people, or clients, painting the
    same draft), the first evaluation made covers all of them and the others find it ready: under
    load the metrics are computed once per batch of strokes instead of once per stroke, and every
    answer carries the evaluation of the current draft.
    """
    t0 = time.perf_counter()
    ws = _ws(request)
    idx = list(body.units)
    if body.unit_ids:
        idx += ws.territory.index(body.unit_ids).tolist()
    if body.admin_level is not None:
        idx += ws.admin_units(body.admin_level, body.admin_code or "").tolist()
    res = ws.paint(idx, body.region)
    return await _current_draft(request, ws, t0, assignment=False, **res)


async def _current_draft(request: Request, ws: Workspace, t0: float, *, assignment: bool = True,
                         **extra: Any) -> Response:
    """The draft as it is now with its evaluation: at once when it was evaluated before, else
    through :func:`compute` (which evaluates the draft as it is when it gets to it)."""
    state, plan = ws.draft_snapshot(assignment=assignment)
    data = ws.cached_evaluation_json(plan)
    if data is not None:
        return _draft_bytes(state, data, t0, extra)
    return await compute(request, _draft_response, ws, assignment=assignment, t0=t0,
                         **extra)


@router.post("/draft/undo")
async def undo(request: Request) -> Response:
    """Undo the last edit."""
    t0 = time.perf_counter()
    ws = _ws(request)
    return await _current_draft(request, ws, t0, done=ws.undo())


@router.post("/draft/redo")
async def redo(request: Request) -> Response:
    """Redo the last undone edit."""
    t0 = time.perf_counter()
    ws = _ws(request)
    return await _current_draft(request, ws, t0, done=ws.redo())


@router.post("/draft/regions")
def add_region(request: Request, body: RegionBody) -> Response:
    """Add an empty region."""
    ws = _ws(request)
    ws.add_region(body.name or "", body.authority or "", body.status or "")
    return _draft_response(ws, assignment=False)


@router.patch("/draft/regions/{index}")
def edit_region(request: Request, index: int, body: RegionBody) -> Response:
    """Change a region's name, authority or status."""
    ws = _ws(request)
    ws.edit_region(index, **{k: v for k, v in body.model_dump().items() if v is not None})
    return _draft_response(ws, assignment=False)


@router.put("/draft/regions/{index}/lock")
def lock_region(request: Request, index: int, body: LockBody) -> dict[str, Any]:
    """Lock or unlock a region (locked regions neither gain nor lose units)."""
    ws = _ws(request)
    ws.set_lock(index, body.locked)
    return {"draft": ws.draft_state(assignment=False)}


@router.post("/draft/save")
def save_draft(request: Request, body: NameBody) -> dict[str, Any]:
    """Save the draft as a plan; returns the plan list."""
    ws = _ws(request)
    ws.save_draft(body.name)
    return {"plans": ws.list_plans(), "draft": ws.draft_state(assignment=False)}
