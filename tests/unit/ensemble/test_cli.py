"""``dayafter ensemble run|summary|compare|replay`` through the Typer app."""

from __future__ import annotations

import json

import pytest

from dayafter.cli._common import run_guarded
from dayafter.cli.main import app


def _run(args, capsys):
    code = run_guarded(app, args=[str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.slow
def test_ensemble_cli_end_to_end(tmp_path, capsys):
    cons = tmp_path / "c.json"
    cons.write_text(json.dumps({"tolerance": None, "locked_regions": [0]}))
    run = tmp_path / "run"
    code, out, err = _run(["ensemble", "run", "--plan", "after-october-2017",
                           "--constraints", cons, "--steps", 150, "--chains", 2, "--jobs", 1,
                           "--seed", 4, "--thin", 50, "--metric", "theil_h",
                           "--metric-census", "current", "--out", run, "--no-progress",
                           "--json"], capsys)
    assert code == 0, err
    res = json.loads(out)
    assert res["counts"]["proposals"] == 300 and not res["interrupted"]
    code, out, err = _run(["ensemble", "summary", run, "--json"], capsys)
    assert code == 0, err
    assert "current/theil_h" in json.loads(out)["quantiles"]
    code, out, err = _run(["ensemble", "summary", run], capsys)
    assert code == 0 and "diagnostics" in out
    code, out, err = _run(["ensemble", "compare", run, "--plan", "after-october-2017",
                           "--json"], capsys)
    assert code == 0, err
    rep = json.loads(out)
    assert 0 <= rep["scalars"]["cut_edges"]["percentile"] <= 100
    assert "current/share:" + "Yazidi" in rep["regions"] or rep["regions"]
    code, out, err = _run(["ensemble", "replay", run, "--jobs", 1], capsys)
    assert code == 0 and "identical" in out, err


def test_ensemble_cli_seed_plan_and_errors(tmp_path, capsys):
    run = tmp_path / "seeded"
    code, out, err = _run(["ensemble", "run", "--regions", 4, "--tolerance", 0.25,
                           "--steps", 100, "--chains", 1, "--seed", 1, "--out", run], capsys)
    assert code == 0, err
    assert "100 steps" in out
    # the starting scenario is far from balanced: infeasible, exit 4, one line with a fix
    code, out, err = _run(["ensemble", "run", "--plan", "status-quo-2014", "--tolerance", 0.05,
                           "--steps", 10, "--out", tmp_path / "bad", "--no-progress"], capsys)
    assert code == 4 and "population bounds" in err and "Fix:" in err
    code, out, err = _run(["ensemble", "run", "--steps", 10, "--out", tmp_path / "none"], capsys)
    assert code == 3 and "--regions" in err


def test_ensemble_cli_subset_regions_and_refusals(tmp_path, capsys):
    run = tmp_path / "sub"
    code, out, err = _run(["ensemble", "run", "--plan", "status-quo-2014", "--subset",
                           "governorate=IQG15", "--regions", "2..3", "--balance", "wide",
                           "--metric", "community", "--steps", 60, "--chains", 2, "--jobs", 1,
                           "--seed", 2, "--out", run, "--no-progress", "--json"], capsys)
    assert code == 0, err
    res = json.loads(out)
    assert res["counts"]["proposals"] == 120
    assert any(k.startswith("current/empowerment_plurality:yazidi") for k in res["diagnostics"])
    code, out, err = _run(["ensemble", "compare", run, "--plan", "status-quo-2014"], capsys)
    assert code == 3 and "1 region in the subset" in err and "Fix:" in err
    code, out, err = _run(["ensemble", "compare", run, "--plan", "nineveh-plains-sinjar-province",
                           "--subset", "governorate=IQG13"], capsys)
    assert code == 3 and "same subset" in err
    code, out, err = _run(["ensemble", "compare", run, "--plan", "nineveh-plains-sinjar-province",
                           "--json"], capsys)
    assert code == 0, err
    assert json.loads(out)["regions_taking_part"] == 2
    code, out, err = _run(["ensemble", "run", "--subset", "governorate=IQG15", "--regions", "3",
                           "--steps", 10, "--out", tmp_path / "x"], capsys)
    assert code == 3 and "--plan" in err
