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

from dayafter._inputs import MAX_LAYER_BYTES, check_input_file
from dayafter._util import finite
from dayafter.errors import InputDataError
from dayafter.geo.build import build_territory
from dayafter.io.atomic import atomic_path
from dayafter.io.plans import read_plans_gpkg, write_plans_gpkg
from dayafter.plan import Plan
from dayafter.territory import CensusRange, Territory

__all__ = ["Project", "read_project", "rebuild_project", "recover_journal", "write_project"]


def _q(name: str) -> str:
    """An SQL identifier, quoted (names with ``"`` in them are doubled, as SQL wants)."""
    return '"' + str(name).replace('"', '""') + '"'


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
                cols = ", ".join(f"{_q(c)} REAL NOT NULL" for c in territory.communities)
                con.execute(f"CREATE TABLE {_q(tname)} (unit_id TEXT PRIMARY KEY, {cols})")
                marks = ", ".join("?" for _ in range(territory.n_communities + 1))
                con.executemany(f"INSERT INTO {_q(tname)} VALUES ({marks})",
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


def recover_journal(path: str | Path) -> bool:
    """Finish or undo a write that a killed program left unfinished (a *hot journal*).

    SQLite keeps a rollback journal ``<file>-journal`` (or a write-ahead log ``<file>-wal``) while
    it writes; a program killed mid-write leaves it behind, and the file then cannot be read
    through a read-only connection until a read-write connection has rolled the journal back.
    The data are intact: this opens the file read-write once, which recovers it.

    Returns
    -------
    bool
        True when a journal was found and the file was recovered.

    Raises
    ------
    InputDataError
        The journal cannot be rolled back (no write access to the file or its folder); the message
        names the journal and the fix, never "not a project".
    """
    p = Path(path)
    journals = [q for q in (Path(f"{p}-journal"), Path(f"{p}-wal")) if q.exists() and q.stat().st_size > 0]
    if not journals:
        return False
    try:
        con = sqlite3.connect(p, isolation_level=None, timeout=10.0)
        try:
            con.execute("BEGIN IMMEDIATE")  # takes the write lock: a hot journal is rolled back first
            con.execute("SELECT count(*) FROM sqlite_master").fetchone()
            con.execute("COMMIT")
            if Path(f"{p}-wal").exists():
                con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            con.close()
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise InputDataError("another program is writing the project (it is locked)",
                                 hint="wait until it has finished, or close it, and retry",
                                 source=str(p)) from None
        raise InputDataError(
            f"the project has an unfinished write ({journals[0].name}, left by a program that "
            f"stopped mid-write) and cannot be recovered here ({exc}); its data are intact",
            hint=f"give dayafter write access to {p.parent} once (or copy {p.name} and "
            f"{journals[0].name} together to a writable folder and open the copy); do not rebuild it",
            source=str(p)) from None
    except sqlite3.DatabaseError:
        return False  # not SQLite at all: the reader says so
    return True


def read_project(path: str | Path) -> Project:
    """Read a project GeoPackage written by :func:`write_project` (territory re-measured, checked).

    A write left unfinished by a killed program (a hot SQLite journal) is recovered first
    (:func:`recover_journal`); a file that is not SQLite, a GeoPackage without dayafter's tables
    and a locked file get different messages.
    """
    p = Path(path)
    src = str(p)
    if not p.exists():
        raise InputDataError("file not found", hint="check the path", source=src)
    check_input_file(p, what="project", max_bytes=MAX_LAYER_BYTES, allow_empty=False)
    recover_journal(p)
    try:
        con = sqlite3.connect(f"file:{p}?mode=ro", uri=True, timeout=10.0)
        try:
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if "dayafter_meta" not in tables:
                raise InputDataError(
                    "a GeoPackage (SQLite file) but not a dayafter project: it has no dayafter_meta table",
                    hint="build a project from it with 'dayafter territory build FILE --id-col ... "
                    "--out PROJECT.gpkg'", source=src)
            meta = {k: json.loads(v) for k, v in con.execute("SELECT key, value FROM dayafter_meta")}
            if meta.get("format") not in (None, "dayafter.project") or not isinstance(meta.get("censuses"), list):
                raise InputDataError("the project's dayafter_meta table is incomplete or of another format",
                                     hint="rebuild the project with 'dayafter territory build'", source=src)
            censuses = {c: pd.read_sql_query(f"SELECT * FROM {_q('census_' + c)}", con).set_index("unit_id")
                        for c in meta["censuses"]}
            range_tables = {c: pd.read_sql_query(f"SELECT * FROM {_q('ranges_' + c)}", con)
                            for c in meta.get("ranges", [])}
        finally:
            con.close()
    except InputDataError:
        raise
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise InputDataError("another program is writing the project (it is locked)",
                                 hint="wait until it has finished, or close it, and retry", source=src) from None
        raise InputDataError(f"cannot read the project ({exc})",
                             hint="check the file (a copy of it, opened in QGIS, shows what is missing)",
                             source=src) from None
    except sqlite3.DatabaseError as exc:  # "file is not a database": not SQLite at all
        raise InputDataError(f"not a dayafter project GeoPackage ({exc})",
                             hint="create one with 'dayafter territory build ... --out FILE.gpkg'",
                             source=src) from None
    except (KeyError, TypeError, ValueError) as exc:
        raise InputDataError(f"the project's tables are incomplete ({type(exc).__name__}: {exc})",
                             hint="rebuild the project with 'dayafter territory build'", source=src) from None
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


def rebuild_project(territory: Territory, path: str | Path, *, keep_plans: bool = False,
                    overwrite: bool = False, inputs: Sequence[str | Path] = ()) -> list[str]:
    """Write ``territory`` as a project at ``path`` without losing what is there by mistake.

    Parameters
    ----------
    territory
        The territory just built.
    path
        The project file.
    keep_plans
        When ``path`` is a project with saved plans: carry them over to the new territory (matched
        by unit id; a plan naming a unit the new territory lacks is an error naming it).
    overwrite
        Replace whatever is at ``path`` (saved plans are lost).
    inputs
        The files the territory was built from: writing over one of them is always refused.

    Returns
    -------
    list of str
        The names of the plans carried over.

    Raises
    ------
    InputDataError
        ``path`` is one of the inputs, is not a project (and ``overwrite`` is False), or holds saved
        plans (and neither ``keep_plans`` nor ``overwrite`` is given). Nothing is written then.
    """
    p = Path(path)
    for f in inputs:
        fp = Path(f)
        if fp.exists() and p.exists() and fp.resolve() == p.resolve():
            raise InputDataError("the output is one of the input files: writing it would destroy the input",
                                 hint="choose another --out", source=str(p))
    if not p.exists():
        write_project(territory, p)
        return []
    if p.is_dir():
        raise InputDataError("the output is a folder", hint="give a file name ending in .gpkg", source=str(p))
    if overwrite:
        write_project(territory, p)
        return []
    try:
        recover_journal(p)
        con = sqlite3.connect(f"file:{p}?mode=ro", uri=True, timeout=10.0)
        try:
            tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            names = ([r[0] for r in con.execute("SELECT name FROM plans ORDER BY name")]
                     if "plans" in tables else [])
        finally:
            con.close()
    except sqlite3.DatabaseError:
        tables, names = set(), []
    if "dayafter_meta" not in tables:
        raise InputDataError("the output file exists and is not a dayafter project",
                             hint="choose another --out, or pass --overwrite to replace it", source=str(p))
    if names and not keep_plans:
        shown = ", ".join(repr(n) for n in names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
        raise InputDataError(
            f"the project already holds {len(names)} saved plans ({shown}); rebuilding it would drop them",
            hint="pass --keep-plans to carry them over to the new territory (matched by unit id), "
            "--overwrite to replace the project, or choose another --out", source=str(p))
    kept: list[Plan] = []
    if names:
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # units new in the territory stay unassigned
            kept = list(read_plans_gpkg(p, territory, rebind=True).values())
    write_project(territory, p, plans=kept)
    return [k.name for k in kept]


def _write_ranges(con: sqlite3.Connection, cname: str, r: CensusRange, territory: Territory) -> None:
    """Table ``ranges_<census>``: unit_id, ``<community>_low/_high/_status``, ``total_*``."""
    tname = f"ranges_{cname}"
    comms = territory.communities
    cols = ["unit_id TEXT PRIMARY KEY"]
    for c in comms:
        cols += [f"{_q(c + '_low')} REAL", f"{_q(c + '_high')} REAL", f"{_q(c + '_status')} TEXT"]
    cols += ['"total_low" REAL', '"total_high" REAL', '"total_status" TEXT']
    con.execute(f"CREATE TABLE {_q(tname)} ({', '.join(cols)})")

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
    con.executemany(f"INSERT INTO {_q(tname)} VALUES ({marks})", rows)
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
