"""The draft: the plan being edited (paint, undo/redo, regions, details, save), evaluated as it
changes; one draft per browser session (``GET /api/session`` sets the session cookie), with a
version that every edit must name (``X-Dayafter-Draft-Version``; a stale edit is refused with 409)
and a stream of its changes for the session's other tabs (``GET /api/draft/events``)."""

from __future__ import annotations

import asyncio
import secrets
import time
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import Field

from dayafter._util import json_bytes, json_dumps
from dayafter.web.drafts import flush_pending
from dayafter.web.routers._common import (
    _MAX_UNITS,
    SESSION_COOKIE,
    SESSION_MAX_AGE,
    NameBody,
    ShortText,
    _Body,
    _ws,
    edit_of,
    session_of,
)
from dayafter.web.workspace import PURPOSES, Workspace

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
    color: Annotated[str, Field(pattern=r"^(#[0-9A-Fa-f]{6})?$")] | None = None


class DetailsBody(_Body):
    title: ShortText | None = None
    notes: Annotated[str, Field(max_length=20_000, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$")] | None = None
    purpose: Annotated[str, Field(pattern="^(" + "|".join(PURPOSES) + ")$")] | None = None


class LockBody(_Body):
    locked: bool


def _draft_reply(ws: Workspace, *, assignment: bool = True, session: str = "", **extra: Any) -> dict[str, Any]:
    t0 = time.perf_counter()
    state, plan = ws.draft_snapshot(assignment=assignment, session=session)
    out: dict[str, Any] = {"draft": state, "evaluation": ws.evaluation(plan)}
    out["server_ms"] = (time.perf_counter() - t0) * 1e3
    out.update(extra)
    return out


def _draft_response(ws: Workspace, *, assignment: bool = True, t0: float | None = None,
                    session: str = "", **extra: Any) -> Response:
    """:func:`_draft_reply` as a ready response: the evaluation's JSON is kept with it by the
    workspace, so a draft seen before (after undo, or asked for again) is not encoded again."""
    t0 = time.perf_counter() if t0 is None else t0
    state, plan = ws.draft_snapshot_json(assignment=assignment, session=session)
    return _draft_bytes(state, ws.evaluation_json(plan), t0, extra)


def _draft_bytes(state: bytes, evaluation: bytes, t0: float, extra: dict[str, Any]) -> Response:
    tail = {"server_ms": (time.perf_counter() - t0) * 1e3, **extra}
    body = b"".join((b'{"draft":', state, b',"evaluation":', evaluation, b",", json_bytes(tail)[1:]))
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


@router.get("/session")
def session(request: Request) -> Response:
    """This browser's session: the cookie that gives it a draft of its own (made on the first
    call), and whether the draft survives a restart of the server."""
    ws = _ws(request)
    current = session_of(request)
    sid = current or secrets.token_hex(16)
    body = json_bytes({"persistent": ws.store.path is not None, "new": not current})
    resp = Response(body, media_type="application/json")
    if not current:
        resp.set_cookie(SESSION_COOKIE, sid, max_age=SESSION_MAX_AGE, path="/", httponly=True,
                        samesite="strict")
    return resp


@router.get("/draft")
async def get_draft(request: Request) -> Response:
    """The plan being edited, with its evaluation."""
    return await _current_draft(request, _ws(request), time.perf_counter(), session=session_of(request))


@router.get("/draft/events")
async def draft_events(request: Request) -> StreamingResponse:
    """Server-sent events: ``draft`` with ``{version, tab}`` whenever the session's draft changes
    (in another tab, window or request), so the other tabs of the session reload it."""
    ws = _ws(request)
    sess = session_of(request)

    async def stream() -> Any:
        last: int | None = None
        idle = 0.0
        yield "retry: 1000\n\n"
        while True:
            if await request.is_disconnected():
                return
            version, tab = ws.draft_version(sess)
            if version != last:
                last = version
                idle = 0.0
                flush_pending()  # the version told is on disk
                yield f"event: draft\ndata: {json_dumps({'version': version, 'tab': tab})}\n\n"
            elif idle >= 15.0:  # a comment now and then keeps proxies from closing the stream
                idle = 0.0
                yield ": keep-alive\n\n"
            await asyncio.sleep(0.2)
            idle += 0.2

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@router.post("/draft/new")
def new_draft(request: Request) -> Response:
    """Start an empty plan (every unit unassigned, one region)."""
    ws = _ws(request)
    e = edit_of(request)
    ws.new_plan(**e)
    return _draft_response(ws, session=e["session"])


@router.patch("/draft")
def edit_details(request: Request, body: DetailsBody) -> Response:
    """Change the draft's title, notes or purpose (``polities``: provinces and regions whose sizes
    may differ; ``districts``: equal-population districts)."""
    ws = _ws(request)
    e = edit_of(request)
    ws.edit_details(**e, **body.model_dump(exclude_none=True))
    return _draft_response(ws, assignment=False, session=e["session"])


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
    e = edit_of(request)
    idx = list(body.units)
    if body.unit_ids:
        idx += ws.territory.index(body.unit_ids).tolist()
    if body.admin_level is not None:
        idx += ws.admin_units(body.admin_level, body.admin_code or "").tolist()
    res = ws.paint(idx, body.region, **e)
    return await _current_draft(request, ws, t0, assignment=False, session=e["session"], **res)


async def _current_draft(request: Request, ws: Workspace, t0: float, *, assignment: bool = True,
                         session: str = "", **extra: Any) -> Response:
    """The draft as it is now with its evaluation: at once when it was evaluated before, else
    through :func:`compute` (which evaluates the draft as it is when it gets to it)."""
    state, plan = ws.draft_snapshot_json(assignment=assignment, session=session)
    data = ws.cached_evaluation_json(plan)
    if data is not None:
        return _draft_bytes(state, data, t0, extra)
    return await compute(request, _draft_response, ws, assignment=assignment, t0=t0, session=session,
                         **extra)


@router.post("/draft/undo")
async def undo(request: Request) -> Response:
    """Undo the last edit."""
    t0 = time.perf_counter()
    ws = _ws(request)
    e = edit_of(request)
    return await _current_draft(request, ws, t0, session=e["session"], done=ws.undo(**e))


@router.post("/draft/redo")
async def redo(request: Request) -> Response:
    """Redo the last undone edit."""
    t0 = time.perf_counter()
    ws = _ws(request)
    e = edit_of(request)
    return await _current_draft(request, ws, t0, session=e["session"], done=ws.redo(**e))


@router.post("/draft/regions")
def add_region(request: Request, body: RegionBody) -> Response:
    """Add an empty region."""
    ws = _ws(request)
    e = edit_of(request)
    ws.add_region(body.name or "", body.authority or "", body.status or "", **e)
    return _draft_response(ws, assignment=False, session=e["session"])


@router.patch("/draft/regions/{index}")
def edit_region(request: Request, index: int, body: RegionBody) -> Response:
    """Change a region's name, authority, status or colour (``""``: the palette's)."""
    ws = _ws(request)
    e = edit_of(request)
    ws.edit_region(index, **e, **{k: v for k, v in body.model_dump().items() if v is not None})
    return _draft_response(ws, assignment=False, session=e["session"])


@router.delete("/draft/regions/{index}")
def delete_region(request: Request, index: int) -> Response:
    """Delete a region: its units become unassigned, the regions after it move up (undoable)."""
    ws = _ws(request)
    e = edit_of(request)
    ws.remove_region(index, **e)
    return _draft_response(ws, session=e["session"])


@router.put("/draft/regions/{index}/lock")
def lock_region(request: Request, index: int, body: LockBody) -> dict[str, Any]:
    """Lock or unlock a region (locked regions neither gain nor lose units)."""
    ws = _ws(request)
    e = edit_of(request)
    ws.set_lock(index, body.locked, **e)
    return {"draft": ws.draft_state(assignment=False, session=e["session"])}


@router.post("/draft/save")
def save_draft(request: Request, body: NameBody) -> dict[str, Any]:
    """Save the draft as a plan; returns the plan list."""
    ws = _ws(request)
    e = edit_of(request)
    ws.save_draft(body.name, **e)
    return {"plans": ws.list_plans(), "draft": ws.draft_state(assignment=False, session=e["session"])}
