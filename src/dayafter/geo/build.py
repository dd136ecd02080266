"""Build a :class:`~dayafter.territory.Territory` from a polygon layer and census tables.

This is the only place (with :mod:`dayafter.geo.measures` and maps) where geometry is handled:
adjacency with shared border lengths, areas and outer borders are measured once here, in a projected
coordinate system chosen automatically, and the rest of dayafter works on arrays.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any, TypeAlias

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from dayafter.errors import DataQualityWarning, GeometryError, InputDataError, first_ids
from dayafter.graph import UnitGraph
from dayafter.territory import Territory

__all__ = ["CensusSpec", "build_territory", "choose_crs", "normalise_ids", "parse_crs"]

MAX_UNIT_POPULATION = 1e10
"""Populations above this in one unit are rejected as a data error (more than the world's people)."""

CensusSpec: TypeAlias = Mapping[str, str] | pd.DataFrame
"""A census is either ``{community: column in the layer}`` or a DataFrame indexed by unit id whose
columns are the communities."""


def normalise_ids(values: pd.Series, *, source: str, what: str = "unit id") -> pd.Series:
    """Unit ids as text, never numbers: integral floats lose their ``.0``; nulls raise."""
    s = pd.Series(values).reset_index(drop=True)
    null = s.isna() | (s.astype(str).str.strip() == "")
    if null.any():
        rows = (np.flatnonzero(null.to_numpy()) + 1).tolist()
        raise InputDataError(
            f"{int(null.sum())} rows have no {what} (rows {first_ids(rows)})",
            hint=f"fill the {what} column or remove those rows",
            source=source,
        )
    if pd.api.types.is_float_dtype(s.dtype):
        f = s.astype(float)
        if np.all(np.mod(f, 1) == 0):
            return f.astype(np.int64).astype(str)
    return s.astype(str).str.strip()


def parse_crs(value: Any, *, source: str = "", what: str = "--crs") -> CRS:
    """A coordinate reference system from user input (``EPSG:4326``, ``4326``, WKT, PROJ text).

    Raises
    ------
    GeometryError
        ``value`` is not a CRS pyproj knows; the message quotes it and names the fix.
    """
    try:
        return CRS.from_user_input(value)
    except Exception as exc:  # pyproj.exceptions.CRSError, TypeError for odd objects
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise GeometryError(
            f"{what} {value!r} is not a coordinate reference system ({first})",
            hint="give an EPSG code such as EPSG:4326 (longitude/latitude) or EPSG:32638 (UTM 38N, metres)",
            source=source) from None


def _looks_geographic(bounds: Sequence[float]) -> bool:
    minx, miny, maxx, maxy = bounds
    return bool(-180.0 <= minx <= maxx <= 180.0 and -90.0 <= miny <= maxy <= 90.0)


def _check_projected_extent(crs: CRS, bounds: Sequence[float], *, source: str) -> None:
    """Refuse coordinates that cannot be in the units of a projected (metric) CRS.

    Degree-sized coordinates (all within +-180, +-90) under a metric CRS would make a territory a
    few hundred metres wide with areas of a fraction of a square metre (a "0 km2" territory);
    coordinates far outside the CRS's area of use belong to another CRS.
    """
    minx, miny, maxx, maxy = (float(b) for b in bounds)
    name = crs.name + (f", EPSG:{crs.to_epsg()}" if crs.to_epsg() else "")
    unit = (crs.axis_info[0].unit_name if crs.axis_info else "") or "metre"
    if _looks_geographic(bounds):
        raise GeometryError(
            f"the layer's coordinates ({minx:.4g}, {miny:.4g}, {maxx:.4g}, {maxy:.4g}) look like "
            f"longitudes/latitudes, but its CRS ({name}) is projected, in {unit}s: the territory "
            "would measure a few hundred metres",
            hint="set the layer's real CRS: --crs EPSG:4326 if the coordinates are longitude/latitude",
            source=source)
    aou = crs.area_of_use
    if aou is None or (aou.east - aou.west) >= 359.0:
        return
    try:
        from pyproj import Transformer

        tr = Transformer.from_crs(CRS.from_epsg(4326), crs, always_xy=True)
        ax0, ay0, ax1, ay1 = tr.transform_bounds(aou.west, aou.south, aou.east, aou.north)
    except Exception:  # a CRS pyproj cannot project its own area into: nothing to compare with
        return
    if not all(np.isfinite([ax0, ay0, ax1, ay1])):
        return
    wx, wy = max(ax1 - ax0, 1.0), max(ay1 - ay0, 1.0)
    if maxx < ax0 - wx or minx > ax1 + wx or maxy < ay0 - wy or miny > ay1 + wy:
        raise GeometryError(
            f"the layer's coordinates ({minx:.0f}, {miny:.0f}, {maxx:.0f}, {maxy:.0f}) lie far outside "
            f"the area its CRS ({name}) is used for ({aou.name.split('.')[0]})",
            hint="set the layer's real CRS with --crs (the CRS the coordinates were measured in)",
            source=source)


def choose_crs(gdf: gpd.GeoDataFrame, *, source: str = "") -> CRS:
    """The coordinate system to measure in.

    A projected layer is measured in its own CRS (except Web Mercator, whose scale error is too
    large); a geographic layer in a Lambert azimuthal equal-area projection centred on the layer,
    which keeps areas exact and lengths within about 0.2% over 1,000 km.

    Coordinates that do not fit the layer's CRS are an error naming the CRS: metric coordinates
    under a geographic CRS, degree-sized coordinates under a projected one, coordinates far outside
    the projected CRS's area of use.
    """
    crs = gdf.crs
    if crs is None:
        raise GeometryError(
            "the layer has no coordinate reference system",
            hint="set it on the file, or pass --crs EPSG:4326 (crs= in Python) if the coordinates are "
            "longitude/latitude",
            source=source,
        )
    crs = parse_crs(crs, source=source, what="the layer's CRS")
    bounds = gdf.total_bounds
    if not np.all(np.isfinite(bounds)):
        raise GeometryError("the layer's coordinates include infinite or missing values",
                            hint="fix the geometries in a GIS", source=source)
    if crs.is_projected:
        _check_projected_extent(crs, bounds, source=source)
        if crs.to_epsg() not in (3857, 900913, 3395):
            return crs
    elif not crs.is_geographic:
        raise GeometryError(f"the layer's CRS ({crs.name}) is neither geographic nor projected",
                            hint="set a geographic (EPSG:4326) or projected CRS with --crs", source=source)
    elif not _looks_geographic(bounds):
        minx, miny, maxx, maxy = bounds
        raise GeometryError(
            f"the layer claims a geographic CRS ({crs.name}) but its coordinates "
            f"({minx:.0f}, {miny:.0f}, {maxx:.0f}, {maxy:.0f}) are not longitudes/latitudes",
            hint="set the layer's real (projected) CRS, e.g. --crs EPSG:32638",
            source=source,
        )
    geo = gdf.to_crs(4326) if not crs.is_geographic else gdf
    minx, miny, maxx, maxy = geo.total_bounds
    if not _looks_geographic((minx, miny, maxx, maxy)):
        raise GeometryError(
            f"the layer's coordinates do not convert to longitudes/latitudes from its CRS ({crs.name})",
            hint="set the layer's real CRS with --crs", source=source)
    lat0 = (miny + maxy) / 2.0
    lon0 = (minx + maxx) / 2.0
    return CRS.from_proj4(
        f"+proj=laea +lat_0={lat0:.4f} +lon_0={lon0:.4f} +x_0=0 +y_0=0 +datum=WGS84 +units=m +no_defs"
    )


def _check_geometries(geoms: np.ndarray, ids: np.ndarray, *, repair: bool, source: str) -> np.ndarray:
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if missing.any():
        raise GeometryError(
            f"{int(missing.sum())} units have no geometry or an empty one: {first_ids(ids[missing])}",
            hint="draw them or drop those rows",
            unit_ids=ids[missing].tolist(),
            source=source,
        )
    kinds = shapely.get_type_id(geoms)
    polygonal = np.isin(kinds, [3, 6])  # Polygon, MultiPolygon
    if repair:
        bad = ~shapely.is_valid(geoms) | ~polygonal
        if bad.any():
            fixed = shapely.make_valid(geoms[bad])
            fixed = np.array([_polygonal_part(g) for g in fixed], dtype=object)
            lost = shapely.is_empty(fixed)
            if lost.any():
                raise GeometryError(
                    f"{int(lost.sum())} units have no area left after repair: "
                    f"{first_ids(ids[bad][lost])}",
                    hint="fix or drop these units in a GIS",
                    unit_ids=ids[bad][lost].tolist(),
                    source=source,
                )
            geoms = geoms.copy()
            geoms[bad] = fixed
            warnings.warn(
                f"{source + ': ' if source else ''}repaired {int(bad.sum())} invalid geometries with "
                f"make_valid: {first_ids(ids[bad])}",
                DataQualityWarning,
                stacklevel=3,
            )
        return geoms
    if not polygonal.all():
        raise GeometryError(
            f"{int((~polygonal).sum())} units are not polygons: {first_ids(ids[~polygonal])} "
            f"(types {sorted(set(shapely.get_type_id(geoms[~polygonal]).tolist()))})",
            hint="units must be (multi)polygons; pass --repair to keep their polygonal parts",
            unit_ids=ids[~polygonal].tolist(),
            source=source,
        )
    invalid = ~shapely.is_valid(geoms)
    if invalid.any():
        reasons = shapely.is_valid_reason(geoms[invalid])
        detail = "; ".join(f"{u}: {r}" for u, r in list(zip(ids[invalid], reasons, strict=True))[:3])
        raise GeometryError(
            f"{int(invalid.sum())} units have invalid geometries ({detail})",
            hint="pass --repair (repair=True) to fix them with make_valid, or fix them in a GIS",
            unit_ids=ids[invalid].tolist(),
            source=source,
        )
    return geoms


def _polygonal_part(g: shapely.Geometry) -> shapely.Geometry:
    if g is None:
        return shapely.Polygon()
    t = shapely.get_type_id(g)
    if t in (3, 6):
        return g
    if t == 7:  # GeometryCollection
        parts = [p for p in shapely.get_parts(g) if shapely.get_type_id(p) in (3, 6)]
        if not parts:
            return shapely.Polygon()
        return shapely.union_all(parts)
    return shapely.Polygon()


def _adjacency(
    geoms: np.ndarray, *, queen: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Pairs that touch: (u, v, shared length, overlap area) for rook pairs and point-only pairs."""
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    bounds = shapely.boundary(geoms)
    shared = shapely.length(shapely.intersection(bounds[left], bounds[right]))
    overlap = shapely.area(shapely.intersection(geoms[left], geoms[right]))
    rook = shared > 0.0
    if queen:
        rook = np.ones_like(rook)
    return left[rook], right[rook], shared[rook], overlap, np.stack([left[~rook], right[~rook]])


def _census_table(
    name: str,
    spec: CensusSpec,
    ids: np.ndarray,
    layer: pd.DataFrame,
    communities: Sequence[str] | None,
    *,
    source: str,
    missing: str,
) -> tuple[list[str], np.ndarray]:
    where = f"census {name!r}"
    if isinstance(spec, pd.DataFrame):
        table = spec.copy()
        table.index = normalise_ids(pd.Series(table.index), source=source, what="unit id").to_numpy()
        dup = table.index.duplicated()
        if dup.any():
            raise InputDataError(
                f"{where} lists units more than once: {first_ids(table.index[dup].tolist())}",
                hint="keep one row per unit", unit_ids=table.index[dup].tolist(), source=source)
        comms = list(communities) if communities is not None else [str(c) for c in table.columns]
        extra = [str(c) for c in table.columns if str(c) not in comms]
        if communities is not None and extra:
            raise InputDataError(
                f"{where} has columns {extra} that the first census does not have",
                hint="give every census the same communities", source=source)
        absent = [c for c in comms if c not in table.columns]
        if absent:
            raise InputDataError(
                f"{where} has no column for communities {absent} (columns: {list(table.columns)})",
                hint="rename the columns or pass the right community names", source=source)
        unknown = sorted(set(table.index) - set(ids.tolist()))
        if unknown:
            raise InputDataError(
                f"{where} has {len(unknown)} unit ids that are not in the layer: {first_ids(unknown)}",
                hint="check the id column (ids are compared as text, leading zeros count)",
                unit_ids=unknown, source=source)
        lacking = sorted(set(ids.tolist()) - set(table.index))
        if lacking:
            raise InputDataError(
                f"{where} has no row for {len(lacking)} units of the layer: {first_ids(lacking)}",
                hint="add rows for them (0 if nobody lives there)", unit_ids=lacking, source=source)
        raw = table.loc[ids.tolist(), comms]
    else:
        if communities is not None and set(spec) != set(communities):
            raise InputDataError(
                f"{where} names communities {sorted(spec)}, the first census {sorted(communities)}",
                hint="give every census the same communities", source=source)
        comms = list(communities) if communities is not None else list(spec)
        cols = [spec[c] for c in comms]
        absent = [c for c in cols if c not in layer.columns]
        if absent:
            raise InputDataError(
                f"{where}: the layer has no columns {absent} (columns: {list(layer.columns)})",
                hint="name existing population columns", source=source)
        raw = layer[cols].copy()
        raw.columns = comms
        raw.index = ids
    values = np.empty((ids.size, len(comms)), dtype=np.float64)
    for j, c in enumerate(comms):
        col = raw[c]
        num = pd.to_numeric(col, errors="coerce")
        text_bad = num.isna() & col.notna() & (col.astype(str).str.strip() != "")
        if text_bad.any():
            bad_ids = ids[text_bad.to_numpy()]
            sample = col[text_bad].astype(str).tolist()[:3]
            raise InputDataError(
                f"{where}, column {c!r}: non-numeric populations for units {first_ids(bad_ids)} "
                f"(values {sample})",
                hint="write plain numbers (no thousands separators or text)",
                unit_ids=bad_ids.tolist(), source=source)
        arr = num.to_numpy(dtype=np.float64, na_value=np.nan)
        nan = ~np.isfinite(arr)
        if nan.any():
            if missing == "zero":
                arr = np.where(nan, 0.0, arr)
            else:
                raise InputDataError(
                    f"{where}, column {c!r}: {int(nan.sum())} units have no population value: "
                    f"{first_ids(ids[nan])}",
                    hint="fill them, or pass --missing-population zero to count them as 0",
                    unit_ids=ids[nan].tolist(), source=source)
        huge = arr > MAX_UNIT_POPULATION
        if huge.any():
            raise InputDataError(
                f"{where}, column {c!r}: implausibly large populations (over {MAX_UNIT_POPULATION:.0e}) for "
                f"units {first_ids(ids[huge])}",
                hint="check the column's units and decimal separators", unit_ids=ids[huge].tolist(), source=source)
        neg = arr < 0
        if neg.any():
            raise InputDataError(
                f"{where}, column {c!r}: negative populations for units {first_ids(ids[neg])}",
                hint="populations must be 0 or more", unit_ids=ids[neg].tolist(), source=source)
        values[:, j] = arr
    return comms, values


def build_territory(
    units: gpd.GeoDataFrame,
    *,
    id_col: str,
    censuses: Mapping[str, CensusSpec],
    admin_cols: Mapping[str, str] | Sequence[str] = (),
    label_cols: Mapping[str, str] | Sequence[str] = (),
    name: str = "",
    source: str = "",
    repair: bool = False,
    link_islands: bool = False,
    queen: bool = False,
    crs: Any = None,
    grid_size: float = 0.0,
    missing_population: str = "error",
    check_coverage: bool | None = None,
    meta: Mapping[str, Any] | None = None,
) -> Territory:
    """Build a territory: validate, measure adjacency, areas and borders, assemble censuses.

    Parameters
    ----------
    units
        One polygon per unit.
    id_col
        Column with the unit ids (kept as text).
    censuses
        Census name to either ``{community: column}`` in ``units`` or a DataFrame indexed by unit id
        with one column per community. All censuses must have the same communities.
    admin_cols
        Existing admin levels: ``{level: column}`` or column names (used as level names).
    label_cols
        Extra text columns to keep (names in several scripts): ``{key: column}`` or column names.
    repair
        Repair invalid geometries with ``make_valid`` instead of raising.
    link_islands
        Link every component not connected to the largest one to its nearest unit (an edge with
        zero shared border) instead of only warning.
    queen
        Count point contacts as adjacency too.
    crs
        CRS of the layer's coordinates, for a file that has none or a wrong one (it replaces the
        file's CRS, with a warning when they differ).
    grid_size
        Snap coordinates to this grid (metres, after projection) to close slivers between
        neighbours that do not share exact vertices.
    missing_population
        ``"error"`` (default) or ``"zero"``.
    check_coverage
        Look for gaps and overlaps (default: for layers of up to 20,000 units).

    Raises
    ------
    InputDataError, GeometryError
        With the file, the unit ids and the fix.

    Warns
    -----
    DataQualityWarning
        Gaps, overlaps, islands and disconnected components, repaired geometries.
    """
    if not (isinstance(grid_size, int | float) and np.isfinite(grid_size) and 0 <= grid_size <= 1000):
        raise InputDataError(f"grid_size must be a distance in metres in 0..1000, got {grid_size!r}",
                             hint="use a small snapping grid, e.g. --grid-size 0.01 (0: none)", source=source)
    if missing_population not in ("error", "zero"):
        raise InputDataError(f"missing_population must be 'error' or 'zero', not {missing_population!r}",
                             hint="pass --missing-population error or --missing-population zero")
    if not isinstance(units, gpd.GeoDataFrame):
        raise InputDataError("units must be a GeoDataFrame with one polygon per unit", source=source)
    if len(units) == 0:
        raise InputDataError("the layer has no features", hint="check the file and layer name",
                             source=source)
    if id_col not in units.columns:
        raise InputDataError(
            f"the layer has no id column {id_col!r} (columns: {[c for c in units.columns if c != units.geometry.name]})",
            hint="pass --id-col with one of those", source=source)
    gdf = units.reset_index(drop=True)
    if crs is not None:
        given = parse_crs(crs, source=source)
        if gdf.crs is None:
            gdf = gdf.set_crs(given)
        elif not given.equals(gdf.crs):
            warnings.warn(
                f"{source + ': ' if source else ''}the file's CRS ({CRS.from_user_input(gdf.crs).name}) is "
                f"replaced by --crs ({given.name})", DataQualityWarning, stacklevel=2)
            gdf = gdf.set_crs(given, allow_override=True)
    ids = normalise_ids(gdf[id_col], source=source).to_numpy(dtype=object)
    dup = pd.Series(ids).duplicated(keep=False).to_numpy()
    if dup.any():
        rows = (np.flatnonzero(dup) + 1).tolist()
        raise InputDataError(
            f"duplicate unit ids {first_ids(sorted(set(ids[dup].tolist())))} (rows {first_ids(rows)})",
            hint="give every unit its own id, or dissolve the duplicated rows first",
            unit_ids=sorted(set(ids[dup].tolist())), source=source)
    if not censuses:
        raise InputDataError("at least one census is needed", hint="name population columns",
                             source=source)
    measure_crs = choose_crs(gdf, source=source)
    geoms = _check_geometries(np.asarray(gdf.geometry.values, dtype=object), ids, repair=repair,
                              source=source)
    proj = gpd.GeoSeries(geoms, crs=gdf.crs).to_crs(measure_crs)
    pgeoms = np.asarray(proj.values, dtype=object)
    if grid_size > 0:
        pgeoms = shapely.set_precision(pgeoms, grid_size)
    comms: list[str] | None = None
    tables: dict[str, np.ndarray] = {}
    for cname, spec in censuses.items():
        c_comms, vals = _census_table(cname, spec, ids, gdf, comms, source=source,
                                      missing=missing_population)
        if comms is None:
            comms = c_comms
        tables[cname] = vals
    assert comms is not None

    n = ids.size
    u, v, shared, overlap, point_pairs = _adjacency(pgeoms, queen=queen)
    area = shapely.area(pgeoms)
    perim = shapely.length(pgeoms)
    shared_sum = np.bincount(u, weights=shared, minlength=n) + np.bincount(v, weights=shared, minlength=n)
    outer = np.maximum(perim - shared_sum, 0.0)

    notes: dict[str, Any] = {"source": source, "point_contacts": int(point_pairs.shape[1])}
    if check_coverage is None:
        check_coverage = n <= 20000
    # overlaps (among all intersecting pairs, measured before the rook filter)
    tree_pairs_overlap = overlap > 1.0  # square metres
    if tree_pairs_overlap.any():
        warnings.warn(
            f"{source + ': ' if source else ''}{int(tree_pairs_overlap.sum())} pairs of units overlap "
            f"(largest {overlap.max() / 1e6:.3f} km2); shared borders may be misread there",
            DataQualityWarning, stacklevel=2)
    if check_coverage:
        _warn_gaps(pgeoms, ids, source=source)

    graph = UnitGraph.from_edges(n, u, v, shared)
    comp = graph.components()
    n_comp = int(comp.max()) + 1
    links: list[tuple[str, str]] = []
    if n_comp > 1:
        sizes = np.bincount(comp)
        main = int(np.argmax(sizes))
        others = [c for c in range(n_comp) if c != main]
        desc = "; ".join(
            f"[{first_ids(ids[comp == c].tolist(), 3)}]" for c in sorted(others, key=lambda c: -sizes[c])[:5]
        )
        if link_islands:
            main_idx = np.flatnonzero(comp == main)
            main_tree = shapely.STRtree(pgeoms[main_idx])
            lu, lv = [], []
            for c in others:
                members = np.flatnonzero(comp == c)
                src_i, dst_j = main_tree.query_nearest(pgeoms[members], all_matches=False)
                d = shapely.distance(pgeoms[members[src_i]], pgeoms[main_idx[dst_j]])
                best = int(np.argmin(d))
                a_, b_ = int(members[src_i[best]]), int(main_idx[dst_j[best]])
                lu.append(a_)
                lv.append(b_)
                links.append((str(ids[a_]), str(ids[b_])))
            graph = UnitGraph.from_edges(
                n, np.concatenate([u, lu]), np.concatenate([v, lv]),
                np.concatenate([shared, np.zeros(len(lu))]))
            warnings.warn(
                f"{source + ': ' if source else ''}linked {len(others)} islands/components to their "
                f"nearest unit: " + ", ".join(f"{a}-{b}" for a, b in links[:5]),
                DataQualityWarning, stacklevel=2)
        else:
            warnings.warn(
                f"{source + ': ' if source else ''}the adjacency graph has {n_comp} components: "
                f"{len(others)} apart from the main one ({desc}). Fix: pass --link-islands "
                "(link_islands=True) to join each to its nearest unit"
                + ("; so many pieces suggest neighbours whose borders do not share exact vertices: "
                   "try --grid-size 0.01 (metres)" if n_comp > max(10, n // 100) else ""),
                DataQualityWarning, stacklevel=2)
    notes["island_links"] = links

    admin = _columns(gdf, admin_cols, source=source, what="admin")
    labels = _columns(gdf, label_cols, source=source, what="label")
    all_meta = dict(meta or {})
    all_meta.update(notes)
    return Territory.from_arrays(
        ids,
        comms,
        tables,
        graph,
        area=area,
        outer_border=outer,
        admin={k: normalise_ids(c, source=source, what=f"{k} code").to_numpy(dtype=object)
               for k, c in admin.items()},
        labels={k: c.astype(object).where(c.notna(), "").astype(str).to_numpy(dtype=object)
                for k, c in labels.items()},
        crs=measure_crs.to_wkt(),
        name=name,
        geometry=gpd.GeoSeries(pgeoms, crs=measure_crs),
        meta=all_meta,
    )


def _columns(gdf: pd.DataFrame, cols: Mapping[str, str] | Sequence[str], *, source: str,
             what: str) -> dict[str, pd.Series]:
    mapping = dict(cols) if isinstance(cols, Mapping) else {c: c for c in cols}
    out = {}
    for key, col in mapping.items():
        if col not in gdf.columns:
            raise InputDataError(
                f"the layer has no {what} column {col!r} (columns: {list(gdf.columns)})",
                hint=f"name an existing column for {what} level {key!r}", source=source)
        out[key] = gdf[col]
    return out


def _warn_gaps(pgeoms: np.ndarray, ids: np.ndarray, *, source: str) -> None:
    union = shapely.union_all(pgeoms)
    holes: list[shapely.Polygon] = []
    for poly in shapely.get_parts(union):
        holes.extend(shapely.Polygon(ring) for ring in poly.interiors)
    if not holes:
        return
    tree = shapely.STRtree(pgeoms)
    desc = []
    for h in sorted(holes, key=lambda h: -h.area)[:5]:
        near = tree.query(h, predicate="touches")
        if near.size == 0:
            near = tree.query(h.buffer(1.0), predicate="intersects")
        desc.append(f"{h.area / 1e6:.3f} km2 between {first_ids(ids[near].tolist(), 4)}")
    warnings.warn(
        f"{source + ': ' if source else ''}{len(holes)} gaps inside the territory (largest: "
        + "; ".join(desc)
        + "). Fix: close them in a GIS, or pass --grid-size to snap near-coincident borders",
        DataQualityWarning, stacklevel=3)
