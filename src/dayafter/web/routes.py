"""HTTP routes of the workbench (mounted under ``/api``)."""

from __future__ import annotations

import asyncio
import json
import re
import tempfile
import time
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from dayafter.errors import InputDataError
from dayafter.web.app import _finite, json_bytes
from dayafter.web.workspace import Workspace, file_stem

router = APIRouter()

# Request bodies are pydantic models that refuse unknown fields and bound every value, so a bad body
# is a 422 naming its field (see app.validation_error_body) before any library code runs.
_NAME_MAX = 200  # plan, region and census names
_FILENAME_MAX = 255
_MAX_UNITS = 10_000_000  # more unit indices than any territory has
_NO_CONTROL = r"^[^\x00-\x1f\x7f-\x9f]*$"  # no NUL, tabs, line breaks or other control characters
Name = Annotated[str, Field(min_length=1, max_length=_NAME_MAX, pattern=_NO_CONTROL)]
ShortText = Annotated[str, Field(max_length=_NAME_MAX, pattern=_NO_CONTROL)]
FileName = Annotated[str, Query(min_length=1, max_length=_FILENAME_MAX)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

_PLAN_FORMATS = {"json": "application/json", "csv": "text/csv", "psv": "text/plain",
                 "gpkg": "application/geopackage+sqlite3", "geojson": "application/geo+json"}


def _upload_name(filename: str) -> str:
    """The client's name of an uploaded file, made safe to use in a path and in messages: its last
    component only (``/`` and ``\\`` both separate), no control characters (NUL...), the stem cut to
    120 UTF-8 bytes. The file is only ever written into a fresh temporary folder under this name."""
    name = re.split(r"[/\\]", filename)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    if name in ("", ".", ".."):
        return "upload"
    p = Path(name)
    stem, suffix = p.stem, p.suffix[:16]
    while len(stem.encode("utf-8")) > 120:
        stem = stem[:-1]
    return f"{stem or 'upload'}{suffix}"


def _name_upload(exc: InputDataError, paths: dict[str, str], default: str) -> None:
    """Point an error about a temporary copy of an upload at the client's file: the source becomes
    the file's name and the temporary paths in the message (GDAL quotes them) become names too."""
    for tmp_path, name in paths.items():
        exc.message = exc.message.replace(tmp_path, name)
        exc.hint = exc.hint.replace(tmp_path, name)
    exc.source = paths.get(exc.source, default)


def _ws(request: Request) -> Workspace:
    return request.app.state.workspace  # type: ignore[no-any-return]


# ------------------------------------------------------------------------------ territory
@router.get("/meta")
def meta(request: Request) -> dict[str, Any]:
    """Territory summary, communities, censuses, admin levels, criteria and data sources."""
    ws = _ws(request)
    t = ws.territory
    return {
        "title": ws.title,
        "territory": t.name,
        "n_units": t.n_units,
        "communities": [{"key": c, "label": ws.community_labels[c]} for c in t.communities],
        "censuses": list(t.census_names),
        "admin_levels": list(t.admin),
        "labels": list(t.labels),
        "reference": ws.reference,
        "criteria": [{"name": c.name, "metric": c.metric, "bounds": c.bounds_text()} for c in ws.criteria],
        "bounds": _bounds(request),
        "sources_md": ws.sources_md,
        "has_geometry": t.geometry is not None,
        "engines": {"councils": True, "security": ws.force_catalog is not None},
        "warnings": list(getattr(ws, "skipped_files", [])),
    }


def _geo4326(request: Request) -> Any:
    cache = request.app.state
    if getattr(cache, "geo4326", None) is None:
        geom = _ws(request).territory.geometry
        if geom is None:
            raise InputDataError("this territory has no geometry to draw",
                                 hint="use the unit table, or build the territory from polygons")
        import shapely

        g = geom.to_crs(4326)
        arr = np.asarray(g.values)
        try:  # keeps shared borders shared, unlike per-polygon simplification
            arr = shapely.coverage_simplify(arr, 0.0005)
        except Exception:
            pass
        cache.geo4326 = arr
    return cache.geo4326


def _bounds(request: Request) -> list[float] | None:
    if _ws(request).territory.geometry is None:
        return None
    import shapely

    b = shapely.total_bounds(_geo4326(request))
    return [float(x) for x in b]


@router.get("/units.geojson")
def units_geojson(request: Request) -> Response:
    """Unit polygons in WGS 84; feature ``id`` is the unit's index."""
    state = request.app.state
    if getattr(state, "geojson_bytes", None) is None:
        import shapely

        arr = _geo4326(request)
        geo = shapely.to_geojson(arr, indent=None)
        parts = [f'{{"type":"Feature","id":{i},"properties":{{"i":{i}}},"geometry":{gj}}}'
                 for i, gj in enumerate(np.asarray(geo).tolist())]
        state.geojson_bytes = ('{"type":"FeatureCollection","features":[' + ",".join(parts) + "]}").encode()
    return Response(state.geojson_bytes, media_type="application/geo+json")


@router.get("/borders.geojson")
def borders_geojson(request: Request) -> Response:
    """The shared border of every pair of adjacent units (``properties.u`` and ``v`` are unit
    indices), so the map can draw region boundaries: the borders whose two units are in different
    regions."""
    state = request.app.state
    if getattr(state, "borders_bytes", None) is None:
        import shapely

        arr = _geo4326(request)
        u, v, _ = _ws(request).territory.graph.edges()
        shared = shapely.intersection(arr[u], arr[v])
        parts = []
        for e, (a, b, g) in enumerate(zip(u.tolist(), v.tolist(), shared.tolist(), strict=True)):
            lines = [p for p in shapely.get_parts(g).tolist()
                     if p.geom_type in ("LineString", "LinearRing", "MultiLineString")]
            if not lines:  # a point contact or an island link: nothing to draw
                continue
            geom = shapely.line_merge(shapely.multilinestrings(lines)) if len(lines) > 1 else lines[0]
            parts.append(f'{{"type":"Feature","id":{e},"properties":{{"u":{a},"v":{b}}},'
                         f'"geometry":{shapely.to_geojson(geom)}}}')
        state.borders_bytes = ('{"type":"FeatureCollection","features":[' + ",".join(parts) + "]}").encode()
    return Response(state.borders_bytes, media_type="application/geo+json")


@router.get("/units")
def units(request: Request) -> dict[str, Any]:
    """Per-unit table: ids, labels (names in every script), admin codes and census counts."""
    t = _ws(request).territory
    return {
        "ids": t.unit_ids.astype(str).tolist(),
        "labels": {k: [str(x) for x in v.tolist()] for k, v in t.labels.items()},
        "admin": {k: [str(x) for x in v.tolist()] for k, v in t.admin.items()},
        "censuses": {c: np.round(t.censuses[c], 1).tolist() for c in t.census_names},
    }


@router.get("/units/{index}")
def unit(request: Request, index: int) -> dict[str, Any]:
    """One unit: its labels, admin units, census figures, current region and their sources."""
    ws = _ws(request)
    t = ws.territory
    if not 0 <= index < t.n_units:
        raise InputDataError(f"unit index {index} out of range 0..{t.n_units - 1}")
    uid = str(t.unit_ids[index])
    region = int(ws.draft.plan.assignment[index])
    out: dict[str, Any] = {
        "index": index, "unit_id": uid,
        "labels": {k: str(v[index]) for k, v in t.labels.items()},
        "admin": {k: str(v[index]) for k, v in t.admin.items()},
        "censuses": {c: {comm: float(t.censuses[c][index, j]) for j, comm in enumerate(t.communities)}
                     for c in t.census_names},
        "region": ws.draft.plan.regions[region].name if region >= 0 else None,
        "sources": [],
    }
    prov = ws.provenance
    if prov is not None and "unit_id" in getattr(prov, "columns", ()):
        rows = prov[prov["unit_id"].astype(str) == uid]
        out["sources"] = [{str(k): str(v) for k, v in r.items()} for r in rows.to_dict("records")]
    return out


# ------------------------------------------------------------------------------ plans
class NameBody(_Body):
    name: Name


class RenameBody(_Body):
    new_name: Name


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
    ws.open(name)
    return _draft_response(ws)


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


# ------------------------------------------------------------------------------ draft
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
    out = {"draft": state, "evaluation": ws.evaluation(plan)}
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
    return await compute(request, _draft_response, ws, assignment=assignment, t0=t0,  # type: ignore[no-any-return]
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


# ------------------------------------------------------------------------------ engines
@router.get("/draft/councils")
def draft_councils(request: Request, census: Annotated[str | None, Query(max_length=_NAME_MAX)] = None) -> dict[str, Any]:
    """The simulated council of every region of the draft (dayafter.councils)."""
    from dayafter.councils import CouncilRules, simulate_councils

    ws = _ws(request)
    t = ws.territory
    census = census or t.census_names[0]
    if census not in t.censuses:
        raise InputDataError(f"unknown census {census!r}", hint=f"use one of {list(t.census_names)}")
    rules = ws.council_rules
    note = ""
    if rules is None:
        rules = CouncilRules(residents_per_seat=100_000, name="one seat per 100,000 residents")
        note = "No council rules ship with this territory: one seat per 100,000 residents."
    sim = simulate_councils(t, ws.draft.plan, rules=rules, census=census)
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
            "notes": list(sim.notes.get(census, ()))}


@router.get("/draft/security")
def draft_security(request: Request, census: Annotated[str | None, Query(max_length=_NAME_MAX)] = None) -> dict[str, Any]:
    """Requisite forces and an acceptable allocation (dayafter.security), summed by draft region."""
    ws = _ws(request)
    if ws.force_catalog is None:
        raise InputDataError("no force catalog ships with this territory",
                             hint="use 'dayafter security run --forces FILE' for your own forces")
    from dayafter.security import allocate_forces

    t = ws.territory
    census = census or t.census_names[-1]
    cache = getattr(request.app.state, "security_cache", None)
    if cache is None:
        cache = request.app.state.security_cache = {}
    if census not in cache:
        cache[census] = allocate_forces(t, ws.force_catalog, census=census)
    a = cache[census]
    plan = ws.draft.plan
    lab = np.where(plan.assignment >= 0, plan.assignment, plan.k)
    req = np.bincount(lab, weights=a.requirement, minlength=plan.k + 1)
    cov = np.bincount(lab, weights=a.covered, minlength=plan.k + 1)
    regions = [{"name": r.name, "authority": r.authority, "requirement": float(req[j]),
                "covered": float(cov[j]), "shortfall": float(req[j] - cov[j])}
               for j, r in enumerate(plan.regions)]
    summary = a.to_dict(units=False)
    return {"census": census, "regions": regions, "forces": summary["forces"],
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
    method: Annotated[str, Field(min_length=1, max_length=64)]
    census: Name | None = None
    budget: float = Field(0.0, ge=0.0, le=1e15, allow_inf_nan=False)
    apply: bool = False


@router.post("/draft/settle")
def settle_draft(request: Request, body: SettleBody) -> dict[str, Any]:
    """Allocate the disputed units among the parties (dayafter.settle) and show, or apply, the plan
    that results from the draft (applying is one undoable edit)."""
    ws = _ws(request)
    if ws.parties_spec is None:
        raise InputDataError("no parties and disputed units ship with this territory",
                             hint="use 'dayafter settle run --parties FILE' with your own")
    from dayafter.settle import METHODS, settle, settlement_plan

    if body.method not in METHODS:
        raise InputDataError(f"unknown settlement method {body.method!r}", hint=f"use one of {sorted(METHODS)}")
    problem, authorities, _skipped = _claims(ws, body.census, body.budget)
    kw = {"time_limit": 20.0} if body.method in _MILP_SETTLE else {}
    result = settle(problem, body.method, **kw)
    draft = ws.draft.plan
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
        ws.apply_plan(new)
        out.update(_draft_reply(ws))
    return out


# ------------------------------------------------------------------------------ comparison
@router.get("/compare")
def compare(request: Request, a: Annotated[str, Query(max_length=_NAME_MAX)],
            b: Annotated[str, Query(max_length=_NAME_MAX)]) -> dict[str, Any]:
    """Two plans side by side: assignments, evaluations and a table of metric deltas (b - a).

    ``a`` or ``b`` may be ``"(draft)"`` for the plan being edited.
    """
    from dayafter.comparison import compare_plans, comparison_table

    ws = _ws(request)
    plans = [ws.draft.plan if x == "(draft)" else ws.plan(x) for x in (a, b)]
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
        return float(v) if np.isfinite(v) else None
    return None if v is None else str(v)


# ------------------------------------------------------------------------------ import / export
@router.get("/export/plan")
def export_plan(request: Request, format: Annotated[str, Query(max_length=16)] = "json",
                name: Annotated[str | None, Query(max_length=_NAME_MAX)] = None) -> Response:
    """Download a plan (the draft by default) as dayafter JSON, CSV, PSV, GeoPackage or regions
    GeoJSON."""
    from dayafter.io.export import write_regions_geojson
    from dayafter.io.plans import write_plan

    ws = _ws(request)
    fmt = format.lower()
    if fmt not in _PLAN_FORMATS:
        raise InputDataError(f"unknown export format {format!r}", hint=f"use one of {sorted(_PLAN_FORMATS)}")
    plan = ws.plan(name) if name else ws.draft.plan
    plan = plan if plan.name else plan.renamed("plan")
    with tempfile.TemporaryDirectory(prefix="dayafter-export-") as tmp:
        path = Path(tmp) / f"plan.{fmt}"
        if fmt == "gpkg":
            from dayafter.io.project import write_project

            write_project(ws.territory, path, plans=[plan])
        elif fmt == "geojson":
            write_regions_geojson(ws.territory, plan, path)
        else:
            write_plan(plan, ws.territory, path)
        data = path.read_bytes()
    from urllib.parse import quote

    stem = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_.") else "-"
                   for ch in plan.name).strip("-.") or "plan"
    disposition = (f"attachment; filename*=UTF-8''{quote(plan.name or 'plan', safe='')}.{fmt}; "
                   f'filename="{stem}.{fmt}"')
    return Response(data, media_type=_PLAN_FORMATS[fmt], headers={"Content-Disposition": disposition})


@router.get("/export/project")
def export_project(request: Request) -> Response:
    """Download the territory with every scenario and saved plan as one project GeoPackage."""
    from dayafter.io.project import write_project

    ws = _ws(request)
    plans = list(ws.scenarios.values()) + [ws.saved[n] for n in sorted(ws.saved)]
    with tempfile.TemporaryDirectory(prefix="dayafter-export-") as tmp:
        path = Path(tmp) / "project.gpkg"
        write_project(ws.territory, path, plans=plans)
        data = path.read_bytes()
    return Response(data, media_type=_PLAN_FORMATS["gpkg"],
                    headers={"Content-Disposition": 'attachment; filename="project.gpkg"'})


@router.post("/import/plan")
async def import_plan(request: Request, filename: FileName) -> dict[str, Any]:
    """Import a plan file (request body; dayafter JSON, Districtr JSON, CSV/PSV or GeoPackage).

    Every plan in the file is added to the saved plans and the first one is opened.
    """
    from dayafter.io.plans import read_plan, read_plans_gpkg

    ws = _ws(request)
    filename = _upload_name(filename)
    suffix = Path(filename).suffix.lower()
    if suffix not in (".json", ".csv", ".txt", ".psv", ".gpkg"):
        raise InputDataError(f"unsupported plan format {suffix or 'without extension'!r}",
                             hint="use .json (dayafter or Districtr), .csv (assignment), .psv or .gpkg",
                             source=filename)
    data = await request.body()
    if not data and suffix in (".json", ".gpkg"):  # (the assignment readers say so themselves)
        raise InputDataError("the file is empty", hint="export the plan again", source=filename)

    def work() -> list[str]:
        with tempfile.TemporaryDirectory(prefix="dayafter-import-") as tmp:
            path = Path(tmp) / f"{Path(filename).stem or 'plan'}{suffix}"
            path.write_bytes(data)
            try:
                if suffix == ".gpkg":
                    found = list(read_plans_gpkg(path, ws.territory).values())
                    if not found:
                        raise InputDataError("the GeoPackage holds no plans", source=filename)
                else:
                    found = [read_plan(path, ws.territory)]
            except InputDataError as exc:
                _name_upload(exc, {str(path): filename}, filename)
                raise
        added = [ws.add_plan(p, open_it=False).name for p in found]
        ws.open(added[0])
        return added

    added = await asyncio.to_thread(work)
    return {"added": added, "plans": ws.list_plans(), **_draft_reply(ws)}


@router.post("/import/project")
async def import_project(request: Request, filename: FileName) -> dict[str, Any]:
    """Open another territory: a project GeoPackage (units, censuses and plans) sent as the body.

    Its plans are listed as read-only scenarios; plans saved from then on go to a folder named after
    the territory's content hash under the plan folder.
    """
    from dayafter.io.project import read_project

    filename = _upload_name(filename)
    if Path(filename).suffix.lower() != ".gpkg":
        raise InputDataError("a project is a GeoPackage (.gpkg)", source=filename,
                             hint="export a project GeoPackage with 'dayafter territory build ... --out X.gpkg'")
    data = await request.body()
    if not data:
        raise InputDataError("the file is empty", hint="export the project again", source=filename)

    def work() -> Workspace:
        with tempfile.TemporaryDirectory(prefix="dayafter-import-") as tmp:
            path = Path(tmp) / "project.gpkg"
            path.write_bytes(data)
            try:
                proj = read_project(path)
            except InputDataError as exc:
                _name_upload(exc, {str(path): filename}, filename)
                raise
        t = proj.territory
        return Workspace(t, scenarios=proj.plans, plans_dir=_imported_dir(request, Path(filename).stem,
                                                                            t.content_hash),
                         title=t.name or Path(filename).stem)

    ws = await asyncio.to_thread(work)
    return _switch(request, ws)


def _switch(request: Request, ws: Workspace) -> dict[str, Any]:
    """Serve another workspace from now on (the map's caches are dropped)."""
    state = request.app.state
    for attr in ("geo4326", "geojson_bytes", "borders_bytes", "security_cache"):
        setattr(state, attr, None)
    state.workspace = ws
    return {"title": ws.title, "n_units": ws.territory.n_units, "plans": ws.list_plans()}


def _imported_dir(request: Request, stem: str, content_hash: str) -> Path | None:
    import hashlib

    settings = request.app.state.settings
    old = _ws(request)
    root = Path(settings.plans_dir) if settings.plans_dir is not None else (
        old.plans_dir.parent if old.plans_dir is not None else None)
    key = hashlib.sha256(content_hash.encode()).hexdigest()[:12]
    # the stem comes from the client: only safe characters, so the folder stays under root/imported
    return root / "imported" / f"{file_stem(stem)[:64]}-{key}" if root is not None else None


_LAYER_SUFFIXES = (".geojson", ".json", ".gpkg", ".fgb", ".zip", ".shp")
_LAYER_HINT = "use a GeoPackage (.gpkg), GeoJSON (.geojson), zipped shapefile (.zip) or FlatGeobuf (.fgb)"


def _split(text: str | None) -> list[str]:
    return [x.strip() for x in (text or "").split(",") if x.strip()]


@router.post("/import/territory")
async def import_territory(
    request: Request,
    filename: FileName,
    id_col: str = Query(min_length=1, description="column with the unit ids"),
    communities: str = Query(min_length=1, description="comma-separated community columns"),
    censuses: str | None = Query(None, description="'name=template; ...', e.g. "
                                 "'baseline={}_2014; current={}_2023' ({} stands for a community)"),
    admin: str | None = Query(None, description="comma-separated admin-level columns"),
    labels: str | None = Query(None, description="comma-separated name columns (name_en, name_ar, ...)"),
) -> dict[str, Any]:
    """Open another territory built from a units layer (GeoJSON, GeoPackage, FlatGeobuf or a zipped
    shapefile) whose attribute table holds the population of each community."""
    from dayafter.io.units import read_territory

    filename = _upload_name(filename)
    suffix = Path(filename).suffix.lower()
    if suffix not in _LAYER_SUFFIXES:
        raise InputDataError(f"unsupported layer format {suffix or 'without extension'!r}", source=filename,
                             hint=_LAYER_HINT)
    data = await request.body()
    if not data:
        raise InputDataError("the file is empty", hint="export the layer again", source=filename)
    comms = _split(communities)
    spec: dict[str, str] = {}
    for part in (censuses or "").split(";"):
        if not part.strip():
            continue
        name, sep, tmpl = part.partition("=")
        if not sep or not name.strip() or "{}" not in tmpl:
            raise InputDataError(f"census spec {part.strip()!r} is not NAME=TEMPLATE with {{}}",
                                 hint="e.g. baseline={}_2014; current={}_2023")
        spec[name.strip()] = "layer:" + tmpl.strip()

    def work() -> Workspace:
        with tempfile.TemporaryDirectory(prefix="dayafter-import-") as tmp:
            path = Path(tmp) / f"units{suffix}"
            path.write_bytes(data)
            try:
                t = read_territory(path, id_col=id_col, communities=comms, censuses=spec or None,
                                   admin_cols=_split(admin), label_cols=_split(labels),
                                   name=Path(filename).stem)
            except InputDataError as exc:
                _name_upload(exc, {str(path): filename}, filename)
                raise
        return Workspace(t, plans_dir=_imported_dir(request, Path(filename).stem, t.content_hash),
                         title=Path(filename).stem)

    return _switch(request, await asyncio.to_thread(work))


_TABLE_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm")


@router.post("/import/territory/files")
async def import_territory_files(
    request: Request,
    layer: Annotated[UploadFile, File(description="the units layer (GeoJSON, GeoPackage, FlatGeobuf, "
                                      "zipped shapefile)")],
    id_col: Annotated[str, Form(min_length=1, description="column with the unit ids")],
    communities: Annotated[str | None, Form(description="comma-separated community columns (optional when "
                                            "every census is a table: its numeric columns are then the "
                                            "communities)")] = None,
    censuses: Annotated[str | None, Form(description="layer censuses, 'name=template; ...' as in "
                                         "/import/territory")] = None,
    tables: Annotated[list[UploadFile] | None, File(description="census tables (CSV or XLSX) joined on the "
                                                    "unit id, one per census")] = None,
    table_censuses: Annotated[list[str] | None, Form(description="the census name of each table, in the "
                                                     "order of 'tables'")] = None,
    table_id_col: Annotated[str | None, Form(description="id column of the tables (default: id_col)")] = None,
    admin: Annotated[str | None, Form(description="comma-separated admin-level columns")] = None,
    labels: Annotated[str | None, Form(description="comma-separated name columns (name_en, name_ar, ...)")] = None,
) -> dict[str, Any]:
    """Open another territory built from a units layer plus census tables kept in separate CSV/XLSX
    files (multipart upload). Each table holds one census: a row per unit, keyed by the unit id, and a
    column per community. Layer censuses (column templates) may be given alongside."""
    from dayafter.io.units import read_territory

    lname = _upload_name(layer.filename or "units")
    suffix = Path(lname).suffix.lower()
    if suffix not in _LAYER_SUFFIXES:
        raise InputDataError(f"unsupported layer format {suffix or 'without extension'!r}",
                             hint=_LAYER_HINT, source=lname)
    data = await layer.read()
    if not data:
        raise InputDataError("the file is empty", hint="export the layer again", source=lname)
    comms = _split(communities)
    spec: dict[str, str] = {}
    for part in (censuses or "").split(";"):
        if not part.strip():
            continue
        name, sep, tmpl = part.partition("=")
        if not sep or not name.strip() or "{}" not in tmpl:
            raise InputDataError(f"census spec {part.strip()!r} is not NAME=TEMPLATE with {{}}",
                                 hint="e.g. baseline={}_2014; current={}_2023")
        spec[name.strip()] = "layer:" + tmpl.strip()
    tables = tables or []
    table_censuses = table_censuses or []
    if len(table_censuses) != len(tables):
        raise InputDataError(f"{len(tables)} census tables but {len(table_censuses)} census names",
                             hint="give one census name per table")
    uploads: list[tuple[str, str, bytes]] = []  # (census, file name, bytes)
    for cname, up in zip(table_censuses, tables, strict=True):
        fname = _upload_name(up.filename or "table")
        cname = cname.strip()
        if not cname:
            raise InputDataError("a census table has no census name", hint="name its census, e.g. baseline",
                                 source=fname)
        if cname in spec or any(cname == u[0] for u in uploads):
            raise InputDataError(f"census {cname!r} is given twice", hint="give each census one name",
                                 source=fname)
        if Path(fname).suffix.lower() not in _TABLE_SUFFIXES:
            raise InputDataError(f"unsupported census table {fname!r}", hint="use CSV or XLSX", source=fname)
        blob = await up.read()
        if not blob:
            raise InputDataError("the file is empty", hint="export the table again", source=fname)
        uploads.append((cname, fname, blob))

    def work() -> Workspace:
        with tempfile.TemporaryDirectory(prefix="dayafter-import-") as tmp:
            path = Path(tmp) / f"units{suffix}"
            path.write_bytes(data)
            full: dict[str, str] = dict(spec)
            by_path: dict[str, str] = {}
            by_census: dict[str, str] = {}
            for i, (cname, fname, blob) in enumerate(uploads):
                tpath = Path(tmp) / f"table{i}{Path(fname).suffix.lower()}"
                tpath.write_bytes(blob)
                full[cname] = str(tpath)
                by_path[str(tpath)] = fname
                by_census[cname] = fname
            try:
                t = read_territory(path, id_col=id_col, communities=comms or None, censuses=full or None,
                                   table_id_col=table_id_col or None, admin_cols=_split(admin),
                                   label_cols=_split(labels), name=Path(lname).stem)
            except InputDataError as exc:
                source = by_path.get(exc.source) or next(
                    (f for c, f in by_census.items() if exc.message.startswith(f"census {c!r}")), lname)
                _name_upload(exc, {**by_path, str(path): lname}, source)
                exc.source = source
                raise
        return Workspace(t, plans_dir=_imported_dir(request, Path(lname).stem, t.content_hash),
                         title=Path(lname).stem)

    return _switch(request, await asyncio.to_thread(work))


# ------------------------------------------------------------------------------ jobs
MetricName = Annotated[str, Field(min_length=1, max_length=64)]


class ObjectiveTerm(_Body):
    metric: Annotated[str, Field(min_length=1, max_length=64)]
    communities: list[ShortText] | None = Field(None, max_length=100)
    weight: float | None = Field(None, allow_inf_nan=False, ge=-1e6, le=1e6)
    level: ShortText | None = None


class JobParams(_Body):
    """Parameters of a job; the kinds check which of them apply (an ensemble takes no objective)."""

    steps: int = Field(2000, ge=1, le=100_000_000)
    seed: int = Field(2718, ge=0, le=2**63 - 1)
    tolerance: float = Field(0.25, ge=0.0, lt=1.0, allow_inf_nan=False)
    balance: Literal["plan", "equal"] = "plan"
    census: Name | None = None
    chunk: int = Field(200, ge=1, le=1_000_000)
    maximize: list[ObjectiveTerm | MetricName] = Field(default_factory=list, max_length=20)
    minimize: list[ObjectiveTerm | MetricName] = Field(default_factory=list, max_length=20)


class JobBody(_Body):
    kind: Annotated[str, Field(min_length=1, max_length=64)]
    params: JobParams = Field(default_factory=JobParams)


@router.get("/jobs/kinds")
def job_kinds(request: Request) -> list[dict[str, Any]]:
    """The kinds of job this installation can run (those whose engine is installed)."""
    from dayafter.web.jobs import available_kinds

    return available_kinds()


@router.get("/jobs")
def list_jobs(request: Request) -> list[dict[str, Any]]:
    """Every job of this session, newest first."""
    return request.app.state.jobs.list()  # type: ignore[no-any-return]


@router.post("/jobs")
def start_job(request: Request, body: JobBody) -> dict[str, Any]:
    """Start a job on the draft plan."""
    from dayafter.web.jobs import make_job

    ws = _ws(request)
    # only what the client sent: the kinds have their own defaults and refuse what does not apply
    params = body.params.model_dump(exclude_unset=True, exclude_none=True)
    job = make_job(body.kind, ws, ws.draft.plan, params)
    return request.app.state.jobs.submit(job)  # type: ignore[no-any-return]


@router.get("/jobs/{job_id}")
def get_job(request: Request, job_id: str) -> dict[str, Any]:
    """A job's status, progress and (when finished) results."""
    return request.app.state.jobs.get(job_id).to_dict(results=True)  # type: ignore[no-any-return]


@router.post("/jobs/{job_id}/cancel")
def cancel_job(request: Request, job_id: str) -> dict[str, Any]:
    """Ask a job to stop (it stops at its next progress report)."""
    return request.app.state.jobs.cancel(job_id)  # type: ignore[no-any-return]


@router.get("/jobs/{job_id}/events")
async def job_events(request: Request, job_id: str) -> StreamingResponse:
    """Server-sent events: ``progress`` while the job runs, then one ``end`` event."""
    job = request.app.state.jobs.get(job_id)

    async def stream() -> Any:
        last = -1
        while True:
            if await request.is_disconnected():
                return
            seq, snap = job.snapshot()
            if seq != last:
                last = seq
                kind = "end" if snap["state"] in ("done", "failed", "cancelled") else "progress"
                body = json.dumps(_finite(snap), allow_nan=False, default=str)
                yield f"event: {kind}\ndata: {body}\n\n"
                if kind == "end":
                    return
            await asyncio.sleep(0.1)

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache"})
