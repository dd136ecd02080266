"""Territory: metadata (with the metric registry), unit geometry and unit details."""

from __future__ import annotations

from typing import Any

import numpy as np
from fastapi import APIRouter, Request
from fastapi.responses import Response

from dayafter._util import json_bytes
from dayafter.errors import InputDataError
from dayafter.metrics import registry
from dayafter.web.routers._common import _ws, session_of

router = APIRouter()


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
        "metrics": registry.metadata(),
        "bounds": _bounds(request),
        "sources_md": ws.sources_md,
        "has_geometry": t.geometry is not None,
        "engines": {"councils": True, "security": ws.force_catalog is not None},
        "warnings": list(getattr(ws, "skipped_files", [])),
    }


def _geo4326(request: Request) -> Any:
    cache = _ws(request).cache
    if cache.get("geo4326") is None:
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
        cache["geo4326"] = arr
    return cache["geo4326"]


def _bounds(request: Request) -> list[float] | None:
    if _ws(request).territory.geometry is None:
        return None
    import shapely

    b = shapely.total_bounds(_geo4326(request))
    return [float(x) for x in b]


@router.get("/units.geojson")
def units_geojson(request: Request) -> Response:
    """Unit polygons in WGS 84; feature ``id`` is the unit's index."""
    cache = _ws(request).cache
    if cache.get("geojson_bytes") is None:
        import shapely

        arr = _geo4326(request)
        geo = shapely.to_geojson(arr, indent=None)
        parts = [f'{{"type":"Feature","id":{i},"properties":{{"i":{i}}},"geometry":{gj}}}'
                 for i, gj in enumerate(np.asarray(geo).tolist())]
        cache["geojson_bytes"] = ('{"type":"FeatureCollection","features":[' + ",".join(parts) + "]}").encode()
    return Response(cache["geojson_bytes"], media_type="application/geo+json")


@router.get("/borders.geojson")
def borders_geojson(request: Request) -> Response:
    """The shared border of every pair of adjacent units (``properties.u`` and ``v`` are unit
    indices), so the map can draw region boundaries: the borders whose two units are in different
    regions."""
    cache = _ws(request).cache
    if cache.get("borders_bytes") is None:
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
        cache["borders_bytes"] = ('{"type":"FeatureCollection","features":[' + ",".join(parts) + "]}").encode()
    return Response(cache["borders_bytes"], media_type="application/geo+json")


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


def _sources_by_unit(ws: Any) -> dict[str, list[dict[str, str]]]:
    """The provenance rows of every unit, grouped once per workspace (a click on the map asks
    for one unit's, alongside the stroke: it must not scan the table each time)."""
    by_unit = ws.cache.get("sources_by_unit")
    if by_unit is None:
        by_unit = {}
        prov = ws.provenance
        if prov is not None and "unit_id" in getattr(prov, "columns", ()):
            for r in prov.to_dict("records"):
                by_unit.setdefault(str(r["unit_id"]), []).append({str(k): str(v) for k, v in r.items()})
        ws.cache["sources_by_unit"] = by_unit
    return by_unit


@router.get("/units/{index}")
async def unit(request: Request, index: int) -> Response:
    """One unit: its labels, admin units, census figures, current region and their sources.

    Served on the event loop (a look-up): the page asks for it with every click on the map, at
    the same time as the stroke, which a thread would only slow down (the GIL)."""
    ws = _ws(request)
    t = ws.territory
    if not 0 <= index < t.n_units:
        raise InputDataError(f"unit index {index} out of range 0..{t.n_units - 1}",
                             key="web.unit_out_of_range", args={"last": t.n_units - 1})
    uid = str(t.unit_ids[index])
    draft = ws.draft_of(session_of(request)).plan
    region = int(draft.assignment[index])
    out: dict[str, Any] = {
        "index": index, "unit_id": uid,
        "labels": {k: str(v[index]) for k, v in t.labels.items()},
        "admin": {k: str(v[index]) for k, v in t.admin.items()},
        "censuses": {c: {comm: float(t.censuses[c][index, j]) for j, comm in enumerate(t.communities)}
                     for c in t.census_names},
        "region": draft.regions[region].name if region >= 0 else None,
        "sources": _sources_by_unit(ws).get(uid, []),
    }
    return Response(json_bytes(out), media_type="application/json")
