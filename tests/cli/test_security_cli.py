"""``dayafter security``: requirement, allocation, binding rules, infeasibility, JSON."""

from __future__ import annotations

import json

import pytest

from dayafter.cli._common import run_guarded
from dayafter.cli.main import app


def run(args, capsys):
    code = run_guarded(app, args=[str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def project(tmp_path, make_grid, capsys):
    gdf = make_grid(3, 3)
    layer = tmp_path / "units.geojson"
    gdf.to_file(layer, driver="GeoJSON")
    out = tmp_path / "proj.gpkg"
    code, _, err = run(["territory", "build", layer, "--id-col", "uid", "--communities",
                        "c0,c1,c2", "--census", "now=layer:{}", "--out", out, "--json"], capsys)
    assert code == 0, err
    return out


@pytest.fixture
def forces(tmp_path):
    p = tmp_path / "forces.json"
    p.write_text(json.dumps({
        "name": "test forces", "min_accept_share": 0.3,
        "forces": [{"key": "army", "name": "Army", "strength": 3},
                   {"key": "militia", "name": "Militia", "strength": 2}],
        "rules": [{"id": "M1", "kind": "accepted_only_by", "forces": ["militia"],
                   "communities": ["c0"], "text": "local force", "sources": ["PS9"]},
                  {"id": "A1", "kind": "exclude_units", "forces": ["army"], "units": ["C00*"],
                   "text": "not in row 0", "sources": ["P99"]}]}))
    return p


def test_run_json(project, forces, capsys):
    code, out, err = run(["security", "run", "--project", project, "--forces", forces,
                          "--per-1000", "20", "--json", "--sensitivity"], capsys)
    assert code == 0, err
    d = json.loads(out)
    assert d["requirement_total"] == pytest.approx(sum(u["requirement"] for u in d["units"]))
    assert d["covered_total"] <= 5 + 1e-9
    assert d["shortfall_total"] == pytest.approx(d["requirement_total"] - d["covered_total"])
    for u in d["units"]:
        if u["unit_id"].startswith("C00"):
            assert "army" not in u["forces"]
            assert u["barred"]["army"] == "A1"
    assert [s["per_1000"] for s in d["sensitivity"]] == [10, 20, 25, 30, 40]
    assert {b["rule"] for b in d["binding"]} >= {"strength"}
    assert {r["id"] for r in d["catalog"]["rules"]} == {"M1", "A1"}


def test_run_table_and_drop_rule(tmp_path, project, forces, capsys):
    code, out, err = run(["security", "run", "--project", project, "--forces", forces,
                          "--per-1000", "1"], capsys)
    assert code == 0, err
    assert "Forces" in out and "Units" in out
    code, out, err = run(["security", "run", "--project", project, "--forces", forces,
                          "--per-1000", "1", "--drop-rule", "A1", "--min-share", "0", "--json"],
                         capsys)
    assert code == 0, err
    assert json.loads(out)["catalog"]["min_accept_share"] == 0
    base = {u["unit_id"]: u["requirement"] for u in json.loads(out)["units"]}
    mult = tmp_path / "m.csv"
    mult.write_text("unit_id,multiplier\nC0000,2\n")
    urb = tmp_path / "u.csv"
    urb.write_text("unit_id,multiplier\nC0000,1.5\nC0101,0\n")
    code, out, err = run(["security", "run", "--project", project, "--forces", forces,
                          "--per-1000", "1", "--multipliers", mult, "--urban", urb, "--json"],
                         capsys)
    assert code == 0, err
    req = {u["unit_id"]: u["requirement"] for u in json.loads(out)["units"]}
    assert req["C0000"] == pytest.approx(3 * base["C0000"])
    assert req["C0101"] == 0 and req["C0202"] == pytest.approx(base["C0202"])


def test_require_full_exit_4(project, forces, capsys):
    code, _, err = run(["security", "run", "--project", project, "--forces", forces,
                        "--require-full"], capsys)
    assert code == 4
    assert "cannot be provided" in err and "Fix:" in err


def test_bad_inputs_exit_3(tmp_path, project, forces, capsys):
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    code, _, err = run(["security", "run", "--project", project, "--forces", bad], capsys)
    assert code == 3 and "not valid JSON" in err
    code, _, err = run(["security", "run", "--project", project, "--forces", forces,
                        "--drop-rule", "Z9"], capsys)
    assert code == 3 and "unknown rule" in err
    mult = tmp_path / "m.csv"
    mult.write_text("unit_id,multiplier\nC0000,2\nNOPE,1\n")
    code, _, err = run(["security", "run", "--project", project, "--forces", forces,
                        "--multipliers", mult], capsys)
    assert code == 3 and "NOPE" in err


def test_forces_listing(forces, capsys):
    code, out, err = run(["security", "forces", "--forces", forces, "--json"], capsys)
    assert code == 0, err
    d = json.loads(out)
    assert [f["key"] for f in d["forces"]] == ["army", "militia"]
    code, out, err = run(["security", "forces", "--json"], capsys)  # the built-in case's file
    assert code == 0, err
    assert len(json.loads(out)["rules"]) >= 10


def test_builtin_case_rules_hold(capsys):
    code, out, err = run(["security", "run", "--case", "northern-iraq", "--census", "current",
                          "--json"], capsys)
    assert code == 0, err
    d = json.loads(out)
    assert d["plan"] == "status-quo-2014"
    assert sum(r["requirement"] for r in d["regions"]) == pytest.approx(d["requirement_total"])
    for u in d["units"]:
        if u["unit_id"].startswith("IQG15"):
            assert "pmf" not in u["forces"]  # R4
        if u["unit_id"] == "IQG15Q05N04":
            assert not {"pmf", "peshmerga"} & set(u["forces"])  # R3
        if u["unit_id"].startswith("IQG15Q07"):
            assert not {"peshmerga", "pmf", "yazidi_units"} & set(u["forces"])  # R8
        else:
            assert "sinjar_police" not in u["forces"]  # R9
        for force in u["forces"]:
            assert force not in u["barred"]
        assert u["control"] in {"federal", "krg", "joint"}
    for b in d["binding"]:
        if b["rule"].startswith("R"):
            assert b["sources"]
    assert all(r["status"] == "used" or r["why"] for r in d["force_report"])
    assert d["catalog"]["veto_share"] is not None and "assumption" in d["catalog"]["veto_basis"]


def test_the_plan_decides_where_krg_forces_serve(capsys):
    code, out, err = run(["security", "run", "--plan", "krg-releases-claims", "--census",
                          "current", "--json"], capsys)
    assert code == 0, err
    d = json.loads(out)
    assert d["plan"] == "krg-releases-claims"
    for u in d["units"]:
        if u["control"] == "federal":
            assert "peshmerga" not in u["forces"]
            assert u["barred"].get("peshmerga") in ("R10", "R3") or u["barred"]["peshmerga"]
        if u["control"] == "krg":
            assert not {"iraqi_army", "federal_police", "cts", "pmf"} & set(u["forces"])
    code, out, err = run(["security", "run", "--plan", "krg-releases-claims", "--census",
                          "current", "--top", "3", "--thresholds", "--no-veto"], capsys)
    assert code == 0, err
    assert "why not used" in out and "control" in out and "Sensitivity to the acceptance" in out
    code, _, err = run(["security", "run", "--veto-share", "0.2", "--no-veto"], capsys)
    assert code == 3 and "contradict" in err
