"""The Article 140 road for the draft: returns, property claims, census, referendum, transfer,
deployment and councils, run in order by :func:`dayafter.sequence.run_sequence`.

A built-in case ships its settlements (``sequence/``) and the data of each step (``returns/``,
``referendum/``, ``claims/``, ``security/``). The panel runs a chosen settlement from the draft
(the plan being edited stands in for the settlement's starting plan) and shows the timeline with
each step's preconditions and effects, who returns where, how the referendum would go in each
area and how sure that is, and what the property claims cost.
"""

from __future__ import annotations

import dataclasses
from typing import Annotated, Any

import numpy as np
from fastapi import APIRouter, Query, Request

from dayafter.errors import InputDataError
from dayafter.web.routers._common import _NAME_MAX, _ws, session_of
from dayafter.web.routers.draft import compute
from dayafter.web.workspace import Workspace

router = APIRouter()

MAX_DRAWS = 1000
"""The most referendum and return draws one request may ask for (200 take about a second)."""
DRAFT_NAME = "draft"
"""The name the draft takes in the settlement's plans (the settlement starts from it)."""


def _settlements(ws: Workspace) -> dict[str, Any]:
    if ws.case is None:
        return {}
    from dayafter.sequence import case_settlements

    try:
        return case_settlements(ws.case)
    except InputDataError:
        return {}


def _inputs(ws: Workspace) -> Any:
    """The engines' data of the workspace's case, built once and kept with the workspace."""
    got = ws.cache.get("article140_inputs")
    if got is not None:
        return got
    from dayafter.claims import case_claims
    from dayafter.referendum import case_referendum
    from dayafter.returns import case_return_model
    from dayafter.sequence import SequenceInputs

    case = ws.case
    assert case is not None  # checked by the caller
    voting, scope, norm = case_referendum(ws.territory, case)
    table, rules = case_claims(case)
    inputs = SequenceInputs(
        territory=ws.territory, plans=dict(ws.scenarios), reference=ws.reference or DRAFT_NAME,
        return_model=case_return_model(case), voting=voting, scope=scope, normalisation=norm,
        claims=table, claims_rules=rules, forces=ws.force_catalog, council_rules=ws.council_rules,
        criteria=tuple(ws.criteria))
    ws.cache["article140_inputs"] = inputs
    return inputs


@router.get("/article140")
def article140_info(request: Request) -> dict[str, Any]:
    """The settlements the panel can run (empty for a territory without Article 140 data).

    A settlement with a key has ``title_i18n`` next to its English title: the page shows the
    message ``a140.settlement.<key>`` in the reader's language.
    """
    ws = _ws(request)
    found = _settlements(ws)
    return {"available": bool(found), "max_draws": MAX_DRAWS, "settlements": [
        {"name": s.name, "title": s.title or s.name, "steps": [st.kind for st in s.steps],
         "start_plan": s.plan,
         **({"title_i18n": {"key": f"settlement.{s.key}", "args": {}}} if s.key else {})}
        for s in found.values()]}


def _run(ws: Workspace, settlement: Any, draws: int, seed: int, session: str) -> dict[str, Any]:
    from dayafter.sequence import run_sequence

    inputs = _inputs(ws)
    _state, draft = ws.draft_snapshot(assignment=False, session=session)
    plans = {**inputs.plans, DRAFT_NAME: draft}
    run_inputs = dataclasses.replace(inputs, plans=plans)
    s = dataclasses.replace(settlement, plan=DRAFT_NAME)
    res = run_sequence(s, run_inputs, rng=np.random.default_rng(seed), draws=draws)
    out: dict[str, Any] = res.to_dict()
    out["draft"] = draft.name
    out["draws"] = draws
    out["seed"] = seed
    return out


@router.get("/draft/article140")
async def draft_article140(
    request: Request,
    settlement: Annotated[str, Query(min_length=1, max_length=_NAME_MAX)] = "article-140",
    draws: Annotated[int, Query(ge=10, le=MAX_DRAWS)] = 200,
    seed: Annotated[int, Query(ge=0, le=2**32 - 1)] = 0,
) -> dict[str, Any]:
    """Run a settlement of the case from the draft: the timeline, the returns, the referendum by
    area with each outcome's probability over ``draws`` draws, and the claims budget."""
    ws = _ws(request)
    found = _settlements(ws)
    if not found:
        raise InputDataError("this territory ships no settlements (returns, referendum and claims data)",
                             hint="use the built-in case, or 'dayafter sequence run FILE' with your own",
                             key="web.no_settlements", hint_key="web.settlements_elsewhere")
    if settlement not in found:
        raise InputDataError(f"unknown settlement {settlement!r}", hint=f"use one of {sorted(found)}",
                             key="web.unknown_settlement", args={"name": settlement},
                             hint_key="web.use_one_of", hint_args={"options": sorted(found)})
    result: dict[str, Any] = await compute(request, _run, ws, found[settlement], draws, seed,
                                           session_of(request))
    return result
