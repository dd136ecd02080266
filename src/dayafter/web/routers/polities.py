"""Polities and control of the draft: who governs each region, who holds each unit where that
differs, and the security check's finding for the draft's control layer."""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Query, Request

from dayafter.web.routers._common import _NAME_MAX, _ws, session_of

router = APIRouter()

_UNITS_LISTED = 500  # units listed by id (the count and people cover them all)


@router.get("/draft/polities")
def draft_polities(request: Request,
                   census: Annotated[str | None, Query(max_length=_NAME_MAX)] = None) -> dict[str, Any]:
    """Per region the governing authority and the units held by each control label; the units
    whose control differs from their polity's authority; and, when the territory ships a force
    catalog, the security allocation's finding on the draft's control layer (shortfall, units
    no force may serve and why)."""
    from dayafter.comparison import polity_control

    ws = _ws(request)
    t = ws.territory
    plan = ws.draft_of(session_of(request)).plan
    pc = polity_control(t, plan)
    out = pc.to_dict()
    ids = t.unit_ids
    out["ids"] = [str(ids[i]) for i in pc.units[:_UNITS_LISTED].tolist()]
    out["security"] = _security(ws, plan, census or t.census_names[-1]) if ws.force_catalog is not None else None
    return out


def _security(ws: Any, plan: Any, census: str) -> dict[str, Any]:
    """The allocation's finding (shared cache with ``/draft/security``: same census and control)."""
    from dayafter.security import allocate_forces, reason_text

    t = ws.territory
    key = (census, tuple(plan.control_of_units().tolist()))
    cache = ws.cache.setdefault("security", {})
    if key not in cache:
        if len(cache) > 32:
            cache.clear()
        cache[key] = allocate_forces(t, ws.force_catalog, census=census, plan=plan)
    a = cache[key]
    short = a.shortfall > 1e-6 * np.maximum(1.0, a.requirement)
    zero = a.zero_capacity_units()
    return {
        "census": census,
        "requirement_total": float(a.requirement.sum()),
        "shortfall_total": float(a.total_shortfall),
        "units_short": int(short.sum()),
        "units_short_ids": [str(t.unit_ids[i]) for i in np.flatnonzero(short)[:_UNITS_LISTED].tolist()],
        "zero_capacity": [{"unit_id": str(z["unit_id"]), "requirement": z["requirement"],
                           "barred_by": {str(k): a.reason_texts.get(str(v)) or reason_text(str(v))
                                         for k, v in z["barred_by"].items()}}
                          for z in zero[:50]],
        "zero_capacity_count": len(zero),
    }
