"""Comparison of two plans, side by side."""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Query, Request

from dayafter._util import finite
from dayafter.web.routers._common import _NAME_MAX, _ws, session_of

router = APIRouter()


@router.get("/compare")
def compare(request: Request, a: Annotated[str, Query(max_length=_NAME_MAX)],
            b: Annotated[str, Query(max_length=_NAME_MAX)]) -> dict[str, Any]:
    """Two plans side by side: assignments, evaluations and a table of metric deltas (b - a).

    ``a`` or ``b`` may be ``"(draft)"`` for the plan being edited.
    """
    from dayafter.comparison import compare_plans, comparison_table

    ws = _ws(request)
    draft = ws.draft_of(session_of(request)).plan
    plans = [draft if x == "(draft)" else ws.plan(x) for x in (a, b)]
    if plans[0].name == plans[1].name:
        plans[1] = plans[1].renamed(plans[1].name + " (2)")
    ref = ws.reference_plan()
    evs = compare_plans(ws.territory, plans, reference=ref)
    table = comparison_table(evs, community_labels=ws.community_labels, criteria=ws.criteria)
    rows = []
    for (section, metric), vals in table.iterrows():
        va, vb = vals.iloc[0], vals.iloc[1]
        row: dict[str, Any] = {"section": section, "metric": metric, "a": _cell(va), "b": _cell(vb)}
        if isinstance(va, float) and isinstance(vb, float):
            row["delta"] = _cell(vb - va)
        rows.append(row)
    return {
        "plans": [{"name": p.name, "regions": [r.to_dict() for r in p.regions],
                   "assignment": p.assignment.tolist(), "control": p.control_of_units().tolist()}
                  for p in plans],
        "table": rows,
    }


def _cell(v: Any) -> Any:
    """A table cell as JSON: finite numbers, text, or ``None`` (missing or not finite)."""
    if isinstance(v, float | np.floating):
        return finite(v)
    return None if v is None else str(v)
