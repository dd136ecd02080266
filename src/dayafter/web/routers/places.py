"""Place search (unit, district and governorate names in English, Arabic and Kurdish, with other
spellings; :mod:`dayafter.web.gazetteer`) and the offline reference layers of the map (Natural
Earth rivers, lakes, towns and international boundaries; ``dayafter/web/reference``)."""

from __future__ import annotations

from importlib import resources
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from dayafter.web.routers._common import _ws

router = APIRouter()

LAYERS = ("rivers", "lakes", "places", "boundaries")
LAYER_BOX = (41.0, 33.0, 46.5, 37.5)
"""lon/lat box the reference layers were clipped to (see reference/README.md)."""
ATTRIBUTION = "Made with Natural Earth (public domain)"


def _gazetteer(request: Request) -> Any:
    ws = _ws(request)
    g = ws.cache.get("gazetteer")
    if g is None or g.territory is not ws.territory:
        from dayafter.web.gazetteer import Gazetteer

        g = ws.cache["gazetteer"] = Gazetteer(ws.territory)
    return g


@router.get("/search")
def search(request: Request, q: Annotated[str, Query(max_length=100)],
           limit: Annotated[int, Query(ge=1, le=50)] = 10) -> dict[str, Any]:
    """Places whose name or another spelling matches ``q`` (Arabic, Kurdish or Latin script),
    best first: ``{"results": [{kind, key, name, matched, score, units}]}``."""
    return {"query": q, "results": _gazetteer(request).search(q, limit)}


def _layers_apply(request: Request) -> bool:
    from dayafter.web.routers.territory import _bounds

    b = _bounds(request)
    if b is None:
        return False
    x0, y0, x1, y1 = LAYER_BOX
    return not (b[2] < x0 or b[0] > x1 or b[3] < y0 or b[1] > y1)


@router.get("/reference")
def reference_layers(request: Request) -> dict[str, Any]:
    """The reference layers that apply to the served territory (those whose box meets its bounds)."""
    ok = _layers_apply(request)
    return {"layers": list(LAYERS) if ok else [], "attribution": ATTRIBUTION if ok else ""}


@router.get("/reference/{layer}.geojson")
def reference_layer(request: Request, layer: Literal["rivers", "lakes", "places", "boundaries"]) -> Response:
    """One reference layer as GeoJSON (lon/lat)."""
    data = (resources.files("dayafter.web") / "reference" / f"{layer}.geojson").read_bytes()
    return Response(data, media_type="application/geo+json", headers={"Cache-Control": "max-age=86400"})
