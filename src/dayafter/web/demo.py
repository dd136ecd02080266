"""A synthetic workspace of square units with real geometry, for tests, demos and benchmarks.

The units are ``rows x cols`` squares of 5 km in UTM zone 38N (the latitude of northern Iraq), so
the map, the metrics and the exports run exactly as on real data. Nothing here is data about any
place: the populations are smooth gradients of three made-up communities.
"""

from __future__ import annotations

import numpy as np

from dayafter.criteria import criteria_from_spec
from dayafter.plan import Plan, Region
from dayafter.territory import Territory
from dayafter.web.workspace import Workspace

__all__ = ["grid_plans", "grid_territory_with_geometry", "grid_workspace"]

_CELL = 5000.0
_X0, _Y0 = 300_000.0, 4_000_000.0


def grid_territory_with_geometry(rows: int, cols: int, *, name: str = "") -> Territory:
    """A grid of square units with three communities and two censuses.

    Unit ids are ``G<row>-<col>`` zero-padded (so sorted order is row-major); admin levels
    ``governorate`` (blocks of ``cols // 2`` columns) and ``district`` (2 x 2 blocks); labels
    ``name_en`` and ``name_ar``.
    """
    import geopandas as gpd
    import shapely

    from dayafter.geo.build import build_territory

    rr, cc = np.meshgrid(np.arange(rows), np.arange(cols), indexing="ij")
    r, c = rr.ravel(), cc.ravel()
    geom = shapely.box(_X0 + c * _CELL, _Y0 + r * _CELL, _X0 + (c + 1) * _CELL, _Y0 + (r + 1) * _CELL)
    fx = (c + 0.5) / cols
    fy = (r + 0.5) / rows
    a = np.round(1000 * (1.2 - fx))
    b = np.round(800 * (0.2 + fx))
    e = np.round(300 * (0.1 + fy) * (c % 3 == 0))
    ids = [f"G{ri:03d}-{ci:03d}" for ri, ci in zip(r.tolist(), c.tolist(), strict=True)]
    half = max(cols // 2, 1)
    gdf = gpd.GeoDataFrame(
        {
            "unit_id": ids,
            "governorate": [f"GOV{ci // half}" for ci in c.tolist()],
            "district": [f"D{ri // 2:03d}-{ci // 2:03d}" for ri, ci in zip(r.tolist(), c.tolist(), strict=True)],
            "name_en": [f"Unit {ri}-{ci}" for ri, ci in zip(r.tolist(), c.tolist(), strict=True)],
            "name_ar": [f"وحدة {ri}-{ci}" for ri, ci in zip(r.tolist(), c.tolist(), strict=True)],
            "a0": a, "b0": b, "e0": e,
            "a1": np.round(a * 0.8), "b1": b, "e1": np.round(e * 0.6),
        },
        geometry=geom, crs=32638,
    )
    return build_territory(
        gdf, id_col="unit_id",
        censuses={"baseline": {"alpha": "a0", "beta": "b0", "gamma": "e0"},
                  "current": {"alpha": "a1", "beta": "b1", "gamma": "e1"}},
        admin_cols={"governorate": "governorate", "district": "district"},
        label_cols=["name_en", "name_ar"], name=name or f"grid {rows}x{cols}",
        crs=32638,
    )


def grid_plans(territory: Territory, cols: int, k: int = 2) -> dict[str, Plan]:
    """Two scenario plans on a grid territory: ``k`` vertical stripes, and horizontal halves."""
    ids = territory.unit_ids.astype(str)
    col = np.array([int(u.split("-")[1]) for u in ids])
    row = np.array([int(u[1:].split("-")[0]) for u in ids])
    stripes = np.minimum(col * k // cols, k - 1).astype(np.int32)
    rows = int(row.max()) + 1
    halves = (row >= rows // 2).astype(np.int32)
    h = territory.content_hash
    auth = ["federal", "regional", "self-administered"]
    return {
        "stripes": Plan(stripes, tuple(Region(f"Stripe {j + 1}", auth[j % 3], "province") for j in range(k)),
                        h, name="stripes", notes="vertical stripes"),
        "halves": Plan(halves, (Region("South", "federal", "province"), Region("North", "regional", "province")),
                       h, name="halves", notes="north and south"),
    }


def grid_workspace(rows: int = 6, cols: int = 6, *, plans_dir: object = None, k: int = 2,
                   ranges: float = 0.0) -> Workspace:
    """A workspace on :func:`grid_territory_with_geometry` with :func:`grid_plans` and two criteria.

    With ``ranges`` > 0 the baseline census carries stated ranges: every community count and unit
    total within ``1 - ranges`` to ``1 + ranges`` times its figure (for the census draws of the
    uncertainty panel and of an optimization robust over them).
    """
    from pathlib import Path

    t = grid_territory_with_geometry(rows, cols)
    if ranges:
        from dayafter.errors import ConfigError
        from dayafter.territory import CensusRange

        if not 0 < ranges < 1:
            raise ConfigError(f"ranges must lie in (0, 1), got {ranges}", hint="e.g. ranges=0.4 for ±40%")
        table = np.asarray(t.census("baseline"), dtype=np.float64)
        pop = table.sum(axis=1)
        t = t.with_ranges({"baseline": CensusRange((1 - ranges) * table, (1 + ranges) * table,
                                                   (1 - ranges) * pop, (1 + ranges) * pop,
                                                   source=f"synthetic: ±{ranges:.0%} of each figure")})
    criteria = criteria_from_spec({"criteria": [
        {"name": "contiguous-regions", "metric": "pieces", "max": 1, "description": "one piece each"},
        {"name": "gamma-not-stranded", "metric": "stranded", "where": {"communities": ["gamma"]},
         "max": 0.5, "description": "at most half of gamma stranded"},
    ]})
    return Workspace(t, scenarios=grid_plans(t, cols, k), reference="stripes", criteria=criteria,
                     plans_dir=Path(str(plans_dir)) if plans_dir is not None else None,
                     title=f"Grid {rows}x{cols} (synthetic)",
                     community_labels={"alpha": "Alpha", "beta": "Beta", "gamma": "Gamma"})
