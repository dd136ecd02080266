"""``dayafter case sources``: both statuses, ranges and the census comparison per district."""

from __future__ import annotations

import json

import pytest

from dayafter.cli._common import run_guarded
from dayafter.cli.main import app


def run(args, capsys):
    code = run_guarded(app, args=[str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_districts_json_is_the_shipped_comparison(capsys, iraq):
    code, out, err = run(["case", "sources", "--districts", "--json"], capsys)
    assert code == 0, err
    rows = json.loads(out)
    assert rows == iraq.census2024["comparison"].to_dict("records")
    # the current totals are the case's own
    t = iraq.territory
    cur = t.census("current").sum(axis=1)
    for r in rows:
        mask = t.admin["district"] == r["district"]
        assert int(r["case_current"]) == round(float(cur[mask].sum()))
    assert sum(r["match"] == "exact" for r in rows) >= 30


def test_districts_table_names_the_ground_moves(capsys):
    code, out, err = run(["case", "sources", "--districts"], capsys)
    assert code == 0, err
    assert "match the census exactly" in out
    assert "1106 Akri (Duhok) -> IQG15 Ninewa: 216,146" in " ".join(out.split())


def test_summary_has_both_statuses_and_the_current_range(capsys, iraq):
    code, out, err = run(["case", "sources", "--json"], capsys)
    assert code == 0, err
    recs = json.loads(out)
    assert len(recs) == iraq.territory.n_units
    prov = iraq.provenance
    for rec in recs[:20]:
        rows = prov[prov["unit_id"] == rec["unit_id"]]
        tot = rows[(rows["field"] == "total") & (rows["census"] == "current")].iloc[0]
        assert rec["size_current"] == tot["size_status"]
        assert (rec["current_low"], rec["current"], rec["current_high"]) == (
            int(tot["low"]), int(tot["value"]), int(tot["high"]))
        comm = rows[rows["field"] != "total"]
        assert sum(rec[f"composition_{s}"] for s in ("sourced", "derived", "imputed")) == len(comm)
    code, out, err = run(["case", "sources"], capsys)
    assert code == 0 and "every figure has a low and a high" in " ".join(out.split())


def test_unit_rows_and_filters(capsys):
    code, out, err = run(["case", "sources", "--unit", "IQG15Q07N03", "--census", "current", "--json"], capsys)
    assert code == 0, err
    rows = json.loads(out)
    assert {r["field"] for r in rows} >= {"total", "yazidi"}
    for r in rows:
        assert int(r["low"]) <= int(r["value"]) <= int(r["high"])
        assert r["size_status"] and r["composition_status"] and r["range_rule"]
    code, out, err = run(["case", "sources", "--unit", "IQG15Q07N03", "--size-status", "sourced", "--json"], capsys)
    assert code == 0 and all(r["size_status"] == "sourced" for r in json.loads(out))


@pytest.mark.parametrize("opt", ["--status", "--size-status", "--composition-status"])
def test_unknown_status_is_a_clear_error(capsys, opt):
    code, _, err = run(["case", "sources", opt, "guessed"], capsys)
    assert code == 3
    assert "guessed" in err and "sourced, derived or imputed" in err
