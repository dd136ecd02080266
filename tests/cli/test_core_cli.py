"""The core CLI on a project built from files: build, evaluate, compare, export, and bad input."""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pytest

from dayafter.cli._common import run_guarded
from dayafter.cli.main import app


def run(args, capsys):
    code = run_guarded(app, args=[str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def layer(tmp_path, make_grid):
    gdf = make_grid(4, 4)
    path = tmp_path / "units.geojson"
    gdf.to_file(path, driver="GeoJSON")
    table = gdf[["uid", "c0_old", "c1_old", "c2_old"]].rename(
        columns={"c0_old": "c0", "c1_old": "c1", "c2_old": "c2"})
    table.to_csv(tmp_path / "before.csv", index=False)
    return path


@pytest.fixture
def project(tmp_path, layer, capsys):
    out = tmp_path / "proj.gpkg"
    code, stdout, err = run(["territory", "build", layer, "--id-col", "uid", "--communities", "c0,c1,c2",
                             "--census", "now=layer:{}", "--census", f"before={tmp_path / 'before.csv'}",
                             "--admin", "province=prov", "--out", out, "--json"], capsys)
    assert code == 0, err
    summary = json.loads(stdout)
    assert summary["units"] == 16 and summary["edges"] == 24
    assert set(summary["censuses"]) == {"now", "before"}
    return out


def test_evaluate_compare_export(tmp_path, project, capsys):
    ids = [f"C{i:02d}{j:02d}" for i in range(4) for j in range(4)]
    plan_csv = tmp_path / "a.csv"
    plan_csv.write_text("unit_id,region\n" + "\n".join(f"{u},{1 + (k // 8)}" for k, u in enumerate(ids)))
    code, out, err = run(["plan", "evaluate", plan_csv, "--project", project, "--json"], capsys)
    assert code == 0, err
    d = json.loads(out)
    assert [r["units"] for r in d["regions"]] == [8, 8]
    assert set(d["censuses"]) == {"now", "before"}
    crit = tmp_path / "crit.yaml"
    crit.write_text("criteria:\n  - name: balance\n    metric: deviation\n    abs_max: 0.0001\n"
                    "  - name: contiguous\n    metric: pieces\n    max: 1\n")
    code, out, err = run(["plan", "evaluate", plan_csv, "--project", project, "--criteria", crit], capsys)
    assert code == 0, err
    assert "contiguous [now]: PASS" in out
    assert "balance [now]" in out
    plan2 = tmp_path / "b.csv"
    plan2.write_text("unit_id,region\n" + "\n".join(f"{u},{1 + (k % 2)}" for k, u in enumerate(ids)))
    code, out, err = run(["plan", "compare", plan_csv, plan2, "--project", project], capsys)
    assert code == 0, err
    assert "a" in out and "b" in out and "cut edges" in out
    for suffix in (".json", ".psv", ".geojson"):
        target = tmp_path / f"export{suffix}"
        code, _, err = run(["plan", "export", plan_csv, "--project", project, "--out", target], capsys)
        assert code == 0, err
        assert target.exists() and target.stat().st_size > 0
    code, out, err = run(["plan", "evaluate", tmp_path / "export.json", "--project", project, "--json"], capsys)
    assert code == 0, err
    assert json.loads(out)["regions"][0]["units"] == 8


@pytest.mark.parametrize(
    ("make_args", "needle"),
    [
        (lambda p, t: ["territory", "build", t / "missing.gpkg", "--id-col", "uid", "--communities", "c0"],
         "file not found"),
        (lambda p, t: ["territory", "build", p, "--id-col", "nope", "--communities", "c0"], "no id column 'nope'"),
        (lambda p, t: ["territory", "build", p, "--id-col", "uid", "--communities", "zz"], "no columns ['zz']"),
        (lambda p, t: ["territory", "build", p, "--id-col", "uid", "--communities", "c0", "--admin", "x"],
         "is not NAME=VALUE"),
    ],
)
def test_bad_input_one_line_exit_3(tmp_path, layer, capsys, make_args, needle):
    code, _out, err = run(make_args(layer, tmp_path), capsys)
    assert code == 3
    lines = [ln for ln in err.splitlines() if ln.strip()]
    assert len(lines) == 1 and needle in lines[0], err
    assert "Traceback" not in err


def test_corrupt_files_exit_3(tmp_path, project, capsys):
    bad = tmp_path / "bad.geojson"
    bad.write_text('{"type": "FeatureCollection", "features": [')
    code, _, err = run(["territory", "build", bad, "--id-col", "uid", "--communities", "c0"], capsys)
    assert code == 3 and "cannot read the layer" in err and str(bad) in err
    plan = tmp_path / "p.csv"
    plan.write_text("unit_id,region\nC0000,1\nXX99,2\n")
    code, _, err = run(["plan", "evaluate", plan, "--project", project], capsys)
    assert code == 3 and "'XX99'" in err and "Fix:" in err


def test_usage_error_exit_2(capsys):
    code, _, _ = run(["plan", "evaluate"], capsys)
    assert code == 2


def test_help_subprocess():
    res = subprocess.run([sys.executable, "-m", "dayafter.cli.main", "--help"], capture_output=True,
                         text=True, timeout=120)
    assert res.returncode == 0
    assert "plan" in res.stdout and "territory" in res.stdout and "case" in res.stdout


def test_assignment_numbers_survive(tmp_path, project, capsys):
    ids = [f"C{i:02d}{j:02d}" for i in range(4) for j in range(4)]
    plan_csv = tmp_path / "a.csv"
    plan_csv.write_text("\n".join(f"{u}|{2 if k < 3 else 0}" for k, u in enumerate(ids)))
    code, out, err = run(["plan", "evaluate", plan_csv, "--project", project, "--json"], capsys)
    assert code == 0, err
    d = json.loads(out)
    assert [r["units"] for r in d["regions"]] == [0, 3]
    assert np.isclose(d["geometry"]["unassigned_units"], 13)
