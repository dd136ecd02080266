"""A project is one GeoPackage: layer ``units``, tables ``census_<name>``, plans and metadata."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from dayafter._util import finite
from dayafter.errors import InputDataError
from dayafter.geo.build import build_territory
from dayafter.io.atomic import atomic_path
from dayafter.io.plans import read_plans_gpkg, write_plans_gpkg
from dayafter.plan import Plan
from dayafter.territory import CensusRange, Territory

__all__ = ["Project", "read_project", "write_project"]


@dataclass(frozen=True)
class Project:
    """A territory and its saved plans."""

    territory: Territory
    plans: dict[str, Plan] = field(default_factory=dict)


def write_project(territory: Territory, path: str | Path, *, plans: Sequence[Plan] = ()) -> None:
    """Write a new project GeoPackage (temporary file, then rename: an old file stays intact on error)."""
    if territory.geometry is None:
        raise InputDataError("the territory has no geometry to save",
                             hint="build it from a polygon layer first")
    gdf = gpd.GeoDataFrame(
        {"unit_id": territory.unit_ids.astype(str)}, geometry=territory.geometry.values,
        crs=territory.geometry.crs)
    for level, codes in territory.admin.items():
        gdf[f"admin_{level}"] = codes.astype(str)
    for key, vals in territory.labels.items():
        gdf[f"label_{key}"] = vals.astype(str)
    meta = {
        "format": "dayafter.project", "version": 1, "name": territory.name,
        "communities": list(territory.communities), "censuses": list(territory.census_names),
        "admin": list(territory.admin), "labels": list(territory.labels),
        "content_hash": territory.content_hash,
        "island_links": [list(x) for x in territory.meta.get("island_links", [])],
        "ranges": list(territory.ranges),
        "range_readings": {c: r.community_ranges for c, r in territory.ranges.items()},
    }
    with atomic_path(path, suffix=".gpkg") as tmp:
        pyogrio.write_dataframe(gdf, tmp, layer="units", driver="GPKG")
        con = sqlite3.connect(tmp, isolation_level=None)
        try:
            con.execute("BEGIN")
            for cname, table in territory.censuses.items():
                tname = f"census_{cname}"
                cols = ", ".join(f'"{c}" REAL NOT NULL' for c in territory.communities)
                con.execute(f'CREATE TABLE "{tname}" (unit_id TEXT PRIMARY KEY, {cols})')
                marks = ", ".join("?" for _ in range(territory.n_communities + 1))
                con.executemany(f'INSERT INTO "{tname}" VALUES ({marks})',
                                [(u, *map(float, row)) for u, row in
                                 zip(territory.unit_ids.tolist(), table, strict=True)])
                con.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier) "
                            "VALUES (?, 'attributes', ?)", (tname, tname))
            for cname, r in territory.ranges.items():  # optional: each figure's low and high
                _write_ranges(con, cname, r, territory)
            con.execute("CREATE TABLE dayafter_meta (key TEXT PRIMARY KEY, value TEXT)")
            con.executemany("INSERT INTO dayafter_meta VALUES (?, ?)",
                            [(k, json.dumps(v)) for k, v in meta.items()])
            con.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier) "
                        "VALUES ('dayafter_meta', 'attributes', 'dayafter_meta')")
            con.execute("COMMIT")
        finally:
            con.close()
        if plans:
            write_plans_gpkg(list(plans), territory, tmp)


def read_project(path: str | Path) -> Project:
    """Read a project GeoPackage written by :func:`write_project` (territory re-measured, checked)."""
    p = Path(path)
    src = str(p)
    if not p.exists():
        raise InputDataError("file not found", hint="check the path", source=src)
    try:
        con = sqlite3.connect(f"file:{p}?mode=ro", uri=True)
        try:
            meta = {k: json.loads(v) for k, v in con.execute("SELECT key, value FROM dayafter_meta")}
            censuses = {c: pd.read_sql_query(f'SELECT * FROM "census_{c}"', con).set_index("unit_id")
                        for c in meta["censuses"]}
            range_tables = {c: pd.read_sql_query(f'SELECT * FROM "ranges_{c}"', con)
                            for c in meta.get("ranges", [])}
        finally:
            con.close()
    except (sqlite3.DatabaseError, KeyError) as exc:
        raise InputDataError(f"not a dayafter project GeoPackage ({exc})",
                             hint="create one with 'dayafter territory build ... --out FILE.gpkg'",
                             source=src) from None
    try:
        gdf = pyogrio.read_dataframe(p, layer="units")
    except Exception as exc:
        raise InputDataError(f"cannot read the units layer ({exc})", source=src) from None
    links = meta.get("island_links") or []
    territory = build_territory(
        gdf, id_col="unit_id",
        censuses={c: t[meta["communities"]] for c, t in censuses.items()},
        admin_cols={lvl: f"admin_{lvl}" for lvl in meta["admin"]},
        label_cols={key: f"label_{key}" for key in meta["labels"]},
        name=meta.get("name", p.stem), source=src, link_islands=bool(links), check_coverage=False,
    )
    if territory.content_hash != meta.get("content_hash"):
        raise InputDataError(
            "the project's units or censuses changed since it was written (content hash differs)",
            hint="rebuild the project with 'dayafter territory build'", source=src)
    if range_tables:
        territory = territory.with_ranges(
            {c: _read_ranges(df, territory, c, f"{src} (table ranges_{c})",
                             (meta.get("range_readings") or {}).get(c, "composition"))
             for c, df in range_tables.items()})
    return Project(territory, read_plans_gpkg(p, territory))


def _write_ranges(con: sqlite3.Connection, cname: str, r: CensusRange, territory: Territory) -> None:
    """Table ``ranges_<census>``: unit_id, ``<community>_low/_high/_status``, ``total_*``."""
    tname = f"ranges_{cname}"
    comms = territory.communities
    cols = ["unit_id TEXT PRIMARY KEY"]
    for c in comms:
        cols += [f'"{c}_low" REAL', f'"{c}_high" REAL', f'"{c}_status" TEXT']
    cols += ['"total_low" REAL', '"total_high" REAL', '"total_status" TEXT']
    con.execute(f'CREATE TABLE "{tname}" ({", ".join(cols)})')

    rows = []
    for i, u in enumerate(territory.unit_ids.tolist()):
        row: list[object] = [u]
        for j in range(len(comms)):
            row += [finite(r.low[i, j]), finite(r.high[i, j]),
                    str(r.status[i, j]) if r.status is not None else ""]
        row += [finite(r.total_low[i]), finite(r.total_high[i]),
                str(r.total_status[i]) if r.total_status is not None else ""]
        rows.append(tuple(row))
    marks = ", ".join("?" for _ in range(len(rows[0])))
    con.executemany(f'INSERT INTO "{tname}" VALUES ({marks})', rows)
    con.execute("INSERT INTO gpkg_contents (table_name, data_type, identifier) "
                "VALUES (?, 'attributes', ?)", (tname, tname))


def _read_ranges(df: pd.DataFrame, territory: Territory, cname: str, source: str,
                 reading: str = "composition") -> CensusRange:
    """Inverse of :func:`_write_ranges` (checked like any ranges)."""
    comms = territory.communities
    idx = territory.index(df["unit_id"].astype(str).tolist(), source=source)
    n, g = territory.n_units, len(comms)

    def col(name: str) -> np.ndarray:
        return pd.to_numeric(df[name], errors="coerce").to_numpy(dtype=float)

    low = np.full((n, g), np.nan)
    high = np.full((n, g), np.nan)
    st = np.full((n, g), "", dtype=object)
    for j, c in enumerate(comms):
        low[idx, j], high[idx, j] = col(f"{c}_low"), col(f"{c}_high")
        st[idx, j] = df[f"{c}_status"].fillna("").astype(str).to_numpy(dtype=object)
    tl = np.full(n, np.nan)
    th = np.full(n, np.nan)
    ts = np.full(n, "", dtype=object)
    tl[idx], th[idx] = col("total_low"), col("total_high")
    ts[idx] = df["total_status"].fillna("").astype(str).to_numpy(dtype=object)
    r = CensusRange(low, high, tl, th, st, ts, source=source, community_ranges=reading)
    r.check(territory.census(cname), territory.unit_ids, cname)
    return r
