"""Plans: the scenarios and saved plans (list, evaluate, open, copy, rename, delete)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from dayafter.web.routers._common import RenameBody, _ws, edit_of
from dayafter.web.routers.draft import _draft_response, compute

router = APIRouter()




@router.get("/plans")
def list_plans(request: Request) -> list[dict[str, Any]]:
    """Scenario and saved plans."""
    return _ws(request).list_plans()


# Plan names are free text and may hold "/" (sent as %2F, which arrives decoded): the routes take the
# name as a path and the ones with a suffix come before the bare GET. Names only ever select a plan
# in the workspace; the file a saved plan lives in is derived from the name (Workspace._plan_path).
@router.get("/plans/{name:path}/evaluation")
async def plan_evaluation(request: Request, name: str) -> Response:
    """Every metric of a stored plan."""
    ws = _ws(request)
    plan = ws.plan(name)
    data = ws.cached_evaluation_json(plan)
    if data is None:
        data = await compute(request, ws.evaluation_json, plan)
    return Response(data, media_type="application/json")


@router.post("/plans/{name:path}/open")
def open_plan(request: Request, name: str) -> Response:
    """Start editing a copy of the plan."""
    ws = _ws(request)
    e = edit_of(request)
    ws.open(name, **e)
    return _draft_response(ws, session=e["session"])


@router.post("/plans/{name:path}/duplicate")
def duplicate_plan(request: Request, name: str, body: RenameBody) -> list[dict[str, Any]]:
    """Copy a plan into a new saved plan; returns the plan list."""
    ws = _ws(request)
    ws.duplicate(name, body.new_name)
    return ws.list_plans()


@router.post("/plans/{name:path}/rename")
def rename_plan(request: Request, name: str, body: RenameBody) -> list[dict[str, Any]]:
    """Rename a saved plan; returns the plan list."""
    ws = _ws(request)
    ws.rename(name, body.new_name)
    return ws.list_plans()


@router.get("/plans/{name:path}")
def get_plan(request: Request, name: str) -> dict[str, Any]:
    """A plan's regions and assignment (region index per unit, -1 = unassigned)."""
    plan = _ws(request).plan(name)
    return {"name": plan.name, "notes": plan.notes, "regions": [r.to_dict() for r in plan.regions],
            "assignment": plan.assignment.tolist(), "control": plan.control_of_units().tolist(),
            "control_summary": plan.control_summary()}


@router.delete("/plans/{name:path}")
def delete_plan(request: Request, name: str) -> list[dict[str, Any]]:
    """Delete a saved plan; returns the plan list."""
    ws = _ws(request)
    ws.delete(name)
    return ws.list_plans()
