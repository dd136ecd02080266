"""``dayafter report`` end to end through the CLI entry point (exit codes, files written)."""

from __future__ import annotations

import pytest
from tests.unit.report.htmlcheck import external_refs, read_html, table_dicts

from dayafter.cli._common import run_guarded
from dayafter.cli.main import app


def test_report_scenario_html_and_xlsx(iraq, tmp_path, capsys):
    out_html = tmp_path / "d.html"
    out_xlsx = tmp_path / "d.xlsx"
    rc = run_guarded(app, args=["report", "nineveh-plains-sinjar-province", "--out", str(out_html),
                                "--out", str(out_xlsx), "--council-seats", "15", "--no-maps"])
    assert rc == 0, capsys.readouterr().err
    html = out_html.read_text(encoding="utf-8")
    assert external_refs(html) == []
    r = read_html(html)
    councils = table_dicts(r.tables["plan-1-councils"])
    plan = iraq.plans["nineveh-plains-sinjar-province"]
    assert [c["region"] for c in councils] == plan.region_names * 2  # two censuses
    assert all(int(c["council size"]) == 15 for c in councils)
    assert "plan-1-change" in r.tables  # measured from the case's status quo
    comm = table_dicts(r.tables["plan-1-baseline-communities"])
    assert [c["community_ar"] for c in comm] == [iraq.communities[k]["label_ar"]
                                                 for k in iraq.territory.communities]
    assert out_xlsx.stat().st_size > 0
    assert "wrote" in capsys.readouterr().err


def test_report_plan_file_is_hashed(iraq, tmp_path):
    from dayafter.io.plans import write_plan

    plan = iraq.plans["krg-releases-claims"]
    path = tmp_path / "mine.csv"
    write_plan(plan.with_moves([0], int(plan.assignment[1])).renamed("mine"), iraq.territory, path)
    out = tmp_path / "d.html"
    rc = run_guarded(app, args=["report", str(path), "--out", str(out), "--no-maps", "--no-reference"])
    assert rc == 0
    from html import unescape

    from dayafter.manifest import sha256_file

    text = unescape(out.read_text(encoding="utf-8"))
    assert sha256_file(path) in text
    from importlib import resources

    census = resources.files("dayafter.cases.northern_iraq") / "census.csv"
    with resources.as_file(census) as p:
        assert f'"case:northern-iraq/census.csv": "{sha256_file(p)}"' in text
    assert "plan-1-change" not in read_html(text).tables


@pytest.mark.parametrize(("args", "code"), [
    (["report", "status-quo-2014"], 3),                                   # no --out
    (["report", "no-such-plan", "--out", "x.html"], 3),                   # unknown plan
    (["report", "status-quo-2014", "--out", "x.docx", "--no-maps"], 3),   # unknown format
])
def test_report_errors(args, code, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    rc = run_guarded(app, args=args)
    err = capsys.readouterr().err
    assert rc == code, err
    assert "error" in err
    assert not any(tmp_path.iterdir())


def test_plan_order_is_kept(iraq, tmp_path, capsys):
    import json

    out = tmp_path / "d.xlsx"
    rc = run_guarded(app, args=["report", "local-deal-2015", "after-october-2017", "--out", str(out),
                                "--no-maps", "--json"])
    assert rc == 0
    import pandas as pd

    cmp_df = pd.read_excel(out, sheet_name="comparison")
    assert [p["name"] for p in json.loads(capsys.readouterr().out)["manifest"]["plans"]] == [
        "local-deal-2015", "after-october-2017"]
    assert list(cmp_df.columns[2:]) == ["local-deal-2015", "after-october-2017"]
    assert float(cmp_df.iloc[0, 2]) > 0  # numbers stay numbers in mixed columns
    assert cmp_df.iloc[0, 1] == "regions"


def test_report_with_security_and_settlement(tmp_path):
    out = tmp_path / "d.html"
    rc = run_guarded(app, args=["report", "krg-releases-claims", "--security", "--settle", "knaster",
                                "--settle", "max-nash-welfare", "--no-maps", "--out", str(out)])
    assert rc == 0
    r = read_html(out.read_text(encoding="utf-8"))
    assert {"security-summary", "plan-1-security", "plan-1-security-forces", "settlement-1-parties",
            "settlement-2-units"} <= set(r.tables)
    rc = run_guarded(app, args=["report", "krg-releases-claims", "--settle", "no-such-method",
                                "--no-maps", "--out", str(tmp_path / "e.html")])
    assert rc == 3
    assert not (tmp_path / "e.html").exists()


@pytest.mark.slow
def test_report_with_an_ensemble_run(iraq, tmp_path):
    from dayafter.ensemble import ReComSampler
    from dayafter.report import EnsembleContext
    from dayafter.report.ensemble import percentile_of

    # ReCom needs contiguous polities: the chain starts from after-october-2017 (seven
    # governorates); the province plan (eight polities, two of them in two pieces) is reported
    # beside it as a plan with another number of regions
    plan = iraq.plans["after-october-2017"]
    run = tmp_path / "run"
    ReComSampler(steps=120, chains=1, seed=7, thin=12, metrics=["theil_h", "stranded:yazidi"],
                 n_jobs=1, constraints={"tolerance": None, "pop_min": 0, "pop_max": 1e9}
                 ).run(iraq.territory, plan, run)
    out = tmp_path / "d.html"
    rc = run_guarded(app, args=["report", "nineveh-plains-sinjar-province", plan.name, "--ensemble",
                                str(run), "--no-maps", "--out", str(out)])
    assert rc == 0
    html = out.read_text(encoding="utf-8")
    assert external_refs(html) == []
    rows = {row["key"] if "key" in row else row["metric"]: row
            for row in table_dicts(read_html(html).tables["ensemble-table"])}
    ens = EnsembleContext.from_run(run, iraq.territory)
    import dayafter as da

    v = da.evaluate(iraq.territory, plan).scalars()["current/stranded:yazidi"]
    row = rows["stranded: Yazidis (current)"]
    expected = percentile_of(ens.scalars["current/stranded:yazidi"].to_numpy(), v)
    assert float(row[f"{plan.name} percentile"]) == pytest.approx(expected, abs=0.051)
    assert "another number of regions" in html
    assert html.count("data:image/png") == 1 + 1 + 2 + 9  # distributions, PP, 2 largest shares, 9 community shares


def test_report_with_the_case_council_rules(iraq, tmp_path):
    from dayafter.cases.northern_iraq.councils import provincial_rules_2023
    from dayafter.councils import simulate_councils

    plan = iraq.plans["nineveh-plains-sinjar-province"]
    out = tmp_path / "d.html"
    rc = run_guarded(app, args=["report", plan.name, "--councils", "iraq-2023", "--no-maps",
                                "--out", str(out)])
    assert rc == 0
    rows = table_dicts(read_html(out.read_text(encoding="utf-8")).tables["plan-1-councils"])
    sim = simulate_councils(iraq.territory, plan, rules=provincial_rules_2023())
    label = {k: iraq.community_label(k) for k in iraq.territory.communities}
    for census in iraq.territory.census_names:
        got = [r for r in rows if r["census"] == census]
        seats = sim.seats_table(census)
        for j, r in enumerate(got):
            assert [int(r[label[c]]) for c in sim.communities] == seats[j].tolist()
    assert run_guarded(app, args=["report", plan.name, "--council-method", "dhondt", "--no-maps",
                                  "--out", str(tmp_path / "x.html")]) == 3


def test_report_from_a_project_with_criteria_file(grid_territory, tmp_path):
    import json

    import numpy as np

    from dayafter.io.project import write_project
    from dayafter.plan import Plan, Region

    t = grid_territory
    p = Plan(np.array([0] * 8 + [1] * 8), (Region("N", "federal"), Region("S", "krg")),
             t.content_hash, name="two")
    q = p.with_moves([7], 1).renamed("moved")
    project = tmp_path / "p.gpkg"
    write_project(t, project, plans=[p, q])
    crit = tmp_path / "crit.json"
    crit.write_text(json.dumps([{"name": "small", "metric": "population", "max": 10}]))
    out = tmp_path / "d.html"
    rc = run_guarded(app, args=["report", "two", "moved", "--project", str(project), "--reference",
                                "two", "--criteria", str(crit), "--out", str(out)])
    assert rc == 0
    html = out.read_text(encoding="utf-8")
    assert external_refs(html) == []
    r = read_html(html)
    crit_rows = table_dicts(r.tables["plan-2-criteria"])
    assert {c["criterion"] for c in crit_rows} == {"small"}
    assert all(c["result"] == "FAIL" for c in crit_rows)
    change = table_dicts(r.tables["plan-2-change"])
    assert change == [{"from": "federal", "to": "krg", "units": "1",
                       "people (now)": f"{t.population('now')[7]:,.0f}",
                       "people (before)": f"{t.population('before')[7]:,.0f}"}]
    assert "provenance-table" not in r.tables


def test_report_with_compensation_against_the_reference(iraq, tmp_path):
    import json
    from importlib import resources

    from dayafter.settle import model_from_spec, plan_against_reference

    out = tmp_path / "c.html"
    rc = run_guarded(app, args=["report", "status-quo-2014", "krg-releases-claims", "--compensation",
                                "--census", "current", "--no-maps", "--out", str(out)])
    assert rc == 0
    html = out.read_text(encoding="utf-8")
    r = read_html(html)
    assert "plan-1-compensation" not in r.tables  # the reference is not compensated against itself
    rows = {x["party"]: x for x in table_dicts(r.tables["plan-2-compensation"])}
    spec = json.loads(resources.files("dayafter.cases.northern_iraq").joinpath(
        "settle", "parties.json").read_text(encoding="utf-8"))
    t = iraq.territory
    units = [u for u in spec["disputed_units"] if u in set(t.unit_ids.tolist())]
    res, pr, _ = plan_against_reference(t, model_from_spec(spec), units,
                                        iraq.plans["krg-releases-claims"],
                                        iraq.plans["status-quo-2014"], census="current")
    for rule, st in res.items():
        for i, party in enumerate(pr.parties):
            got = float(rows[party][f"transfer ({rule})"].replace(",", ""))
            assert got == pytest.approx(st.transfers[i], abs=0.5)
    assert float(rows["krg"]["transfer (indemnity)"].replace(",", "")) > 0
    assert "It receives USD" in html and "It releases" in html


@pytest.mark.slow  # ~10 s: the CLI path; tests/unit/report/test_engine_ranges.py checks the figures
def test_report_draws_add_engine_ranges_and_engine_criteria(iraq, tmp_path):
    # the flags' engines run again on the draws; a criteria file reading the councils gets the
    # case's council rules and its pass shares (no --councils needed for the criterion)
    from importlib import resources

    crit = resources.files("dayafter.cases.northern_iraq").joinpath("criteria_engines.json")
    out = tmp_path / "r.html"
    rc = run_guarded(app, args=["report", "status-quo-2014", "krg-releases-claims", "--councils", "case",
                                "--compensation", "--census", "current", "--draws", "4", "--no-maps",
                                "--criteria", str(crit), "--out", str(out)])
    assert rc == 0
    r = read_html(out.read_text(encoding="utf-8"))
    seats = table_dicts(r.tables["uncertainty-councils"])
    assert {x["plan"] for x in seats} == {"status-quo-2014", "krg-releases-claims"}
    assert all(x["census"] == "current" for x in seats)
    transfers = table_dicts(r.tables["uncertainty-transfers"])
    assert {x["plan"] for x in transfers} == {"krg-releases-claims"}  # not against itself
    assert {x["rule"] for x in transfers} == {"indemnity", "nash-reference"}
    names = {x["criterion"] for x in table_dicts(r.tables["uncertainty-criteria"])}
    assert "minority-council-seats" in names
