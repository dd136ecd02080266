"""Engines on the draft: councils, security and the settlement of disputed units."""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Query, Request
from pydantic_core import PydanticUndefined

from dayafter.errors import InputDataError
from dayafter.validation import PARAMETERS
from dayafter.web.routers._common import _NAME_MAX, Name, _Body, _ws, edit_of, session_of
from dayafter.web.routers.draft import _draft_reply
from dayafter.web.workspace import Workspace

router = APIRouter()


@router.get("/draft/councils")
def draft_councils(request: Request, census: Annotated[str | None, Query(max_length=_NAME_MAX)] = None) -> dict[str, Any]:
    """The simulated council of every region of the draft (dayafter.councils).

    Without council rules the territory gets one seat per 100,000 residents; ``note_i18n`` and
    ``rules_i18n`` then give the keys (``councils.<key>``) the page says so by in its language.
    """
    from dayafter.councils import CouncilRules, simulate_councils

    ws = _ws(request)
    t = ws.territory
    census = census or t.census_names[0]
    if census not in t.censuses:
        raise InputDataError(f"unknown census {census!r}", hint=f"use one of {list(t.census_names)}",
                             key="web.unknown_census", args={"census": census},
                             hint_key="web.use_one_of", hint_args={"options": list(t.census_names)})
    rules = ws.council_rules
    note = ""
    i18n: dict[str, Any] = {}
    if rules is None:
        per_seat = 100_000
        rules = CouncilRules(residents_per_seat=per_seat, name=f"one seat per {per_seat:,} residents")
        note = f"No council rules ship with this territory: one seat per {per_seat:,} residents."
        i18n = {"note_i18n": {"key": "no_rules", "args": {"n": per_seat}},
                "rules_i18n": {"key": "rules_default", "args": {"n": per_seat}}}
    sim = simulate_councils(t, ws.draft_of(session_of(request)).plan, rules=rules, census=census)
    seats = sim.seats
    regions = []
    for row in sim.regions.to_dict("records"):
        sub = seats[(seats["census"] == census) & (seats["region"] == row["region"])]
        regions.append({
            "name": row["region_name"], "council_size": int(row["council_size"]),
            "reserved_seats": int(row["reserved_seats"]), "gallagher": float(row["gallagher"]),
            "largest_community": row["largest_community"], "majority": bool(row["majority"]),
            "ties": str(row["ties"] or ""),
            "seats": {str(c): int(n) for c, n in zip(sub["community"], sub["seats"], strict=True) if n},
        })
    return {"census": census, "rules": rules.name or rules.method, "note": note, "regions": regions,
            "notes": list(sim.notes.get(census, ())), **i18n}


@router.get("/draft/security")
def draft_security(request: Request, census: Annotated[str | None, Query(max_length=_NAME_MAX)] = None) -> dict[str, Any]:
    """Requisite forces and an acceptable allocation (dayafter.security), summed by draft region."""
    ws = _ws(request)
    if ws.force_catalog is None:
        raise InputDataError("no force catalog ships with this territory",
                             hint="use 'dayafter security run --forces FILE' for your own forces",
                             key="web.no_force_catalog", hint_key="web.forces_elsewhere")
    from dayafter.security import allocate_forces

    t = ws.territory
    census = census or t.census_names[-1]
    plan = ws.draft_of(session_of(request)).plan
    # the allocation follows the draft's control layer: cache by census and control
    key = (census, tuple(plan.control_of_units().tolist()))
    cache = ws.cache.setdefault("security", {})
    if key not in cache:
        if len(cache) > 32:
            cache.clear()
        cache[key] = allocate_forces(t, ws.force_catalog, census=census, plan=plan)
    a = cache[key]
    lab = np.where(plan.assignment >= 0, plan.assignment, plan.k)
    req = np.bincount(lab, weights=a.requirement, minlength=plan.k + 1)
    cov = np.bincount(lab, weights=a.covered, minlength=plan.k + 1)
    ctl = plan.control_by_region()
    regions = [{"name": r.name, "authority": r.authority, "control": ctl[j],
                "requirement": float(req[j]), "covered": float(cov[j]),
                "shortfall": float(req[j] - cov[j])}
               for j, r in enumerate(plan.regions)]
    summary = a.to_dict(units=False)
    return {"census": census, "regions": regions, "forces": summary["forces"],
            "force_report": summary["force_report"],
            "requirement_total": summary["requirement_total"], "shortfall_total": summary["shortfall_total"]}


_MILP_SETTLE = ("max-nash-welfare", "min-subsidy")


@router.get("/settle")
def settle_info(request: Request) -> dict[str, Any]:
    """The settlement panel: parties, disputed units and the methods that apply."""
    ws = _ws(request)
    if ws.parties_spec is None:
        return {"available": False, "methods": [], "parties": [], "units": 0}
    from dayafter.settle import METHODS

    problem, _auth, skipped = _claims(ws, None, 0.0)
    methods = [m for m in METHODS if m != "adjusted-winner" or problem.n_parties == 2]
    return {"available": True, "methods": methods, "parties": list(problem.parties),
            "units": len(problem.unit_ids), "skipped_units": skipped, "value_unit": problem.value_unit}


def _claims(ws: Workspace, census: str | None, budget: float) -> Any:
    from dayafter.settle import claims_from_spec

    return claims_from_spec(ws.territory, ws.parties_spec or {}, census=census, budget=budget,
                            source="parties of the territory")


class SettleBody(_Body):
    # method and budget: their bounds, choices and descriptions from dayafter.validation
    method: str = PARAMETERS["settle_method"].field(default=PydanticUndefined)
    census: Name | None = None
    budget: float = PARAMETERS["budget"].field()
    apply: bool = False


@router.post("/draft/settle")
def settle_draft(request: Request, body: SettleBody) -> dict[str, Any]:
    """Allocate the disputed units among the parties (dayafter.settle) and show, or apply, the plan
    that results from the draft (applying is one undoable edit)."""
    ws = _ws(request)
    if ws.parties_spec is None:
        raise InputDataError("no parties and disputed units ship with this territory",
                             hint="use 'dayafter settle run --parties FILE' with your own",
                             key="web.no_parties", hint_key="web.parties_elsewhere")
    from dayafter.settle import METHODS, settle, settlement_plan

    if body.method not in METHODS:
        raise InputDataError(f"unknown settlement method {body.method!r}", hint=f"use one of {sorted(METHODS)}",
                             key="web.unknown_settle_method", args={"method": body.method},
                             hint_key="web.use_one_of", hint_args={"options": sorted(METHODS)})
    problem, authorities, _skipped = _claims(ws, body.census, body.budget)
    kw = {"time_limit": 20.0} if body.method in _MILP_SETTLE else {}
    result = settle(problem, body.method, **kw)
    e = edit_of(request)
    draft = ws.draft_of(e["session"]).plan
    new = settlement_plan(draft, ws.territory, result, authorities=authorities)
    summary = result.to_dict()
    changed = np.flatnonzero(new.assignment[: draft.n_units] != draft.assignment)
    out: dict[str, Any] = {
        "settlement": {k: summary[k] for k in ("method", "parties", "value_unit", "transfers", "values_held",
                                               "utilities", "envy_free", "proportional", "outside_money",
                                               "budget", "within_budget", "notes")},
        "holders": {p: sum(1 for u in summary["units"] if u["holder"] == p)
                    for p in [*problem.parties, "shared"]},
        "units_changing_region": int(changed.size),
        "applied": bool(body.apply),
    }
    if body.apply:
        ws.apply_plan(new, **e)
        out.update(_draft_reply(ws, session=e["session"]))
    return out
