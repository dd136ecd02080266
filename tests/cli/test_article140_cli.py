"""``dayafter returns|referendum|claims|sequence``: JSON output, tables, files and bad input."""

from __future__ import annotations

import json

import pytest

from dayafter.cli._common import run_guarded
from dayafter.cli.main import app


def run(args, capsys):
    code = run_guarded(app, args=[str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_returns_project_json_and_census_file(tmp_path, capsys, iraq):
    out = tmp_path / "projected.csv"
    code, stdout, err = run(["returns", "project", "--plan", "nineveh-plains-sinjar-province",
                             "--horizon", "3", "--draws", "40", "--seed", "7", "--out", out,
                             "--json"], capsys)
    assert code == 0, err
    d = json.loads(stdout)
    assert d["plan"] == "nineveh-plains-sinjar-province" and d["draws"] == 40
    assert d["totals"]["returns_p05"] <= d["totals"]["returns_p95"]
    assert d["totals"]["returns"] <= d["totals"]["displaced"]
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "census,unit_id," + ",".join(iraq.territory.communities)
    assert len(lines) == iraq.territory.n_units + 1
    code, stdout, _ = run(["returns", "project", "--draws", "0"], capsys)
    assert code == 0 and "Who returns where" in stdout


def test_returns_security_options(tmp_path, capsys, iraq):
    cov = tmp_path / "cov.csv"
    uid = iraq.territory.unit_ids[0]
    cov.write_text(f"unit_id,secure\n{uid},yes\n", encoding="utf-8")
    code, stdout, err = run(["returns", "project", "--security", cov, "--draws", "0", "--json"], capsys)
    assert code == 0, err
    assert json.loads(stdout)["security_assessed"] is True
    cov.write_text(f"unit_id,secure\n{uid},maybe\n", encoding="utf-8")
    code, _, err = run(["returns", "project", "--security", cov, "--draws", "0"], capsys)
    assert code == 3 and "row 2: secure 'maybe'" in err and "Fix:" in err
    code, _, err = run(["returns", "project", "--security", "forces", "--draws", "0", "--json"], capsys)
    assert code == 0, err


def test_returns_model_json(capsys):
    code, stdout, err = run(["returns", "model", "--json"], capsys)
    assert code == 0, err
    d = json.loads(stdout)
    assert {c["community"] for c in d["communities"]} >= {"yazidi", "christian"}
    assert d["observations"] and d["sources"]


def test_referendum_json_on_the_projected_census(capsys):
    code, stdout, err = run(["referendum", "run", "--census", "projected", "--horizon", "2",
                             "--level", "governorate", "--draws", "50", "--json"], capsys)
    assert code == 0, err
    d = json.loads(stdout)
    assert d["census"] == "projected" and d["level"] == "governorate" and d["draws"] == 50
    for a in d["areas"]:
        assert sum(a["probability"].values()) == pytest.approx(1.0)
    assert "status quo" in d["tie_rule"]


def test_referendum_bad_input(capsys):
    code, _, err = run(["referendum", "run", "--level", "province", "--draws", "0"], capsys)
    assert code == 3 and "unknown referendum level" in err
    code, _, err = run(["referendum", "run", "--scope", "IQG00Q00N00", "--draws", "0"], capsys)
    assert code == 3 and "IQG00Q00N00" in err


def test_claims_adjudicate_json_and_budget_override(capsys):
    code, stdout, err = run(["claims", "adjudicate", "--budget", "1000000", "--json"], capsys)
    assert code == 0, err
    d = json.loads(stdout)
    assert d["budget"]["available_usd"] == 1_000_000
    assert d["budget"]["balance_usd"] == pytest.approx(0.0, abs=1e-6)
    assert d["budget"]["spent_usd"] <= 1_000_000
    code, stdout, err = run(["claims", "table", "--json"], capsys)
    assert code == 0, err
    assert json.loads(stdout)["claims"]


def test_claims_bad_table(tmp_path, capsys):
    t = tmp_path / "claims.csv"
    t.write_text("claim_id,area,community,property_type,value_usd,cause,evidence_tier\n"
                 "c1,IQG13Q04N06,kurd,palace,100,arabization,1\n", encoding="utf-8")
    code, _, err = run(["claims", "adjudicate", "--table", t], capsys)
    assert code == 3
    assert str(t) in err and "row 2: property_type 'palace'" in err and "Fix:" in err


def test_sequence_run_and_list(tmp_path, capsys):
    code, stdout, err = run(["sequence", "run", "article-140", "--draws", "20", "--json"], capsys)
    assert code == 0, err
    d = json.loads(stdout)
    assert [s["kind"] for s in d["timeline"]] == ["normalise", "census", "referendum", "transfer",
                                                   "deploy", "elect"]
    code, stdout, _ = run(["sequence", "list"], capsys)
    assert code == 0 and "security-first" in stdout
    bad = tmp_path / "s.json"
    bad.write_text(json.dumps({"name": "x", "steps": [{"kind": "vote"}]}), encoding="utf-8")
    code, _, err = run(["sequence", "run", bad], capsys)
    assert code == 3 and "unknown step kind" in err and str(bad) in err
    code, _, err = run(["sequence", "run", "no-such"], capsys)
    assert code == 3 and "no-such" in err


def test_report_with_the_article140_section(tmp_path, capsys):
    out = tmp_path / "d.html"
    code, _, err = run(["report", "status-quo-2014", "--article140", "status-quo-2014", "--horizon",
                        "3", "--no-maps", "--out", out], capsys)
    assert code == 0, err
    html = out.read_text(encoding="utf-8")
    assert 'id="article140"' in html and "What restitution costs" in html
    code, _, err = run(["report", "status-quo-2014", "--article140", "no-such-plan", "--no-maps",
                        "--out", out], capsys)
    assert code == 3 and "no-such-plan" in err
