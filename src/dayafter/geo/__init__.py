"""The geometry edge: building territories from polygons, dissolving regions, Reock."""

from dayafter.geo.build import build_territory, choose_crs
from dayafter.geo.measures import dissolve_regions, reock

__all__ = ["build_territory", "choose_crs", "dissolve_regions", "reock"]
