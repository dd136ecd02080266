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
    verify: Callable[[Path], None] | None = None
    """For cases that must succeed (exit 0): a check of what they wrote."""


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


# ------------------------------------------------------------------------- semantic cases

BOMB = "".join(f"{c}: &{c} [" + ",".join([f"*{p}"] * 9) + "]\n" for p, c in zip("abcdefg", "bcdefgh", strict=True))
BOMB = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n' + BOMB


def _bomb(tmp: Path, name: str, tail: str) -> Path:
    return raw(tmp, name, BOMB + tail)


def _tiny(*cmd: str, plan: bool = True) -> Callable[[Path], list[str]]:
    """A command on the 3x3 project (with the plan file as first argument after the command)."""
    def setup(tmp: Path) -> list[str]:
        head = [*cmd[:2]]
        if plan:
            head.append(str(plan_json(tmp)))
        return [*head, "--project", str(project(tmp)), *cmd[2:]]
    return setup


def _spec(text: str, *extra: str, cmd: str = "run") -> Callable[[Path], list[str]]:
    def setup(tmp: Path) -> list[str]:
        return ["optimize", cmd, str(raw(tmp, "spec.yaml", text)), "--project", str(project(tmp)), *extra]
    return setup


def _build(gdf_fn: Callable[[], gpd.GeoDataFrame], *extra: str, fmt: str = "gpkg",
           communities: str = "a,b") -> Callable[[Path], list[str]]:
    def setup(tmp: Path) -> list[str]:
        layer = gpkg(tmp, gdf_fn()) if fmt == "gpkg" else geojson(tmp, gdf_fn())
        return ["territory", "build", str(layer), "--id-col", "uid", "--communities", communities, *extra]
    return setup


def _votes(text: str, *extra: str) -> Callable[[Path], list[str]]:
    return lambda tmp: ["councils", "apportion", str(raw(tmp, "votes.csv", text)), *extra]


VOTES = "list,votes,community,race\nA,1000,,\nB,500,,\nC,200,christian,christian\n"
SPEC_OK = "regions: 2\nmaximize:\n  - {metric: empowerment_plurality, communities: [a]}\n"


def _ens(*extra: str) -> Callable[[Path], list[str]]:
    def setup(tmp: Path) -> list[str]:
        return ["ensemble", "run", "--project", str(project(tmp)), "--plan", str(plan_json(tmp)),
                "--out", str(tmp / "run"), "--no-progress", "--tolerance", "0.5", *extra]
    return setup


def _csv_case(cmd: list[str], option: str, name: str, text: str) -> Callable[[Path], list[str]]:
    return lambda tmp: [*cmd, option, str(raw(tmp, name, text))]


def _report(*extra: str) -> Callable[[Path], list[str]]:
    def setup(tmp: Path) -> list[str]:
        return ["report", str(plan_json(tmp)), "--project", str(project(tmp)), "--no-maps",
                "--out", str(tmp / "r.html"), *extra]
    return setup


def _reopens(name: str, community: str | None = None) -> Callable[[Path], None]:
    """The project written opens again (and has ``community``)."""
    def verify(tmp: Path) -> None:
        from dayafter.io.project import read_project

        t = read_project(tmp / name).territory
        assert t.n_units == 9
        if community is not None:
            assert community in t.communities, t.communities
    return verify


def _quoted_community(tmp: Path) -> list[str]:
    return ["territory", "build", str(geojson(tmp, grid(cols=('sun"ni', "b")))), "--id-col", "uid",
            "--communities", 'sun"ni,b', "--out", str(tmp / "q.gpkg"), "--json"]


def _other_project_export(tmp: Path) -> list[str]:
    from dayafter.geo import build_territory
    from dayafter.io import write_project

    other = build_territory(grid(4), id_col="uid", censuses={"now": {"a": "a", "b": "b"}}, name="four")
    write_project(other, tmp / "other.gpkg")
    return ["plan", "export", str(plan_json(tmp)), "--project", str(project(tmp)), "--out", str(tmp / "other.gpkg")]


def _rebuild_over_plans(tmp: Path) -> list[str]:
    project(tmp, "proj.gpkg", plans=True)
    return ["territory", "build", str(geojson(tmp)), "--id-col", "uid", "--communities", "a,b",
            "--out", str(tmp / "proj.gpkg")]


def _hot_journal(tmp: Path) -> list[str]:
    """A project whose last write was killed: a hot journal beside it; evaluating must work, so the
    case expects the plan's own error (a region the plan does not define), not 'not a project'."""
    import sqlite3
    import subprocess
    import sys

    proj = project(tmp)
    code = ("import sqlite3, os, sys\n"
            "con = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
            "con.execute('BEGIN IMMEDIATE')\n"
            "con.execute('CREATE TABLE junk (x BLOB)')\n"
            "[con.execute('INSERT INTO junk VALUES (?)', (b'x' * 4000,)) for _ in range(500)]\n"
            "con.execute('DELETE FROM dayafter_meta')\n"
            "os._exit(0)\n")
    subprocess.run([sys.executable, "-c", code, str(proj)], check=True)
    assert (tmp / "proj.gpkg-journal").exists()
    del sqlite3
    bad = {**GOOD_PLAN, "assignment": {**GOOD_PLAN["assignment"], "U00": "Z"}}
    return ["plan", "evaluate", str(plan_json(tmp, bad)), "--project", str(proj)]


SEMANTIC: list[Case] = [
    # --- bounds: counts from the command line
    Case("seats-trillion", _votes(VOTES, "--seats", "1000000000000"), 3, ("seats",), names=("--seats", "seats")),
    Case("seats-negative", _votes(VOTES, "--seats", "-5"), 3, ("seats",), names=("seats",)),
    Case("min-seats-billion", _votes(VOTES, "--seats", "5", "--min-seats", "1000000000"), 3, ("seats",),
         names=("seats",)),
    Case("reserved-trillion", _votes(VOTES, "--seats", "5", "--reserved", "christian=1000000000000"), 3,
         ("seats",), names=("reserved", "seats")),
    Case("council-size-trillion", _tiny("councils", "simulate", "--size", "1000000000000"), 3, ("seats",),
         names=("size", "seats")),
    Case("residents-per-seat-tiny", _tiny("councils", "simulate", "--residents-per-seat", "1e-9"), 3,
         ("seats",), names=("residents", "seats")),
    Case("council-draws-billion", _tiny("councils", "simulate", "--size", "5", "--draws", "1000000000"), 3,
         ("--draws",), names=("--draws",)),
    Case("evaluate-draws-billion", _tiny("plan", "evaluate", "--draws", "1000000000"), 3, ("--draws",),
         names=("--draws",)),
    Case("evaluate-draws-negative", _tiny("plan", "evaluate", "--draws", "-1"), 3, ("--draws",), names=("--draws",)),
    Case("compare-draws-billion", _tiny("plan", "compare", "--draws", "1000000000"), 3, ("--draws",),
         names=("--draws",)),
    Case("ensemble-steps-huge", _ens("--steps", "10000000000000", "--chains", "1"), 3, ("steps",), names=("steps",)),
    Case("ensemble-chains-million", _ens("--steps", "5", "--chains", "1000000"), 3, ("chains",), names=("chains",)),
    Case("ensemble-thin-storage", _ens("--steps", "900000000", "--chains", "8", "--thin", "1"), 3,
         ("GiB",), names=("--thin", "thin")),
    Case("ensemble-regions-billion", lambda t: ["ensemble", "run", "--project", str(project(t)), "--regions",
                                                "1000000000", "--out", str(t / "run"), "--steps", "5"], 3,
         ("regions",), names=("regions",)),
    Case("ensemble-tree-attempts-huge", _ens("--steps", "5", "--chains", "1", "--max-tree-attempts",
                                             "1000000000000000"), 3, ("max_tree_attempts",),
         names=("max_tree_attempts", "tree")),
    Case("ensemble-checkpoint-zero", _ens("--steps", "5", "--chains", "1", "--checkpoint-every", "0"), 3,
         ("checkpoint_every",), names=("checkpoint",)),
    Case("optimize-regions-billion", _spec("regions: 1000000000\nmaximize:\n  - {metric: empowerment_plurality, communities: [a]}\n"),
         3, ("regions",)),
    Case("optimize-regions-zero", _spec(SPEC_OK.replace("regions: 2", "regions: 0")), 3, ("regions",)),
    Case("optimize-regions-negative", _spec(SPEC_OK.replace("regions: 2", "regions: -3")), 3, ("regions",)),
    Case("optimize-regions-text", _spec(SPEC_OK.replace("regions: 2", "regions: many")), 3, ("regions",)),
    Case("optimize-regions-float", _spec(SPEC_OK.replace("regions: 2", "regions: 2.5")), 3, ("regions",)),
    Case("optimize-regions-over-units", _spec(SPEC_OK.replace("regions: 2", "regions: 12")), 3, ("regions", "9 units")),
    Case("optimize-steps-huge", _spec(SPEC_OK, "--method", "anneal", "--steps", "10000000000000"), 3, ("steps",),
         names=("steps",)),
    Case("optimize-restarts-huge", _spec(SPEC_OK, "--method", "anneal", "--restarts", "1000000000"), 3,
         ("restarts",), names=("restarts",)),
    Case("optimize-time-negative", _spec(SPEC_OK, "--time-limit", "-1"), 3, ("time",), names=("time",)),
    Case("pareto-points-huge", _spec(SPEC_OK + "second: {minimize: [{metric: cut_edges}]}\n", "--max-points",
                                     "1000000000", cmd="pareto"), 3, ("points",), names=("points",)),
    Case("pareto-weights-huge", _spec(SPEC_OK + "second: {minimize: [{metric: cut_edges}]}\n", "--method", "anneal",
                                      "--weights", "1000000000", cmd="pareto"), 3, ("weights",), names=("weights",)),
    Case("returns-draws-billion", lambda t: ["returns", "project", "--draws", "1000000000"], 3, ("draws",),
         names=("draws",)),
    Case("referendum-draws-billion", lambda t: ["referendum", "run", "--draws", "1000000000"], 3, ("draws",),
         names=("draws",)),
    Case("sequence-draws-billion", lambda t: ["sequence", "run", "--draws", "1000000000"], 3, ("draws",),
         names=("draws",)),
    Case("report-draws-billion", _report("--draws", "1000000000"), 3, ("draws",), names=("draws",),
         absent=("r.html",)),
    Case("returns-horizon-huge", lambda t: ["returns", "project", "--horizon", "1e300", "--draws", "0"], 3,
         ("horizon",), names=("horizon",)),
    # --- bounds: sizes and depth inside files
    Case("criteria-alias-bomb", lambda t: ["plan", "evaluate", str(plan_json(t)), "--project", str(project(t)),
                                           "--criteria", str(_bomb(t, "crit.yaml", "criteria: []\n"))], 3,
         ("expands to more than",)),
    Case("optimize-alias-bomb", lambda t: ["optimize", "run", str(_bomb(t, "spec.yaml", SPEC_OK)), "--project",
                                           str(project(t))], 3, ("expands to more than",)),
    Case("constraints-alias-bomb", lambda t: _ens("--steps", "5", "--chains", "1", "--constraints",
                                                  str(_bomb(t, "cons.yaml", "tolerance: 0.5\n")))(t), 3,
         ("expands to more than",)),
    Case("rules-alias-bomb", lambda t: _tiny("councils", "simulate", "--rules",
                                             str(_bomb(t, "rules.yaml", "size: 5\n")))(t), 3, ("expands to more than",)),
    Case("criteria-self-reference", lambda t: ["plan", "evaluate", str(plan_json(t)), "--project", str(project(t)),
                                               "--criteria", str(raw(t, "crit.yaml", "criteria: &c [*c]\n"))], 3,
         ("refers to itself",)),
    Case("plan-deep-json", lambda t: ["plan", "evaluate", str(raw(t, "p.json", "[" * 100000 + "]" * 100000)),
                                      "--project", str(project(t))], 3, ("nested",)),
    Case("plan-json-nested-65", lambda t: ["plan", "evaluate", str(raw(t, "p.json", '{"a":' * 65 + "1" + "}" * 65)),
                                           "--project", str(project(t))], 3, ("nested",)),
    Case("plan-json-huge-integer", lambda t: ["plan", "evaluate", str(raw(
        t, "p.json", json.dumps({**GOOD_PLAN, "version": 1}).replace('"version": 1', '"version": ' + "9" * 5000))),
        "--project", str(project(t))], 3, ("value",)),
    Case("forces-deep-json", _csv_case(["security", "run"], "--forces", "forces.json", "[" * 5000 + "]" * 5000), 3,
         ("nested",)),
    Case("criteria-json-deep", lambda t: ["plan", "evaluate", str(plan_json(t)), "--project", str(project(t)),
                                          "--criteria", str(raw(t, "crit.json", "[" * 3000 + "]" * 3000))], 3,
         ("nested",)),
    Case("plan-csv-nul-bytes", lambda t: ["plan", "evaluate", str(raw(t, "p.csv", "U00,1\x00\nU01,2\n")),
                                          "--project", str(project(t))], 3, ()),
    Case("plan-csv-unclosed-quote", lambda t: ["plan", "evaluate", str(raw(t, "p.csv", 'U00,"1\nU01,2\n' + "x" * 200000)),
                                               "--project", str(project(t))], 3, ()),
    Case("districtr-float-parts", lambda t: ["plan", "evaluate", str(raw(t, "d.json", '{"assignment": {"U00": 1e300}}')),
                                             "--project", str(project(t))], 3, ()),
    Case("votes-nul-bytes", _votes("list,votes\nA,10\x00\nB,5\n", "--seats", "5"), 3, ()),
    Case("votes-huge-number", _votes("list,votes\nA," + "9" * 5000 + "\nB,5\n", "--seats", "5"), 3, ()),
    Case("threshold-nan", _tiny("plan", "evaluate", "--threshold", "nan"), 3, ("threshold",), names=("threshold",)),
    Case("threshold-inf", _tiny("plan", "evaluate", "--threshold", "inf"), 3, ("threshold",), names=("threshold",)),
    Case("settle-budget-nan", lambda t: ["settle", "run", "--budget", "nan"], 3, ("budget",), names=("budget",)),
    Case("settle-budget-negative", lambda t: ["settle", "run", "--budget", "-5"], 3, ("budget",), names=("budget",)),
    Case("security-per-1000-nan", lambda t: ["security", "run", "--per-1000", "nan"], 3, ("per_1000",),
         names=("per_1000", "per-1000")),
    Case("security-per-1000-inf", lambda t: ["security", "run", "--per-1000", "inf"], 3, ("per_1000",),
         names=("per_1000", "per-1000")),
    Case("settle-time-limit-negative", lambda t: ["settle", "run", "--time-limit", "-5"], 3, ("time",),
         names=("time",)),
    Case("grid-size-nan", _build(grid, "--grid-size", "nan"), 3, ("grid",), names=("grid",)),
    Case("grid-size-negative", _build(grid, "--grid-size", "-1"), 3, ("grid",), names=("grid",)),
    # --- names that break SQL, ids nobody knows
    Case("community-with-quote", _quoted_community, 0, verify=_reopens("q.gpkg", 'sun"ni')),
    Case("community-sql-injection", lambda t: ["territory", "build", str(geojson(t, grid(cols=('a"; DROP TABLE units; --', "b")))),
                                               "--id-col", "uid", "--communities", 'a"; DROP TABLE units; --,b',
                                               "--out", str(t / "q.gpkg"), "--json"], 0,
         verify=_reopens("q.gpkg", 'a"; DROP TABLE units; --')),
    Case("census-name-with-quote", lambda t: ["territory", "build", str(geojson(t)), "--id-col", "uid",
                                              "--census", 'n"ow=layer:{}', "--communities", "a,b",
                                              "--out", str(t / "q.gpkg"), "--json"], 0, verify=_reopens("q.gpkg")),
    Case("admin-level-with-quote", lambda t: ["territory", "build", str(geojson(t)), "--id-col", "uid",
                                              "--communities", "a,b", "--admin", 'g"ov=gov',
                                              "--out", str(t / "q.gpkg"), "--json"], 0, verify=_reopens("q.gpkg")),
    Case("duplicate-communities", _build(grid, communities="a,a"), 3, ("'a'",), names=("--communities", "units.gpkg")),
    Case("empty-community-name", _build(grid, communities="a,,b"), 3, ("communit",), names=("--communities", "units.gpkg")),
    Case("settle-values-unknown-units", _csv_case(["settle", "run", "--case", "northern-iraq"], "--values",
                                                  "values.csv", "unit_id,federal,krg\nNOPE1,10,3\nNOPE2,4,4\n"),
         3, ("NOPE1",)),
    Case("settle-values-unknown-with-plan", _csv_case(["settle", "run", "--plan", "status-quo-2014"], "--values",
                                                      "values.csv", "unit_id,federal,krg\nNOPE1,10,3\n"),
         3, ("NOPE1",)),
    Case("compensate-values-unknown-units", _csv_case(["settle", "compensate", "--plan", "status-quo-2014"], "--values",
                                                      "values.csv", "unit_id,federal,krg\nNOPE1,10,3\n"),
         3, ("NOPE1",)),
    Case("settle-values-duplicate-unit", _csv_case(["settle", "run"], "--values", "values.csv",
                                                   f"unit_id,federal,krg\n{CASE_UNIT},10,3\n{CASE_UNIT},4,4\n"), 3,
         (CASE_UNIT,)),
    Case("settle-resources-unknown-units", _csv_case(["settle", "run"], "--resources", "res.csv",
                                                     "unit_id,federal,krg\nNOPE1,10,3\n"), 3, ("NOPE1",)),
    Case("security-multipliers-unknown", _csv_case(["security", "run"], "--multipliers", "mult.csv",
                                                   "unit_id,multiplier\nNOPE1,2\n"), 3, ("NOPE1",)),
    Case("security-urban-unknown", _csv_case(["security", "run"], "--urban", "urban.csv",
                                             "unit_id,multiplier\nNOPE1,2\n"), 3, ("NOPE1",)),
    Case("security-multiplier-negative", _csv_case(["security", "run"], "--multipliers", "mult.csv",
                                                   f"unit_id,multiplier\n{CASE_UNIT},-2\n"), 3, (CASE_UNIT,)),
    Case("security-drop-unknown-rule", lambda t: ["security", "run", "--drop-rule", "no-such-rule"], 3,
         ("no-such-rule",), names=("--drop-rule", "no-such-rule")),
    Case("councils-census-unknown", _tiny("councils", "simulate", "--size", "5", "--census", "nope"), 3, ("nope",),
         names=("nope",)),
    Case("ensemble-metric-unknown", _ens("--steps", "5", "--chains", "1", "--metric", "bogus"), 3, ("bogus",),
         names=("bogus",)),
    Case("ensemble-metric-census-unknown", _ens("--steps", "5", "--chains", "1", "--metric", "theil_h",
                                                "--metric-census", "nope"), 3, ("nope",), names=("nope",)),
    Case("optimize-subset-unknown", _spec(SPEC_OK, "--subset", "gov=NOPE"), 3, ("NOPE",), names=("NOPE", "--subset")),
    Case("optimize-subset-syntax", _spec(SPEC_OK, "--subset", "justtext"), 3, ("--subset",), names=("--subset",)),
    Case("optimize-unknown-metric", _spec("regions: 2\nmaximize:\n  - {metric: bogus}\n"), 3, ("bogus",)),
    Case("optimize-unknown-key", _spec("regions: 2\nmaximise:\n  - {metric: theil_h}\n"), 3, ("maximise",)),
    Case("optimize-unknown-community", _spec("regions: 2\nmaximize:\n  - {metric: empowerment_plurality, communities: [zz]}\n"),
         3, ("zz",)),
    Case("optimize-tolerance-5", _spec(SPEC_OK + "constraints: {tolerance: 5}\n"), 3, ("tolerance",)),
    Case("optimize-maximize-not-list", _spec("regions: 2\nmaximize: theil_h\n"), 3, ("maximize",)),
    Case("optimize-spec-list", _spec("- 1\n- 2\n"), 3, ()),
    Case("case-sources-unknown-unit", lambda t: ["case", "sources", "--unit", "NOPE1"], 3, ("NOPE1",),
         names=("NOPE1", "--unit")),
    Case("returns-unknown-plan", lambda t: ["returns", "project", "--plan", "no-such-scenario", "--draws", "0"], 3,
         ("no-such-scenario",), names=("no-such-scenario",)),
    Case("referendum-scope-unknown-ids", lambda t: ["referendum", "run", "--scope", "NOPE1,NOPE2", "--draws", "0"], 3,
         ("NOPE1",), names=("NOPE1", "--scope")),
    Case("referendum-level-bogus", lambda t: ["referendum", "run", "--level", "galaxy", "--draws", "0"], 3,
         ("galaxy",), names=("galaxy", "--level")),
    Case("claims-census-unknown", lambda t: ["claims", "adjudicate", "--census", "nope"], 3, ("nope",),
         names=("nope", "--census")),
    Case("claims-occupants-bogus", lambda t: ["claims", "adjudicate", "--occupants", "evict"], 3, ("evict",),
         names=("evict", "--occupants")),
    Case("settle-method-bogus", lambda t: ["settle", "run", "-m", "coin-toss"], 3, ("coin-toss",),
         names=("coin-toss",)),
    Case("settle-authority-syntax", lambda t: ["settle", "run", "--authority", "krg"], 3, ("--authority",),
         names=("--authority",)),
    Case("settle-authority-unknown-party", lambda t: ["settle", "run", "--authority", "martians=krg"], 3,
         ("martians",), names=("martians",)),
    Case("apportion-method-bogus", _votes(VOTES, "--seats", "5", "--method", "coin-toss"), 3, ("coin-toss",),
         names=("coin-toss", "--method")),
    Case("apportion-exempt-unknown", _votes("list,votes\nA,1000\nB,500\n", "--seats", "5", "--threshold", "0.1",
                                            "--exempt", "ZZ"), 3, ("ZZ",)),
    Case("apportion-reserved-syntax", _votes(VOTES, "--seats", "5", "--reserved", "christian"), 3,
         ("--reserved",), names=("--reserved",)),
    # --- coordinate systems
    Case("crs-degrees-under-utm", _build(lambda: grid(crs=32638)), 3, ("EPSG:32638", "--crs EPSG:4326")),
    Case("crs-metres-under-wgs84", _build(lambda: grid(scale=10000, x0=400000, y0=4000000)), 3,
         ("WGS 84", "--crs")),
    Case("crs-wrong-projected", _build(lambda: grid(scale=10000, x0=400000, y0=4000000, crs=2154)), 3,
         ("EPSG:2154",)),
    Case("crs-not-a-crs", _build(grid, "--crs", "not-a-crs"), 3, ("not-a-crs",), names=("--crs",)),
    Case("crs-unknown-epsg", _build(grid, "--crs", "EPSG:999999"), 3, ("EPSG:999999",), names=("--crs",)),
    Case("crs-degrees-under-web-mercator", _build(lambda: grid(crs=3857)), 3, ("EPSG:3857",)),
    # --- nothing lost or half-written
    Case("export-into-other-project", _other_project_export, 3, ("other territory",), untouched=("other.gpkg",)),
    Case("rebuild-over-saved-plans", _rebuild_over_plans, 3, ("saved plan", "--keep-plans"), untouched=("proj.gpkg",)),
    Case("build-over-its-layer", lambda t: ["territory", "build", str(geojson(t)), "--id-col", "uid",
                                            "--communities", "a,b", "--out", str(t / "units.geojson")], 3,
         ("input",), untouched=("units.geojson",)),
    Case("build-over-non-project", lambda t: ["territory", "build", str(geojson(t)), "--id-col", "uid",
                                              "--communities", "a,b", "--out", str(raw(t, "notes.gpkg", "my notes"))],
         3, ("not a dayafter project",), untouched=("notes.gpkg",)),
    Case("build-keep-and-overwrite", lambda t: ["territory", "build", str(geojson(t)), "--id-col", "uid",
                                                "--communities", "a,b", "--out", str(t / "n.gpkg"), "--keep-plans",
                                                "--overwrite"], 3, ("--keep-plans",), names=("--overwrite",),
         absent=("n.gpkg",)),
    Case("build-out-folder", lambda t: ["territory", "build", str(geojson(t)), "--id-col", "uid",
                                        "--communities", "a,b", "--out", str(bad_file("folder", t, "out.gpkg"))], 3,
         ("folder",)),
    Case("hot-journal-not-misreported", _hot_journal, 3, ("regions the plan does not define",)),
    Case("export-unsupported-suffix", lambda t: ["plan", "export", str(plan_json(t)), "--project", str(project(t)),
                                                 "--out", str(t / "p.xml")], 3, ("unsupported",), absent=("p.xml",)),
    Case("ensemble-out-is-file", lambda t: ["ensemble", "run", "--project", str(project(t)), "--plan",
                                            str(plan_json(t)), "--out", str(raw(t, "runfile", "x")), "--no-progress",
                                            "--steps", "5", "--chains", "1"], 3, ("runfile",),
         untouched=("runfile",)),
    Case("ensemble-resume-empty", lambda t: _ens("--steps", "5", "--chains", "1", "--resume")(t), 3, ("run",)),
    Case("ensemble-summary-not-a-run", lambda t: ["ensemble", "summary", str(bad_file("folder", t, "notrun"))], 3,
         ("notrun",)),
    Case("report-ensemble-not-a-run", lambda t: _report("--ensemble", str(bad_file("folder", t, "notrun")))(t), 3,
         ("notrun",), absent=("r.html",)),
]
SUBPROCESS_SAMPLE = {"seats-trillion", "criteria-alias-bomb", "plan-deep-json", "crs-degrees-under-utm",
                     "settle-values-unknown-units", "export-into-other-project", "hot-journal-not-misreported",
                     "optimize-regions-billion", "ensemble-steps-huge", "plan-file-fifo", "plan-file-devzero",
                     "votes-folder", "criteria-latin1", "layer-oversized"}


def all_cases() -> list[Case]:
    cases = slot_cases() + SEMANTIC
    for c in cases:
        c.subprocess = c.name in SUBPROCESS_SAMPLE
    return cases
