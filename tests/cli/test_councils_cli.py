"""``dayafter councils``: apportion a vote table, simulate a plan's councils, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from dayafter.cli._common import run_guarded
from dayafter.cli.main import app

DATA = Path(__file__).parents[1] / "unit" / "councils" / "data"


def run(args, capsys):
    code = run_guarded(app, args=[str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def qadisiyyah(tmp_path: Path) -> tuple[Path, list[int]]:
    d = pd.read_csv(DATA / "iraq_2013_provincial.csv")
    d = d[d["governorate"] == "Al-Qadisiyyah"]
    path = tmp_path / "votes.csv"
    d[["list", "votes"]].to_csv(path, index=False)
    return path, d["seats"].tolist()


def test_apportion_reproduces_published_table(qadisiyyah, capsys) -> None:
    path, seats = qadisiyyah
    code, out, err = run(["councils", "apportion", path, "--seats", 28, "--method", "webster",
                          "--first-divisor", "1", "--json"], capsys)
    assert code == 0, err
    d = json.loads(out)
    assert [r["seats"] for r in d["lists"]] == seats
    assert d["decided"] and d["indices"]["gallagher"] > 0
    code, out, err = run(["councils", "apportion", path, "--seats", 28], capsys)
    assert code == 0 and "State of Law" in out and "Gallagher" in out


def test_apportion_reserved_threshold_and_tie(tmp_path, capsys) -> None:
    path = tmp_path / "v.csv"
    path.write_text("list,votes,community,race\nA,600,arab,\nB,300,kurd,\nC,\"1,000\",arab,\n"
                    "Chr-1,40,christian,Christian\nChr-2,30,christian,Christian\nS,20,shabak,\n",
                    encoding="utf-8")
    code, out, err = run(["councils", "apportion", path, "--seats", 10, "--reserved", "Christian=1",
                          "--threshold", "0.05", "--exempt", "S", "--json"], capsys)
    assert code == 0, err
    d = json.loads(out)
    seats = {r["list"]: r["seats"] for r in d["lists"]}
    assert seats["Chr-1"] == 1 and seats["Chr-2"] == 0
    assert sum(seats.values()) == 10
    assert d["by_community"]["christian"]["reserved"] == 1
    tie = tmp_path / "tie.csv"
    tie.write_text("list,votes\nA,100\nB,100\n", encoding="utf-8")
    code, out, err = run(["councils", "apportion", tie, "--seats", 1], capsys)
    assert code == 0 and "undecided" in out
    code, out, err = run(["councils", "apportion", tie, "--seats", 1, "--seed", 7, "--json"], capsys)
    d = json.loads(out)
    assert d["decided"] and d["ties"][0]["by_lot"] and d["ties"][0]["seed"] == 7


@pytest.mark.parametrize(
    "content,args,code,text",
    [
        ("", [], 3, "empty"),
        ("list,votes\n", [], 3, "no lists"),
        ("name,count\nA,1\n", [], 3, "no 'list' column"),
        ("list,votes\nA,10\nB,-3\n", [], 3, "row 3 (list 'B') has negative votes"),
        ("list,votes\nA,10\nB,x\n", [], 3, "row 3"),
        ("list,votes\nA,10\nA,3\n", [], 3, "already appears on row 2"),
        ("list,votes\nA,10\nB,3.5\n", [], 3, "whole number"),
        ("list,votes,race\nA,10,\nB,3,X\n", ["--reserved", "X=9"], 4, "do not fit"),
        ("list,votes\nA,10\nB,3\n", ["--method", "borda"], 3, "unknown apportionment method"),
        ("list,votes\nA,10\nB,3\n", ["--reserved", "X"], 3, "RACE=SEATS"),
    ],
)
def test_apportion_bad_input(tmp_path, capsys, content, args, code, text) -> None:
    path = tmp_path / "votes.csv"
    path.write_text(content, encoding="utf-8")
    rc, _out, err = run(["councils", "apportion", path, "--seats", 5, *args], capsys)
    assert rc == code
    assert text in err and err.count("\n") == 1
    assert "Fix:" in err or code == 3


def test_methods(capsys) -> None:
    code, out, _ = run(["councils", "methods", "--json"], capsys)
    assert code == 0 and {m["method"] for m in json.loads(out)} >= {"dhondt", "droop"}


def test_simulate_case_scenario(capsys) -> None:
    code, out, err = run(["councils", "simulate", "nineveh-plains-sinjar-province", "--census",
                          "current", "--json"], capsys)
    assert code == 0, err
    d = json.loads(out)
    seats = pd.DataFrame(d["seats"])
    assert set(seats["census"]) == {"current"}
    regions = pd.DataFrame(d["regions"]).set_index("region_name")
    # every quota seat of the 2023 table whose community the case has ends up somewhere:
    # Ninewa's Christian, Yazidi and Shabak seats and Kirkuk's Christian seat
    assert regions["reserved_seats"].sum() == 4
    by_region = seats.groupby("region_name")["seats"].sum()
    assert (by_region.reindex(regions.index) == regions["council_size"]).all()
    assert d["rules"]["first_divisor"] == "17/10"


def test_simulate_options_and_rules_file(tmp_path, capsys) -> None:
    rules = tmp_path / "rules.json"
    rules.write_text(json.dumps({"method": "dhondt", "size": 11,
                                 "reserved_default": {"christian": 1},
                                 "voting": {"turnout": {"*": 0.5, "kurd": 0.6}}}), encoding="utf-8")
    out_csv = tmp_path / "seats.csv"
    code, out, err = run(["councils", "simulate", "status-quo-2014", "--rules", rules, "--census",
                          "baseline", "--out", out_csv], capsys)
    assert code == 0, err
    assert "Seats by community, census baseline" in out
    seats = pd.read_csv(out_csv)
    assert (seats.groupby("region_name")["seats"].sum() <= 11).all()
    code, out, err = run(["councils", "simulate", "status-quo-2014", "--size", 7, "--json",
                          "--census", "current"], capsys)
    assert code == 0, err
    regions = pd.DataFrame(json.loads(out)["regions"])
    assert (regions["council_size"] == 7).all()
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"size": 5, "colour": "red"}), encoding="utf-8")
    code, out, err = run(["councils", "simulate", "status-quo-2014", "--rules", bad], capsys)
    assert code == 3 and "colour" in err and "bad.json" in err
    code, out, err = run(["councils", "simulate", "no-such-plan"], capsys)
    assert code == 3 and "scenario" in err


def test_help_subprocess() -> None:
    r = subprocess.run([sys.executable, "-m", "dayafter.cli.main", "councils", "--help"],
                       capture_output=True, text=True, timeout=120, check=False)
    assert r.returncode == 0 and "apportion" in r.stdout and "simulate" in r.stdout


def test_simulate_on_a_project(tmp_path, make_grid, capsys) -> None:
    """A project built from files: sizes must be given; one seat per N residents works."""
    gdf = make_grid(4, 4)
    layer = tmp_path / "units.geojson"
    gdf.to_file(layer, driver="GeoJSON")
    proj = tmp_path / "proj.gpkg"
    code, _, err = run(["territory", "build", layer, "--id-col", "uid", "--communities", "c0,c1,c2",
                        "--census", "now=layer:{}", "--out", proj], capsys)
    assert code == 0, err
    ids = [f"C{i:02d}{j:02d}" for i in range(4) for j in range(4)]
    plan_csv = tmp_path / "a.csv"
    plan_csv.write_text("unit_id,region\n" + "\n".join(f"{u},{1 + (k // 8)}" for k, u in enumerate(ids)))
    code, _, err = run(["councils", "simulate", plan_csv, "--project", proj], capsys)
    assert code == 3 and "--size" in err
    code, out, err = run(["councils", "simulate", plan_csv, "--project", proj,
                          "--residents-per-seat", 50, "--method", "dhondt", "--json"], capsys)
    assert code == 0, err
    d = json.loads(out)
    regions = pd.DataFrame(d["regions"])
    pops = gdf[["c0", "c1", "c2"]].sum(axis=1).to_numpy()
    exp = [max(1, int(pops[:8].sum() / 50 + 0.5)), max(1, int(pops[8:].sum() / 50 + 0.5))]
    assert regions["council_size"].tolist() == exp
    assert d["rules"]["method"] == "dhondt" and d["rules"]["first_divisor"] is None


def test_simulate_with_vote_table(tmp_path, capsys) -> None:
    votes = tmp_path / "votes.csv"
    votes.write_text(
        "region,list,votes,community,race\n"
        "Nineveh Plains and Sinjar,Yazidi Progress,20000,yazidi,\n"
        "Nineveh Plains and Sinjar,KDP,8000,kurd,\n"
        "Nineveh Plains and Sinjar,Babylon,9000,christian,christian\n"
        "Nineveh Plains and Sinjar,Chaldean List,7000,christian,christian\n"
        "Nineveh Plains and Sinjar,Shabak List,15000,shabak,\n"
        "Nineveh Plains and Sinjar,Assyrian List,12000,christian,\n"
        "Nineveh Plains and Sinjar,Arab List,21000,sunni_arab,\n", encoding="utf-8")
    code, out, err = run(["councils", "simulate", "nineveh-plains-sinjar-province", "--votes", votes,
                          "--size", 9, "--census", "current", "--json"], capsys)
    assert code == 0, err
    d = json.loads(out)
    assert d["vote_source"] == "table"
    lists = pd.DataFrame(d["lists"])
    plains = lists[lists.region_name == "Nineveh Plains and Sinjar"].set_index("list")
    # --size replaces the case's carried-over rules, so there are no reserved seats: the two
    # lists in the christian race are dropped and noted
    assert "Babylon" not in plains.index
    assert plains["seats"].sum() == 9
    assert any("dropped" in n for n in d["notes"]["current"])
    bad = tmp_path / "bad.csv"
    bad.write_text("region,list,votes,community\nNowhere,L,5,kurd\n", encoding="utf-8")
    code, out, err = run(["councils", "simulate", "nineveh-plains-sinjar-province", "--votes", bad,
                          "--size", 9], capsys)
    assert code == 3 and "bad.csv" in err and "Nowhere" in err
