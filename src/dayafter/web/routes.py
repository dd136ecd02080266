"""HTTP routes of the workbench (mounted under ``/api``): one router per resource, gathered here.

The routers live in :mod:`dayafter.web.routers` (territory, ranges, plans, draft, engines, article140, compare,
io, jobs, share, places); each route gets the workspace and the job runner through FastAPI dependencies
(:data:`~dayafter.web.routers._common.WorkspaceDep`), and the workspace owns its caches.
"""

from __future__ import annotations

from fastapi import APIRouter

from dayafter.web.routers import (
    article140,
    compare,
    draft,
    engines,
    io,
    jobs,
    places,
    plans,
    polities,
    ranges,
    share,
    territory,
)
from dayafter.web.routers.draft import compute
from dayafter.web.routers.jobs import JobBody, JobParams, ObjectiveTerm

__all__ = ["JobBody", "JobParams", "ObjectiveTerm", "compute", "router", "routers"]

# ranges before plans: its /plans/{name}/ranges must not be taken for a plan named ".../ranges"
routers: tuple[APIRouter, ...] = tuple(m.router for m in (territory, ranges, plans, draft, engines,
                                                            article140, compare, io, jobs, share, places, polities))
"""The resource routers, in the order they are mounted."""

router = APIRouter()
"""All routes in one router (for tools that mount the API elsewhere)."""
for _r in routers:
    router.include_router(_r)
