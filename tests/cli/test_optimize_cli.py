"""``dayafter optimize run|pareto`` on the built-in case, with plans written and exit codes."""

from __future__ import annotations

import json

import numpy as np
import pytest

from dayafter.cli._common import run_guarded
from dayafter.cli.main import app

SPEC = """\
census: current
name: kirkuk-optimized
regions:
  - {name: North, authority: krg}
  - {name: South, authority: federal}
maximize:
  - {metric: empowerment_plurality, communities: [turkmen, kurd]}
minimize:
  - {metric: stranded, communities: [sunni_arab]}
constraints:
  tolerance: 0.5
second:
  maximize: [homogeneity]
"""


def run(args, capsys):
    code = run_guarded(app, args=[str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.fixture
def spec(tmp_path):
    p = tmp_path / "spec.yaml"
    p.write_text(SPEC)
    return p


@pytest.mark.slow
def test_run_writes_a_plan_with_its_certificate(tmp_path, spec, capsys, iraq):
    from dayafter.io.plans import read_plan
    from dayafter.optimize.subset import subset_territory

    out = tmp_path / "plan.json"
    # the MIP proves the optimum in about 10 s on an idle core; the limit leaves room for a busy machine
    code, stdout, err = run(["optimize", "run", spec, "--subset", "governorate=IQG13",
                             "--time-limit", "180", "--out", out, "--json"], capsys)
    assert code == 0, err
    d = json.loads(stdout)
    assert d["status"] == "optimal" and d["gap"] == 0.0 and d["feasible"]
    assert d["objective"] == pytest.approx(d["bound"], abs=1e-6)
    # a plan of the whole case: the reference plan around the two regions drawn in Kirkuk
    assert [r["name"] for r in d["regions"]][-2:] == ["North", "South"]
    t = subset_territory(iraq.territory, level="governorate", codes=["IQG13"])
    plan = read_plan(out, iraq.territory)
    assert plan.name == "kirkuk-optimized" and "gap 0.000%" in plan.notes
    assert plan.regions[-2].authority == "krg" and plan.is_complete
    inside = np.isin(iraq.territory.unit_ids, t.unit_ids)
    assert set(plan.assignment[inside].tolist()) == {plan.k - 2, plan.k - 1}
    ref = iraq.reference_plan
    assert [plan.region_names[r] for r in plan.assignment[~inside]] == \
        [ref.region_names[r] for r in ref.assignment[~inside]]
    # the human-readable form
    code, stdout, err = run(["optimize", "run", spec, "--subset", "governorate=IQG13",
                             "--method", "bursts", "--time-limit", "2", "--steps", "2000"],
                            capsys)
    assert code == 0, err
    assert "Objective terms" in stdout and "no bound" in stdout


@pytest.mark.slow
def test_pareto_writes_one_plan_per_point(tmp_path, spec, capsys):
    out = tmp_path / "front"
    code, stdout, err = run(["optimize", "pareto", spec, "--subset", "governorate=IQG13",
                             "--time-limit", "20", "--out", out, "--json"], capsys)
    assert code == 0, err
    d = json.loads(stdout)
    assert d["complete"] and len(d["points"]) >= 1
    assert all((out / f"{p['plan']}.json").exists() for p in d["points"])


def test_infeasible_spec_exits_4_with_an_explanation(tmp_path, capsys):
    p = tmp_path / "bad.json"
    p.write_text(json.dumps({"regions": 5, "maximize": ["homogeneity"],
                             "constraints": {"tolerance": 0.01}}))
    code, _out, err = run(["optimize", "run", p, "--subset", "governorate=IQG09"], capsys)
    assert code == 4
    assert "more people than any region" in err or "no contiguous plan" in err


def test_bad_spec_exits_3(tmp_path, capsys):
    p = tmp_path / "bad.yaml"
    p.write_text("maximize: [happiness]\n")
    code, _out, err = run(["optimize", "run", p], capsys)
    assert code == 3 and "unknown objective metric" in err
    p.write_text("maximize: [homogeneity]\n")
    code, _out, err = run(["optimize", "pareto", p], capsys)
    assert code == 3 and "'second' objective" in err
    code, _out, err = run(["optimize", "run", p, "--subset", "governorate"], capsys)
    assert code == 3 and "LEVEL=CODE" in err


@pytest.mark.slow  # the MIP proof of infeasibility: 1-2 minutes on 2 cores
def test_heuristic_without_a_feasible_plan_exits_4(tmp_path, capsys):
    p = tmp_path / "hard.yaml"
    p.write_text("census: current\nregions: 2\nmaximize: [homogeneity]\nconstraints:\n"
                 "  tolerance: 0.5\n  criteria:\n"
                 "    - {name: all-yazidi, metric: empowerment_plurality, min: 1.0,\n"
                 "       where: {communities: [yazidi, christian]}}\n")
    code, out, err = run(["optimize", "run", p, "--subset", "governorate=IQG15", "--method",
                          "bursts", "--time-limit", "2", "--steps", "2000"], capsys)
    assert code == 4 and "FAIL" in out and "not a proof" in err
    code, out, err = run(["optimize", "run", p, "--subset", "governorate=IQG15", "--method",
                          "mip", "--time-limit", "60"], capsys)
    assert code == 4 and "proved that no contiguous plan" in err


@pytest.mark.slow  # 1-3 minutes; tests/unit/optimize/test_negotiation.py checks the optimizer
def test_negotiation_from_the_bench_spec(tmp_path, capsys, iraq):
    """The bench spec with a smaller budget and a short heuristic run: the plan covers the case,
    keeps the start plan's names and authorities, moves only Nineveh's units, at most three."""
    from pathlib import Path

    from dayafter.io.plans import read_plan

    spec = Path(__file__).resolve().parents[2] / "src" / "dayafter" / "optimize" / "specs" / \
        "nineveh-negotiation.yaml"
    out = tmp_path / "neg.json"
    code, stdout, err = run(["optimize", "run", spec, "--method", "bursts", "--time-limit", "3",
                             "--steps", "3000", "--restarts", "1", "--budget-units", "3",
                             "--out", out, "--json"], capsys)
    assert code == 0, err
    d = json.loads(stdout)
    assert d["census"] == "the worst of 'baseline', 'current'"
    assert set(d["census_objectives"]) == {"baseline", "current"}
    assert d["objective"] == pytest.approx(min(d["census_objectives"].values()))
    assert d["change"]["units"] <= 3 and d["change"]["by"] == "region"
    t = iraq.territory
    plan = read_plan(out, t)
    assert plan.is_complete and "Tilkaef Shekhan and Aqra" in plan.region_names
    assert plan.regions[plan.region_index("Sinjar")].authority == "self-administered"
    outside = t.admin["governorate"] != "IQG15"
    ref = iraq.plans["status-quo-2014"]
    assert [plan.region_names[r] for r in plan.assignment[outside]] == \
        [ref.region_names[r] for r in ref.assignment[outside]]
    # disputed units as the movable set, from the case's data
    code, stdout, err = run(["optimize", "run", spec, "--method", "bursts", "--time-limit", "2",
                             "--steps", "1000", "--restarts", "1", "--movable", "disputed",
                             "--json"], capsys)
    assert code == 0, err
    disputed = set(iraq.territory.unit_ids[np.isin(
        iraq.territory.unit_ids, json.loads(stdout)["change"]["unit_ids"])].tolist())
    from dayafter.project import Project

    assert disputed <= set(Project.from_case("northern-iraq").parties_spec["disputed_units"])


def test_run_robust_over_census_draws_on_a_subset(tmp_path, spec, capsys, iraq):
    """``--draws``: the objective on the census and four draws of its stated ranges (kept by the
    subset), the worst of them the objective; the notes say so."""
    from dayafter.optimize.subset import subset_territory

    t = subset_territory(iraq.territory, level="governorate", codes=["IQG13"])
    inside = np.isin(iraq.territory.admin["governorate"], ["IQG13"])
    for census, r in iraq.territory.ranges.items():
        np.testing.assert_array_equal(t.ranges[census].high, r.high[inside])
    code, stdout, err = run(["optimize", "run", spec, "--subset", "governorate=IQG13", "--draws", "4",
                             "--method", "bursts", "--time-limit", "3", "--steps", "2000", "--json"],
                            capsys)
    assert code == 0, err
    d = json.loads(stdout)
    assert d["census"] == "the worst of 'current' and 4 draws of its ranges (seed 0)"
    parts = d["census_objectives"]
    assert list(parts) == ["current", "current~1", "current~2", "current~3", "current~4"]
    assert len(set(parts.values())) > 1  # the draws differ from the census
    assert d["objective"] == pytest.approx(min(parts.values()))
    code, _out, err = run(["optimize", "run", spec, "--subset", "governorate=IQG13", "--draws", "100"],
                          capsys)
    assert code == 3 and "draws must be a whole number from 0 to 64" in err
