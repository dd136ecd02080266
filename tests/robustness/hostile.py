"""The hostile-input corpus as data: each case is a command line, the files it needs (built in a
temporary folder), the exit code expected and fragments of the one-line message.

Used by ``test_hostile_corpus.py`` (every case in process through ``run_guarded``, a sample in
subprocesses). The cases are new beyond ``test_bad_input_corpus.py``: special and oversized files
in every slot that takes a file, bounds on every count, names that break SQL, CRS mistakes,
unknown ids, and output that must stay clean.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
from shapely.geometry import box

IDS = [f"U{i}{j}" for i in range(3) for j in range(3)]
CASE_UNIT = "IQG15Q07N03"  # a unit of the built-in case (Sinjar); its census figures are not used


@dataclass
class Case:
    """One hostile input.

    ``setup(tmp)`` writes the files and returns the arguments; ``code`` is the exit code expected,
    ``needles`` fragments of the error line; ``names`` the substrings one of which the line must
    hold (the file or the option at fault; default: a file of ``tmp`` named in the arguments);
    ``untouched`` files (relative to tmp) whose bytes must not change; ``absent`` files that must
    not exist afterwards.
    """

    name: str
    setup: Callable[[Path], list[str]]
    code: int = 3
    needles: tuple[str, ...] = ()
    names: tuple[str, ...] | None = None
    untouched: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()
    subprocess: bool = False


# ------------------------------------------------------------------------------------ builders


def grid(n: int = 3, *, scale: float = 0.1, x0: float = 44.0, y0: float = 36.0, crs: object = 4326,
         cols: tuple[str, str] = ("a", "b")) -> gpd.GeoDataFrame:
    recs = []
    for i in range(n):
        for j in range(n):
            recs.append({"uid": f"U{i}{j}",
                         "geometry": box(x0 + j * scale, y0 + i * scale, x0 + (j + 1) * scale, y0 + (i + 1) * scale),
                         cols[0]: 10.0 + i, cols[1]: 5.0 + j, "gov": "G1" if j < 2 else "G2"})
    return gpd.GeoDataFrame(recs, crs=crs)


def geojson(tmp: Path, gdf: gpd.GeoDataFrame | None = None, name: str = "units.geojson") -> Path:
    p = tmp / name
    (gdf if gdf is not None else grid()).to_file(p, driver="GeoJSON")
    return p


def gpkg(tmp: Path, gdf: gpd.GeoDataFrame, name: str = "units.gpkg") -> Path:
    p = tmp / name
    gdf.to_file(p, driver="GPKG", layer="units")
    return p


def raw(tmp: Path, name: str, content: bytes | str) -> Path:
    p = tmp / name
    p.write_bytes(content.encode() if isinstance(content, str) else content)
    return p


_PROJECTS: dict[str, bytes] = {}


def project(tmp: Path, name: str = "proj.gpkg", *, plans: bool = False) -> Path:
    """A 3x3 project (communities a, b; admin gov), optionally with a saved plan 'saved'."""
    key = f"{plans}"
    out = tmp / name
    if key not in _PROJECTS:
        from dayafter.geo import build_territory
        from dayafter.io import write_project
        from dayafter.io.plans import read_plan

        t = build_territory(grid(), id_col="uid", censuses={"now": {"a": "a", "b": "b"}},
                            admin_cols={"gov": "gov"}, name="g")
        src = tmp / f".build-{key}.gpkg"
        saved = []
        if plans:
            pj = plan_json(tmp, name=".saved.json")
            import dataclasses

            saved = [dataclasses.replace(read_plan(pj, t), name="saved")]
        write_project(t, src, plans=saved)
        _PROJECTS[key] = src.read_bytes()
        src.unlink()
    out.write_bytes(_PROJECTS[key])
    return out


GOOD_PLAN = {"format": "dayafter.plan", "version": 2, "name": "p",
             "regions": [{"name": "A", "authority": "federal"}, {"name": "B", "authority": "krg"}],
             "assignment": {u: ("A" if u[2] in "01" else "B") for u in IDS}}


def plan_json(tmp: Path, data: dict | None = None, name: str = "plan.json") -> Path:
    return raw(tmp, name, json.dumps(data if data is not None else GOOD_PLAN))


def plan_csv(tmp: Path, name: str = "plan.csv") -> Path:
    return raw(tmp, name, "unit_id,region\n" + "".join(f"{u},{1 if u[2] in '01' else 2}\n" for u in IDS))


# --------------------------------------------------------------------- bad kinds of file

SPARSE_TABLE = 600 * 2**20  # over the 512 MiB table limit (a sparse file: no disk used)
SPARSE_SPEC = 17 * 2**20  # over the 16 MiB spec limit
SPARSE_LAYER = 9 * 2**30  # over the 8 GiB layer limit


def _sparse(p: Path, size: int) -> Path:
    with open(p, "wb") as fh:
        fh.truncate(size)
    return p


def bad_file(kind: str, tmp: Path, name: str, *, big: int = SPARSE_TABLE) -> Path:
    """A file of a bad ``kind`` named ``name`` in ``tmp`` (created as that kind)."""
    p = tmp / name
    if kind == "missing":
        return p
    if kind == "folder":
        p.mkdir()
        (p / "inside.txt").write_text("x")
        return p
    if kind == "fifo":
        os.mkfifo(p)
        return p
    if kind == "devzero":
        p.symlink_to("/dev/zero")
        return p
    if kind == "empty":
        p.write_bytes(b"")
        return p
    if kind == "latin1":
        p.write_bytes("unit_id,caf\xe9\n\xe9t\xe9,1\n".encode("latin-1"))
        return p
    if kind == "binary":
        p.write_bytes(bytes(range(256)) * 8)
        return p
    if kind == "oversized":
        return _sparse(p, big)
    raise ValueError(kind)


KIND_NEEDLES = {
    "missing": ("not found",),
    "folder": ("folder",),
    "fifo": ("pipe",),
    "devzero": ("device",),
    "oversized": ("MiB",),
    "latin1": ("UTF-8",),
    "empty": (),
    "binary": (),
}


@dataclass
class Slot:
    """A place on a command line that takes a file: ``args(tmp, path)`` builds the command."""

    name: str
    filename: str
    args: Callable[[Path, Path], list[str]]
    big: int = SPARSE_TABLE
    kinds: tuple[str, ...] = tuple(KIND_NEEDLES)
    needles: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Needles replacing the kind's default (a binary project is 'not a project', not 'not UTF-8')."""


def _case_args(*cmd: str) -> Callable[[Path, Path], list[str]]:
    return lambda tmp, p: [*cmd, str(p)]


SLOTS: list[Slot] = [
    Slot("plan-file", "p.json", lambda t, p: ["plan", "evaluate", str(p), "--project", str(project(t))]),
    Slot("plan-csv", "p.csv", lambda t, p: ["plan", "evaluate", str(p), "--project", str(project(t))]),
    Slot("criteria", "crit.yaml", lambda t, p: ["plan", "evaluate", str(plan_json(t)), "--project",
                                                str(project(t)), "--criteria", str(p)], big=SPARSE_SPEC),
    Slot("project", "proj.gpkg", lambda t, p: ["plan", "evaluate", "x.json", "--project", str(p)],
         big=SPARSE_LAYER, needles={"latin1": ("not a dayafter project",), "binary": ("not a dayafter project",)}),
    Slot("layer", "units.geojson", lambda t, p: ["territory", "build", str(p), "--id-col", "uid",
                                                 "--communities", "a,b"], big=SPARSE_LAYER,
         needles={"latin1": ("cannot read the layer",), "binary": ("cannot read the layer",)}),
    Slot("census-table", "census.csv", lambda t, p: ["territory", "build", str(geojson(t)), "--id-col", "uid",
                                                     "--census", f"now={p}"]),
    Slot("votes", "votes.csv", lambda t, p: ["councils", "apportion", str(p), "--seats", "5"]),
    Slot("council-rules", "rules.yaml", lambda t, p: ["councils", "simulate", str(plan_json(t)), "--project",
                                                      str(project(t)), "--rules", str(p)], big=SPARSE_SPEC),
    Slot("optimize-spec", "spec.yaml", lambda t, p: ["optimize", "run", str(p), "--project", str(project(t))],
         big=SPARSE_SPEC),
    Slot("ensemble-constraints", "cons.yaml",
         lambda t, p: ["ensemble", "run", "--project", str(project(t)), "--plan", str(plan_json(t)),
                       "--steps", "5", "--chains", "1", "--constraints", str(p), "--out", str(t / "run")],
         big=SPARSE_SPEC),
    Slot("settle-values", "values.csv", _case_args("settle", "run", "--values")),
    Slot("settle-parties", "parties.json", _case_args("settle", "run", "--parties"), big=SPARSE_SPEC),
    Slot("settle-resources", "res.csv", _case_args("settle", "run", "--resources")),
    Slot("security-forces", "forces.json", _case_args("security", "run", "--forces"), big=SPARSE_SPEC),
    Slot("security-multipliers", "mult.csv", _case_args("security", "run", "--multipliers")),
    Slot("ranges", "ranges.csv", lambda t, p: ["plan", "evaluate", str(plan_json(t)), "--project", str(project(t)),
                                               "--ranges", str(p), "--draws", "10"]),
    Slot("claims-table", "claims.csv", _case_args("claims", "adjudicate", "--table")),
    Slot("claims-rules", "rules.json", _case_args("claims", "adjudicate", "--rules"), big=SPARSE_SPEC),
    Slot("report-criteria", "crit.json",
         lambda t, p: ["report", str(plan_json(t)), "--project", str(project(t)), "--criteria", str(p),
                       "--out", str(t / "r.html"), "--no-maps"], big=SPARSE_SPEC),
]


def slot_cases() -> list[Case]:
    out = []
    for slot in SLOTS:
        for kind in slot.kinds:
            def setup(tmp: Path, slot: Slot = slot, kind: str = kind) -> list[str]:
                p = bad_file(kind, tmp, slot.filename, big=slot.big)
                return slot.args(tmp, p)
            out.append(Case(f"{slot.name}-{kind}", setup, 3, slot.needles.get(kind, KIND_NEEDLES[kind]),
                            names=(slot.filename,)))
    return out


def all_cases() -> list[Case]:
    return slot_cases()
