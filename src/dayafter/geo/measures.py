"""Measures that need the geometry itself: dissolved regions and Reock compactness."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from numpy.typing import NDArray

from dayafter.errors import InputDataError
from dayafter.plan import Plan
from dayafter.territory import Territory

__all__ = ["dissolve_regions", "reock"]


def _geometry(territory: Territory) -> gpd.GeoSeries:
    if territory.geometry is None:
        raise InputDataError(
            f"territory {territory.name or '(unnamed)'} has no geometry",
            hint="build it from a polygon layer (dayafter.geo.build_territory) to use maps or Reock")
    return territory.geometry


def dissolve_regions(territory: Territory, plan: Plan) -> gpd.GeoSeries:
    """One (multi)polygon per region, in the territory's measurement CRS (empty if no units)."""
    plan.check_territory(territory)
    geom = _geometry(territory)
    arr = np.asarray(geom.values, dtype=object)
    out = []
    for j in range(plan.k):
        members = arr[plan.assignment == j]
        out.append(shapely.union_all(members) if members.size else shapely.Polygon())
    return gpd.GeoSeries(out, crs=geom.crs, index=plan.region_names)


def reock(territory: Territory, plan: Plan) -> NDArray[np.float64]:
    """Reock compactness per region: area over the area of the minimum bounding circle.

    Report-only (it needs the geometry); NaN for empty regions.
    """
    regions = dissolve_regions(territory, plan)
    geoms = np.asarray(regions.values, dtype=object)
    out = np.full(plan.k, np.nan)
    for j, g in enumerate(geoms):
        if g is None or g.is_empty:
            continue
        r = shapely.minimum_bounding_radius(g)
        if r > 0:
            out[j] = g.area / (np.pi * r * r)
    return out
