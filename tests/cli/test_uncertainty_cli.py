"""``--draws`` on plan evaluate and plan compare: ranges, pass shares, verdicts, paired draws."""

from __future__ import annotations

import json

import pytest

from dayafter.cli._common import run_guarded
from dayafter.cli.main import app


def run(args, capsys):
    code = run_guarded(app, args=[str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_evaluate_with_draws_json(capsys, iraq):
    code, out, err = run(["plan", "evaluate", "krg-releases-claims", "--draws", "40", "--seed", "3",
                          "--sweep", "--json"], capsys)
    assert code == 0, err
    d = json.loads(out)
    u = d["uncertainty"]
    assert u["draws"]["draws"] == 40 and u["draws"]["seed"] == 3
    fig = u["figures"]["baseline/stranded:yazidi"]
    assert fig["point"] == pytest.approx(d["censuses"]["baseline"]["communities"]["yazidi"]["stranded"])
    assert fig["p05"] <= fig["p50"] <= fig["p95"] and fig["verdict"] in ("robust", "fragile")
    assert {c["name"] for c in u["criteria"]} == {c["name"] for c in d["criteria"]}
    assert all(0 <= c["pass_share"] <= 1 for c in u["criteria"])
    assert "baseline" in u["sweep"] and u["sweep"]["baseline"]["thresholds"][0] == 0.05
    # same seed, same answer
    code, out2, _ = run(["plan", "evaluate", "krg-releases-claims", "--draws", "40", "--seed", "3",
                         "--sweep", "--json"], capsys)
    assert json.loads(out2)["uncertainty"] == u


def test_evaluate_with_draws_text(capsys, iraq):
    code, out, err = run(["plan", "evaluate", "status-quo-2014", "--draws", "30", "--census", "baseline"],
                         capsys)
    assert code == 0, err
    assert "Ranges over 30 census draws (seed 0)" in out
    assert "[p05-p95]" in out and ("robust" in out or "fragile" in out)


def test_compare_with_draws(capsys, iraq):
    code, out, err = run(["plan", "compare", "nineveh-plains-sinjar-province", "krg-releases-claims",
                          "--draws", "30", "--json"], capsys)
    assert code == 0, err
    u = json.loads(out)["uncertainty"]
    assert set(u["plans"]) == {"nineveh-plains-sinjar-province", "krg-releases-claims"}
    pair = u["paired"]["nineveh-plains-sinjar-province vs krg-releases-claims"]
    y = pair["baseline/stranded:yazidi"]
    assert y["direction"] == "lower"
    assert y["a_better"] + y["b_better"] + y["tie"] == pytest.approx(1.0)
    code, out, err = run(["plan", "compare", "nineveh-plains-sinjar-province", "krg-releases-claims",
                          "--draws", "30"], capsys)
    assert code == 0, err and "share of paired draws" in out


@pytest.mark.parametrize("args,match", [
    (["--draws", "-2"], "--draws must lie in 0..100000"),
])
def test_bad_draws(capsys, args, match):
    code, _out, err = run(["plan", "evaluate", "status-quo-2014", *args], capsys)
    assert code != 0 and match in err


def test_ranges_file_errors_name_file_unit_and_fix(capsys, tmp_path, iraq):
    bad = tmp_path / "ranges.csv"
    u = iraq.territory.unit_ids[0]
    bad.write_text(f"census,unit_id,field,low,high\nbaseline,{u},kurd,900,100\n")
    code, _, err = run(["plan", "evaluate", "status-quo-2014", "--draws", "10", "--ranges", bad], capsys)
    assert code == 3
    assert str(bad) in err and u in err and "low 900 is above high 100" in err and "Fix:" in err
    bad.write_text(f"census,unit_id,field,low,high\n2040,{u},kurd,1,2\n")
    code, _out, err = run(["plan", "evaluate", "status-quo-2014", "--draws", "10", "--ranges", bad], capsys)
    assert code == 3 and "2040" in err and "census" in err


def test_councils_simulate_with_draws(capsys, iraq):
    code, out, err = run(["councils", "simulate", "nineveh-plains-sinjar-province", "--draws", "30",
                          "--census", "baseline", "--json"], capsys)
    assert code == 0, err
    d = json.loads(out)
    regions = d["uncertainty"]["councils"]["baseline"]
    assert [r["region"] for r in regions] == [r["region_name"] for r in d["regions"]]
    for r in regions:
        for c in r["communities"].values():
            assert c["p05"] <= c["p50"] <= c["p95"]
    code, out, err = run(["councils", "simulate", "nineveh-plains-sinjar-province", "--draws", "20"], capsys)
    assert code == 0, err and "Seats over 20 census draws" in out


def test_security_run_with_draws(capsys, iraq):
    code, out, err = run(["security", "run", "--plan", "nineveh-plains-sinjar-province", "--census",
                          "current", "--draws", "20", "--max-lp", "3", "--json"], capsys)
    assert code == 0, err
    d = json.loads(out)
    s = d["uncertainty"]["security"]
    assert s["draws"] == 20 and s["lp_draws"] == 3
    assert s["requirement"]["point"] == pytest.approx(d["requirement_total"])
    assert s["shortfall"]["point"] == pytest.approx(d["shortfall_total"])
    assert s["shortfall"]["p05"] <= s["shortfall"]["p95"]
    assert [r["region"] for r in s["regions"]] == [r["region"] for r in d["regions"]]
    code, out, err = run(["security", "run", "--draws", "5", "--max-lp", "0"], capsys)
    assert code != 0 and "--max-lp" in err


def test_settle_with_draws(capsys, iraq):
    code, out, err = run(["settle", "compensate", "--plan", "krg-releases-claims", "--rule", "indemnity",
                          "--draws", "20", "--json"], capsys)
    assert code == 0, err
    s = json.loads(out)["uncertainty"]["settle"]
    ind = s["settlements"]["indemnity"]
    assert s["solved"] == 20 and ind["allocation_changes"] == 0.0
    assert set(ind["parties"]) == set(json.loads(out)["parties"])
    code, out, err = run(["settle", "run", "--method", "knaster", "--draws", "6", "--max-solves", "3",
                          "--json"], capsys)
    assert code == 0, err
    s = json.loads(out)["uncertainty"]["settle"]
    assert s["solved"] == 3 and 0 <= s["settlements"]["knaster"]["allocation_changes"] <= 1
    code, out, err = run(["settle", "compensate", "--plan", "krg-releases-claims", "--rule", "knaster",
                          "--draws", "5"], capsys)
    assert code != 0 and "--draws prices the release rules" in err


def test_engine_criteria_with_draws(capsys, iraq):
    from importlib import resources

    path = resources.files("dayafter.cases.northern_iraq").joinpath("criteria_engines.json")
    code, out, err = run(["plan", "evaluate", "nineveh-plains-sinjar-province", "--criteria", str(path),
                          "--draws", "8", "--json"], capsys)
    assert code == 0, err
    d = json.loads(out)
    crit = d["uncertainty"]["criteria"]
    assert {(c["name"], c["census"]) for c in crit} == {(c["name"], c["census"]) for c in d["criteria"]}
    for c in crit:
        assert 0 <= c["pass_share"] <= 1 and c["draws"] == 8 and c["verdict"] in ("robust", "fragile")
