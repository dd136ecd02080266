"""Exports for GIS users: dissolved regions as GeoJSON."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd

from dayafter.geo.measures import dissolve_regions
from dayafter.io.atomic import atomic_path
from dayafter.plan import Plan
from dayafter.territory import Territory

__all__ = ["write_regions_geojson"]


def write_regions_geojson(territory: Territory, plan: Plan, path: str | Path) -> None:
    """One feature per region (name, authority, status, units) in WGS 84."""
    geoms = dissolve_regions(territory, plan)
    gdf = gpd.GeoDataFrame(
        {"name": plan.region_names, "authority": [r.authority for r in plan.regions],
         "status": [r.status for r in plan.regions], "units": plan.region_sizes().tolist()},
        geometry=geoms.values, crs=geoms.crs).to_crs(4326)
    with atomic_path(path, suffix=".geojson") as tmp:
        gdf.to_file(tmp, driver="GeoJSON")
