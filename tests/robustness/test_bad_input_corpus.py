"""The bad-input corpus: every case gives one line naming the file/rows/units and the fix, exit 3 or 4.

Each case writes its files into a temporary folder and runs the CLI in-process. The corpus is extended
as engines land (see the engine sections at the end).
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Point, Polygon, box

from dayafter.cli._common import run_guarded
from dayafter.cli.main import app


def _grid(n: int = 3, ids: list[str] | None = None) -> gpd.GeoDataFrame:
    recs = []
    for i in range(n):
        for j in range(n):
            recs.append({"uid": f"U{i}{j}", "geometry": box(44 + j * 0.1, 36 + i * 0.1, 44.1 + j * 0.1, 36.1 + i * 0.1),
                         "a": 10.0 + i, "b": 5.0 + j})
    g = gpd.GeoDataFrame(recs, crs=4326)
    if ids is not None:
        g["uid"] = ids
    return g


def _geojson(tmp: Path, gdf: gpd.GeoDataFrame, name: str = "units.geojson") -> Path:
    p = tmp / name
    gdf.to_file(p, driver="GeoJSON")
    return p


def _raw(tmp: Path, name: str, content: bytes | str) -> Path:
    p = tmp / name
    p.write_bytes(content.encode() if isinstance(content, str) else content)
    return p


def _project(tmp: Path) -> Path:
    from dayafter.geo import build_territory
    from dayafter.io import write_project

    t = build_territory(_grid(), id_col="uid", censuses={"now": {"a": "a", "b": "b"}}, name="g")
    out = tmp / "proj.gpkg"
    write_project(t, out)
    return out


CLAIMS_HEADER = "claim_id,area,community,property_type,value_usd,cause,evidence_tier\n"


def _case_copy(tmp: Path, folder: str, file: str, old: str, new: str) -> Path:
    """A copy of a built-in case data folder with one cell changed."""
    import shutil

    import dayafter

    dst = tmp / folder
    shutil.copytree(Path(dayafter.__file__).parent / "cases" / "northern_iraq" / folder, dst)
    p = dst / file
    text = p.read_text(encoding="utf-8")
    assert old in text
    p.write_text(text.replace(old, new, 1), encoding="utf-8")
    return dst


BUILD = ["territory", "build"]
IDS = [f"U{i}{j}" for i in range(3) for j in range(3)]


@dataclass
class Case:
    name: str
    setup: Callable[[Path], list[str]]
    code: int = 3
    needles: tuple[str, ...] = ()
    names_file: bool = True
    extra: dict = field(default_factory=dict)


def layer_case(name, make_file, *args, needles=(), code=3, names_file=True):
    def setup(tmp):
        p = make_file(tmp)
        return [*BUILD, str(p), "--id-col", "uid", "--communities", "a,b", *args]
    return Case(name, setup, code, needles, names_file)


def _mut(fn):
    def make(tmp):
        g = _grid()
        g = fn(g)
        return _geojson(tmp, g)
    return make


def _bowtie(g):
    x0, y0, x1, y1 = g.geometry.iloc[4].bounds
    g.loc[4, "geometry"] = Polygon([(x0, y0), (x1, y1), (x1, y0), (x0, y1)])
    return g


def _zip(tmp: Path, drop: str | None, shp: bool = True) -> Path:
    src = tmp / "shp"
    src.mkdir()
    _grid().to_file(src / "units.shp")
    z = tmp / "units.zip"
    with zipfile.ZipFile(z, "w") as zf:
        for f in src.iterdir():
            if drop and f.suffix == drop:
                continue
            if not shp and f.suffix == ".shp":
                continue
            zf.write(f, f.name)
    return z


def _shp_no_dbf(tmp: Path) -> Path:
    _grid().to_file(tmp / "u.shp")
    (tmp / "u.dbf").unlink()
    return tmp / "u.shp"


def _shp_no_prj(tmp: Path) -> Path:
    _grid().to_file(tmp / "u.shp")
    (tmp / "u.prj").unlink()
    return tmp / "u.shp"


def _table(tmp: Path, text: str, name: str = "t.csv", encoding: str = "utf-8") -> Path:
    p = tmp / name
    p.write_bytes(text.encode(encoding))
    return p


def census_case(name, text, needles, encoding="utf-8", extra_args=()):
    def setup(tmp):
        layer = _geojson(tmp, _grid())
        t = _table(tmp, text, encoding=encoding)
        return [*BUILD, str(layer), "--id-col", "uid", "--census", f"c={t}", *extra_args]
    return Case(name, setup, 3, needles)


GOOD_TABLE = "uid,a,b\n" + "\n".join(f"{u},1,2" for u in IDS)


def plan_case(name, make_plan, needles, code=3, names_file=True, extra=()):
    def setup(tmp):
        proj = _project(tmp)
        p = make_plan(tmp)
        return ["plan", "evaluate", str(p), "--project", str(proj), *extra]
    return Case(name, setup, code, needles, names_file)


def _plan_json(tmp: Path, data: dict | str, name: str = "p.json") -> Path:
    return _raw(tmp, name, data if isinstance(data, str) else json.dumps(data))


GOOD_PLAN = {"format": "dayafter.plan", "version": 1, "name": "p", "regions": [{"name": "A"}, {"name": "B"}],
             "assignment": {u: ("A" if k < 4 else "B") for k, u in enumerate(IDS)}}


CASES: list[Case] = [
    # --- polygon layers: format problems
    layer_case("truncated-geojson", lambda t: _raw(t, "u.geojson", '{"type": "FeatureCollection", "features": [{"type":'),
               needles=("cannot read the layer",)),
    layer_case("not-json-geojson", lambda t: _raw(t, "u.geojson", "hello world"), needles=("cannot read the layer",)),
    layer_case("json-not-geojson", lambda t: _raw(t, "u.geojson", '{"a": 1}'), needles=("cannot read the layer",)),
    layer_case("empty-geojson-file", lambda t: _raw(t, "u.geojson", b""), needles=("empty",)),
    layer_case("empty-gpkg-file", lambda t: _raw(t, "u.gpkg", b""), needles=("empty",)),
    layer_case("corrupt-gpkg", lambda t: _raw(t, "u.gpkg", b"SQLite format 3\x00" + b"\x13" * 2000),
               needles=("cannot read the layer",)),
    layer_case("png-named-gpkg", lambda t: _raw(t, "u.gpkg", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100),
               needles=("cannot read the layer",)),
    layer_case("csv-named-geojson", lambda t: _raw(t, "u.geojson", "uid,a,b\nU00,1,2\n"), needles=("cannot read the layer",)),
    layer_case("no-features", lambda t: _raw(t, "u.geojson", '{"type": "FeatureCollection", "features": []}'),
               needles=("no features",)),
    layer_case("zip-without-dbf", lambda t: _zip(t, ".dbf"), needles=("no .dbf",)),
    layer_case("zip-without-shp", lambda t: _zip(t, None, shp=False), needles=("no .shp",)),
    layer_case("zip-not-a-zip", lambda t: _raw(t, "u.zip", "just text"), needles=("not a valid zip",)),
    layer_case("shp-without-dbf", _shp_no_dbf, needles=("no .dbf",)),
    layer_case("unsupported-extension", lambda t: _raw(t, "u.kml", "<kml/>"), needles=("unsupported layer format",)),
    layer_case("missing-file", lambda t: t / "nope.gpkg", needles=("file not found",)),
    layer_case("gpkg-wrong-layer", lambda t: (_grid().to_file(t / "u.gpkg", layer="units"), t / "u.gpkg")[1],
               "--layer", "nope", needles=("cannot read the layer",)),
    # --- geometry
    layer_case("invalid-geometry", _mut(_bowtie), needles=("invalid geometries", "U11", "--repair")),
    layer_case("empty-geometry", _mut(lambda g: g.assign(geometry=[Polygon(), *g.geometry.iloc[1:]])),
               needles=("empty", "U00")),
    layer_case("point-geometry", _mut(lambda g: g.assign(geometry=[Point(44, 36), *g.geometry.iloc[1:]])),
               needles=("not polygons", "U00")),
    layer_case("no-crs", _shp_no_prj, needles=("no coordinate reference system", "--crs")),
    layer_case("projected-coords-in-geojson",
               _mut(lambda g: g.set_geometry(g.geometry.scale(1e4, 1e4, origin=(0, 0)))),
               needles=("not longitudes/latitudes",)),
    # --- ids
    layer_case("duplicate-ids", _mut(lambda g: g.assign(uid=["X", "X", *IDS[2:]])), needles=("duplicate unit ids", "'X'")),
    layer_case("missing-id", _mut(lambda g: g.assign(uid=[None, *IDS[1:]])), needles=("no unit id", "rows 1")),
    layer_case("no-id-column", _mut(lambda g: g.rename(columns={"uid": "code"})), needles=("no id column 'uid'",)),
    # --- populations in the layer
    layer_case("missing-population", _mut(lambda g: g.assign(a=[None, *g["a"].iloc[1:]])),
               needles=("no population value", "U00")),
    layer_case("negative-population", _mut(lambda g: g.assign(a=[-1.0, *g["a"].iloc[1:]])),
               needles=("negative populations", "U00")),
    layer_case("text-population", _mut(lambda g: g.assign(a=["many", *[str(x) for x in g["a"].iloc[1:]]])),
               needles=("non-numeric", "U00", "many")),
    layer_case("thousands-separator", _mut(lambda g: g.assign(a=["1,200", *[str(x) for x in g["a"].iloc[1:]]])),
               needles=("non-numeric", "1,200")),
    layer_case("oversized-population", lambda t: _raw(t, "u.geojson", _grid().to_json().replace('"a": 10.0', '"a": 1e300', 1)),
               needles=("implausibly large", "U00")),
    layer_case("missing-community-column", _mut(lambda g: g.drop(columns=["b"])), needles=("no columns", "'b'")),
    # --- census tables joined on the id
    census_case("table-unknown-ids", GOOD_TABLE + "\nZZ9,1,1", ("not in the layer", "ZZ9")),
    census_case("table-missing-units", "uid,a,b\n" + "\n".join(f"{u},1,2" for u in IDS[:5]), ("no row for 4 units", "U20")),
    census_case("table-duplicate-ids", GOOD_TABLE + f"\n{IDS[0]},3,3", ("more than once", "U00")),
    census_case("table-not-utf8", "uid,a,b\n" + "\n".join(f"{u},1,2" for u in IDS) + "\n\xe9", ("not UTF-8",), encoding="latin-1"),
    census_case("table-text-columns", "uid,a,b,name\n" + "\n".join(f"{u},1,2,x" for u in IDS), ("not numeric", "--communities")),
    census_case("table-leading-zeros", "uid,a,b\n" + "\n".join(f"0{u},1,2" for u in IDS), ("not in the layer", "leading zeros")),
    census_case("table-no-id-column", "code,a,b\n" + "\n".join(f"{u},1,2" for u in IDS), ("no id column 'uid'",)),
    census_case("table-negative", "uid,a,b\n" + "\n".join(f"{u},{-1 if k == 2 else 1},2" for k, u in enumerate(IDS)),
                ("negative populations", "U02")),
    Case("census-arg-without-equals", lambda t: [*BUILD, str(_geojson(t, _grid())), "--id-col", "uid", "--census", "oops"],
         3, ("--census", "NAME=VALUE"), names_file=False),
    Case("no-communities", lambda t: [*BUILD, str(_geojson(t, _grid())), "--id-col", "uid"], 3,
         ("community",)),
    Case("bad-missing-population-option", lambda t: [*BUILD, str(_geojson(t, _grid())), "--id-col", "uid",
                                                      "--communities", "a", "--missing-population", "guess"],
         3, ("missing_population",), names_file=False),
    # --- plans
    plan_case("plan-unknown-unit", lambda t: _raw(t, "p.csv", "unit_id,region\nU00,1\nQQ1,2\n"), ("QQ1", "not in territory")),
    plan_case("plan-duplicate-unit", lambda t: _raw(t, "p.csv", "U00,1\nU00,2\n"), ("more than once", "U00")),
    plan_case("plan-empty-file", lambda t: _raw(t, "p.csv", ""), ("empty",)),
    plan_case("plan-one-column", lambda t: _raw(t, "p.csv", "U00\nU01\n"), ("two columns",)),
    plan_case("plan-json-truncated", lambda t: _plan_json(t, '{"format": "dayafter.plan", "version": 1, "regions": ['),
              ("not valid JSON: syntax error at line 1",)),
    plan_case("plan-json-unknown-region",
              lambda t: _plan_json(t, {**GOOD_PLAN, "assignment": {**GOOD_PLAN["assignment"], "U00": "Z"}}),
              ("regions the plan does not define", "U00")),
    plan_case("plan-json-wrong-format", lambda t: _plan_json(t, {"format": "other", "version": 1}), ("unknown JSON plan format",)),
    plan_case("plan-json-wrong-version", lambda t: _plan_json(t, {**GOOD_PLAN, "version": 9}), ("unsupported plan version",)),
    plan_case("plan-json-hash-mismatch", lambda t: _plan_json(t, {**GOOD_PLAN, "territory_hash": "f" * 64}),
              ("other territory data", "rebind=True")),
    plan_case("plan-json-duplicate-region-names",
              lambda t: _plan_json(t, {**GOOD_PLAN, "regions": [{"name": "A"}, {"name": "A"}]}), ("unique",)),
    plan_case("plan-json-array", lambda t: _plan_json(t, "[1, 2, 3]"), ("JSON object",)),
    plan_case("districtr-multi-district",
              lambda t: _plan_json(t, {"assignment": {"U00": [0, 1], "U01": 0}}, "d.json"), ("several districts", "U00")),
    plan_case("plan-csv-huge-region-number", lambda t: _raw(t, "p.csv", "U00,1\nU01,1000000000000\n"),
              ("larger than the number of units",)),
    plan_case("districtr-huge-part", lambda t: _plan_json(t, {"assignment": {"U00": 1e18}}, "d.json"),
              ("numbers", "districts for 9 units")),
    plan_case("districtr-huge-number-of-parts",
              lambda t: _plan_json(t, {"assignment": {"U00": 0}, "problem": {"numberOfParts": 10**12}}, "d.json"),
              ("districts for 9 units",)),
    plan_case("plan-wrong-extension", lambda t: _raw(t, "p.xml", "<plan/>"), ("unsupported plan format",)),
    plan_case("plan-gpkg-not-gpkg", lambda t: _raw(t, "p.gpkg", "not a database" * 50), ("GeoPackage",)),
    plan_case("plan-missing-file", lambda t: t / "nothere.json", ("plan file not found",)),
    plan_case("non-contiguous-required", lambda t: _raw(t, "p.csv", "\n".join(f"{u},{1 + (k % 2)}" for k, u in enumerate(IDS))),
              ("not contiguous", "in 5 pieces"), extra=("--require-contiguous",)),
    plan_case("criteria-bad-yaml", lambda t: _plan_json(t, GOOD_PLAN), ("invalid YAML",),
              extra=("--criteria", "CRIT:criteria:\n  - name: [unclosed\n")),
    plan_case("criteria-unknown-metric", lambda t: _plan_json(t, GOOD_PLAN), ("unknown metric 'bogus'",),
              extra=("--criteria", "CRIT:criteria:\n  - {name: x, metric: bogus, max: 1}\n")),
    plan_case("criteria-unknown-key", lambda t: _plan_json(t, GOOD_PLAN), ("unknown keys", "maxx"),
              extra=("--criteria", "CRIT:criteria:\n  - {name: x, metric: pieces, maxx: 1}\n")),
    plan_case("threshold-out-of-range", lambda t: _plan_json(t, GOOD_PLAN), ("threshold",), names_file=False,
              extra=("--threshold", "1.5")),
    plan_case("unknown-census", lambda t: _plan_json(t, GOOD_PLAN), ("unknown census 'nope'",), names_file=False,
              extra=("--census", "nope")),
    # --- engines (built-in case where they need a territory)
    Case("votes-empty", lambda t: ["councils", "apportion", str(_raw(t, "v.csv", "list,votes\n")), "--seats", "5"],
         3, ("no lists",)),
    Case("votes-negative", lambda t: ["councils", "apportion", str(_raw(t, "v.csv", "list,votes\nA,10\nB,-1\n")),
                                      "--seats", "5"], 3, ("negative votes", "'B'")),
    Case("votes-text", lambda t: ["councils", "apportion", str(_raw(t, "v.csv", "list,votes\nA,10\nB,many\n")),
                                  "--seats", "5"], 3, ("not a number", "many")),
    Case("votes-infinite", lambda t: ["councils", "apportion", str(_raw(t, "v.csv", "list,votes\nA,10\nB,inf\n")),
                                      "--seats", "5"], 3, ("not a usable count",)),
    Case("reserved-seats-exceed-council",
         lambda t: ["councils", "apportion", str(_raw(t, "v.csv", "list,votes,community,race\nA,10,,\nC,5,christian,christian\n")),
                    "--seats", "5", "--reserved", "christian=9"], 4, ("do not fit in a council of 5",)),
    Case("settle-negative-values",
         lambda t: ["settle", "run", "--values", str(_raw(t, "vals.csv", "unit_id,federal,krg\nIQG15Q07N03,10,-3\n"))],
         3, ("not finite and non-negative", "IQG15Q07N03")),
    Case("settle-ragged-values",
         lambda t: ["settle", "run", "--values", str(_raw(t, "vals.csv", "unit_id,federal,krg\nIQG15Q07N03,10\n"))],
         3, ("cells",)),
    Case("forces-bad-json", lambda t: ["security", "run", "--forces", str(_raw(t, "f.json", '{"forces": ['))],
         3, ("not valid JSON",)),
    Case("forces-negative-ratio", lambda t: ["security", "run", "--per-1000", "-5"], 3, ("per_1000",), names_file=False),
    Case("forces-cannot-cover", lambda t: ["security", "run", "--require-full"], 4, ("cannot be provided",),
         names_file=False),
    Case("ensemble-impossible-bounds", lambda t: ["ensemble", "run", "--plan", "status-quo-2014", "--steps", "10",
                                                  "--chains", "1", "--out", str(t / "run")],
         4, ("population bounds",), names_file=False),
    Case("optimize-impossible-bounds",
         lambda t: ["optimize", "run", str(_raw(t, "spec.yaml", "regions: 7\nmaximize:\n  - {metric: empowerment_plurality, communities: [yazidi]}\nconstraints:\n  tolerance: 0.01\n")),
                    "--subset", "governorate=IQG15"], 4, ("more people than any region may hold",), names_file=False),
    # --- Article 140 engines (issue 20): returns, referendum, claims, sequence
    Case("claims-bad-property-type",
         lambda t: ["claims", "adjudicate", "--table", str(_raw(t, "claims.csv", CLAIMS_HEADER
                                                                + "c1,IQG13Q04N06,kurd,palace,100,arabization,1\n"))],
         3, ("row 2", "property_type 'palace'")),
    Case("claims-missing-columns",
         lambda t: ["claims", "adjudicate", "--table", str(_raw(t, "claims.csv", "claim_id,area\nc1,x\n"))],
         3, ("lacks the columns",)),
    Case("claims-rules-bad-json",
         lambda t: ["claims", "adjudicate", "--rules", str(_raw(t, "rules.json", '{"budget_usd": '))],
         3, ("not valid JSON",)),
    Case("claims-rules-unknown-policy",
         lambda t: ["claims", "adjudicate", "--rules", str(_raw(t, "rules.json", '{"secondary_occupants": "evict"}'))],
         3, ("secondary-occupant policy",)),
    Case("returns-bad-coverage",
         lambda t: ["returns", "project", "--draws", "0", "--security",
                    str(_raw(t, "cov.csv", "unit_id,secure\nIQG15Q07N03,maybe\n"))],
         3, ("row 2", "secure 'maybe'")),
    Case("returns-model-share-above-one",
         lambda t: ["returns", "project", "--draws", "0", "--model", str(_case_copy(
             t, "returns", "calibration.csv", "2018-03-25,0.42,", "2018-03-25,1.42,"))],
         3, ("calibration.csv", "share 1.42 is outside")),
    Case("referendum-shares-not-one",
         lambda t: ["referendum", "run", "--draws", "0", "--voting", str(_case_copy(
             t, "referendum", "voting.csv", "kurd,krg,0.9,", "kurd,krg,0.8,"))],
         3, ("voting.csv", "sum to 0.9")),
    Case("referendum-scope-unknown-level",
         lambda t: ["referendum", "run", "--draws", "0", "--scope",
                    str(_raw(t, "scope.csv", "level,area\nprovince,IQG13\n"))],
         3, ("row 2", "unknown level 'province'")),
    Case("sequence-unknown-step",
         lambda t: ["sequence", "run", str(_raw(t, "s.json", '{"name": "x", "steps": [{"kind": "vote"}]}'))],
         3, ("unknown step kind",)),
    Case("sequence-bad-json",
         lambda t: ["sequence", "run", str(_raw(t, "s.json", '{"name": "x", "steps": ['))],
         3, ("not valid JSON",)),
    Case("project-corrupt", lambda t: ["plan", "evaluate", "x.csv", "--project", str(_raw(t, "pr.gpkg", "garbage" * 100))],
         3, ("not a dayafter project",)),
    Case("project-missing", lambda t: ["plan", "evaluate", "x.csv", "--project", str(t / "none.gpkg")], 3, ("file not found",)),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input(case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = case.setup(tmp_path)
    # criteria given inline as CRIT:<yaml text> are written to a file first
    for i, a in enumerate(args):
        if isinstance(a, str) and a.startswith("CRIT:"):
            p = tmp_path / "criteria.yaml"
            p.write_text(a[5:])
            args[i] = str(p)
    code = run_guarded(app, args=[str(a) for a in args])
    out = capsys.readouterr()
    lines = [ln for ln in out.err.splitlines() if ln.strip()]
    assert code == case.code, out.err
    assert "Traceback" not in out.err and "Traceback" not in out.out
    errors = [ln for ln in lines if ln.startswith(("error:", "internal error:"))]
    assert len(errors) == 1, out.err  # progress bars may precede the error on stderr
    line = errors[0]
    assert line.startswith("error: ")
    for needle in case.needles:
        assert needle in line, line
    assert "Fix:" in line, line
    if case.names_file:
        files = [a.split("=", 1)[-1] for a in args if isinstance(a, str) and str(tmp_path) in a]
        assert any(f in line for f in files), line


def test_corpus_size() -> None:
    assert len(CASES) >= 60
