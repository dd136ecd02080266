"""Comparison of N plans side by side, each metric judged against one of them, and the units that
change authority between two plans (both through :mod:`dayafter.comparison`)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.exceptions import RequestValidationError

from dayafter._util import finite
from dayafter.errors import InputDataError
from dayafter.plan import Plan
from dayafter.web.routers._common import _NAME_MAX, _ws, session_of

router = APIRouter()

_DRAFT = "(draft)"
_MAX_PLANS = 12  # more columns than a table on a screen can show


def _plans(request: Request, names: list[str]) -> list[Plan]:
    """The named plans (``(draft)``: the session's draft), renamed where two share a name."""
    ws = _ws(request)
    out: list[Plan] = []
    for x in names:
        p = ws.draft_of(session_of(request)).plan if x == _DRAFT else ws.plan(x)
        seen = {q.name for q in out}
        if p.name in seen:
            k = 2
            while f"{p.name} ({k})" in seen:
                k += 1
            p = p.renamed(f"{p.name} ({k})")
        out.append(p)
    return out


@router.get("/compare")
def compare(
    request: Request,
    plans: Annotated[list[Annotated[str, Query(max_length=_NAME_MAX)]] | None, Query()] = None,
    against: Annotated[str | None, Query(max_length=_NAME_MAX)] = None,
    a: Annotated[str | None, Query(max_length=_NAME_MAX)] = None,
    b: Annotated[str | None, Query(max_length=_NAME_MAX)] = None,
) -> dict[str, Any]:
    """N plans side by side: every metric per plan, its difference from the plan compared
    against, and whether it is better or worse by the metric registry's direction.

    ``plans`` (repeated) names 1..12 plans, ``(draft)`` for the plan being edited; ``against``
    is one of them (default: the first). ``a`` and ``b`` are the older two-plan form (``a`` is
    compared against; the rows keep ``a``, ``b`` and ``delta`` = b - a).
    """
    from dayafter.comparison import compare as compare_n

    if plans is None and (a is None) != (b is None):  # the two-plan form needs both
        missing = "b" if b is None else "a"
        raise RequestValidationError([{"type": "missing", "loc": ("query", missing), "msg": "Field required",
                                       "input": None}])
    names = list(plans or []) or [x for x in (a, b) if x]
    if not names:
        raise InputDataError("nothing to compare", hint="name plans: ?plans=A&plans=B",
                             key="web.nothing_to_compare", hint_key="web.name_plans")
    if len(names) > _MAX_PLANS:
        raise InputDataError(f"{len(names)} plans to compare; at most {_MAX_PLANS}",
                             hint="pick fewer plans", key="web.too_many_plans",
                             args={"n": len(names), "max": _MAX_PLANS}, hint_key="web.pick_fewer_plans")
    ws = _ws(request)
    chosen = _plans(request, names)
    pos = names.index(against) if against is not None and against in names else 0
    if against is not None and against not in names:
        raise InputDataError(f"plan {against!r} to compare against is not among the compared plans",
                             hint=f"use one of {names}", key="web.against_not_compared",
                             args={"name": against}, hint_key="web.use_one_of", hint_args={"options": names})
    c = compare_n(ws.territory, chosen, against=pos, reference=ws.reference_plan(),
                  community_labels=ws.community_labels, criteria=ws.criteria)
    rows = c.rows()
    if len(chosen) == 2 and plans is None:
        for r in rows:
            va, vb = r["values"]
            r["a"], r["b"] = va, vb
            if isinstance(va, float) and isinstance(vb, float):
                r["delta"] = finite(vb - va)
    return {
        "plans": [{"name": p.name, "title": p.meta.get("title") or "", "purpose": ws.purpose(p),
                   "regions": [r.to_dict() for r in p.regions],
                   "assignment": p.assignment.tolist(), "control": p.control_of_units().tolist()}
                  for p in chosen],
        "against": c.against,
        "table": rows,
    }


@router.get("/compare/changes")
def changes(
    request: Request,
    before: Annotated[str, Query(max_length=_NAME_MAX)],
    after: Annotated[str, Query(max_length=_NAME_MAX)],
    layer: Literal["polity", "control"] = "polity",
) -> dict[str, Any]:
    """The units whose authority differs from plan ``before`` to plan ``after`` (``polity``: the
    authority of the unit's region; ``control``: who holds it), their new authority, how many
    and how many people live in them on every census."""
    from dayafter.comparison import authority_changes

    ws = _ws(request)
    p0, p1 = _plans(request, [before, after])
    ch = authority_changes(ws.territory, p0, p1, layer=layer)
    out = ch.to_dict()
    out["people"] = {k: finite(float(v)) for k, v in out["people"].items()}
    out["before"], out["after"] = before, after
    out["ids"] = [str(ws.territory.unit_ids[i]) for i in ch.units.tolist()] if ch.units.size <= 5000 else None
    return out

