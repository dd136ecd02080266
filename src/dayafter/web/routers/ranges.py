"""Ranges over census draws for the metrics panel: how sure each figure of a plan is.

The panel asks twice after each stroke: a quick answer from a few draws (64 by default: a few
milliseconds on the built-in case, the draws being made once per territory and kept), then a
refined one from more draws in the background. The first draws of the refined run are the draws of
the quick one (:func:`dayafter.uncertainty.quick_summary`), so the refinement narrows the quick
answer instead of replacing it with another sample.

Every reply names the plan it measured and a key of its assignment (``plan_key``): the front end
drops a reply whose key is not the draft it now shows (a stroke made while the draws ran).
"""

from __future__ import annotations

import hashlib
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from dayafter._util import json_bytes
from dayafter.plan import Plan
from dayafter.uncertainty import quick_summary
from dayafter.web.routers._common import _ws, session_of
from dayafter.web.routers.draft import compute
from dayafter.web.workspace import Workspace

router = APIRouter()

MAX_DRAWS = 2000
"""The most draws a request may ask for (1,000 draws of the built-in case take about 0.1 s)."""


def plan_key(plan: Plan) -> str:
    """A short key of a plan's assignment and control layer (what the figures depend on)."""
    h = hashlib.blake2b(digest_size=8)
    h.update(plan.assignment.tobytes())
    h.update(plan.control_of_units().tobytes())
    return h.hexdigest()


def _ranges(ws: Workspace, plan: Plan, draws: int, seed: int) -> bytes:
    out: dict[str, Any] = quick_summary(
        ws.territory, plan, draws=draws, seed=seed, reference=ws.reference_plan(),
        criteria=ws.criteria, labels=ws.community_labels, regions=False)
    return json_bytes({"plan": plan.name, "plan_key": plan_key(plan), "summary": out})


_DRAWS = Query(64, ge=8, le=MAX_DRAWS, description="census draws (the first draws are the same "
                                                   "for every count: more draws refine)")
_SEED = Query(0, ge=0, le=2**32 - 1, description="seed of the census draws")


@router.get("/draft/ranges")
async def draft_ranges(request: Request, draws: int = _DRAWS, seed: int = _SEED) -> Response:
    """p05/p50/p95 of every figure of the draft over ``draws`` census draws, with verdicts and the
    share of draws in which each criterion passes."""
    ws = _ws(request)
    _, plan = ws.draft_snapshot(assignment=False, session=session_of(request))
    data = await compute(request, _ranges, ws, plan, draws, seed)
    return Response(data, media_type="application/json")


@router.get("/plans/{name:path}/ranges")
async def plan_ranges(request: Request, name: str, draws: int = _DRAWS, seed: int = _SEED) -> Response:
    """As :func:`draft_ranges`, for a stored plan."""
    ws = _ws(request)
    plan = ws.plan(name)
    data = await compute(request, _ranges, ws, plan, draws, seed)
    return Response(data, media_type="application/json")
