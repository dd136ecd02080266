"""Sequencing: settlement files, preconditions (stop, skip, proceed), effects on censuses and
plan, and the built-in settlements."""

from __future__ import annotations

import json

import numpy as np
import pytest

import dayafter as da
from dayafter._ranges import Estimate
from dayafter.errors import InputDataError
from dayafter.graph import UnitGraph
from dayafter.plan import Plan, Region
from dayafter.referendum import VotingModel
from dayafter.returns import Observation, ReturnModel
from dayafter.sequence import (
    SequenceInputs,
    case_settlements,
    load_settlement,
    run_sequence,
    settlement_from_dict,
)


def _inputs():
    g = UnitGraph.from_edges(3, [0, 1], [1, 2], [1.0, 1.0])
    t = da.Territory.from_arrays(
        ["u1", "u2", "u3"], ["k", "a"],
        {"baseline": np.array([[100.0, 0.0], [50.0, 50.0], [0.0, 100.0]]),
         "current": np.array([[40.0, 40.0], [50.0, 80.0], [0.0, 90.0]])}, g,
        admin={"district": ["D1", "D1", "D2"]}, name="three")
    plan = Plan(np.array([0, 0, 1]), (Region("North", "federal"), Region("South", "federal")),
                t.content_hash, name="start")
    obs = Observation("O", "*", "x", Estimate.exact(0.5), Estimate.exact(2.0))
    rm = ReturnModel(("k", "a"), (Estimate.exact(0.9),) * 2, (obs, obs), (Estimate.exact(2024.0),) * 2,
                     census_year=2024.0)
    vm = VotingModel(("k", "a"), ((Estimate.exact(1.0), Estimate.exact(0.0), Estimate.exact(0.0)),
                                  (Estimate.exact(0.0), Estimate.exact(1.0), Estimate.exact(0.0))),
                     (Estimate.exact(1.0), Estimate.exact(1.0)), Estimate.exact(1.0))
    crit = da.Criterion(name="few-stranded", metric="stranded", max=0.99)
    return SequenceInputs(territory=t, plans={"start": plan}, reference="start", return_model=rm,
                          voting=vm, criteria=(crit,))


def _spec(on_fail="stop", min_returned=0.0):
    return {"name": "s", "on_fail": on_fail, "initial_security": "none", "steps": [
        {"kind": "normalise", "years": 3},
        {"kind": "census", "years": 1, "census": "c2",
         "preconditions": [{"name": "returned", "metric": "returned_share", "min": min_returned}]},
        {"kind": "referendum", "years": 0.5, "level": "unit", "draws": 0},
        {"kind": "transfer", "preconditions": ["few-stranded"]},
    ]}


def test_steps_change_censuses_and_plan():
    inp = _inputs()
    res = run_sequence(settlement_from_dict(_spec()), inp)
    assert res.completed and [o.status for o in res.timeline] == ["done"] * 4
    assert [o.start for o in res.timeline] == [0.0, 3.0, 4.0, 4.5]
    assert res.years == 4.5
    assert res.territory.census_names == ("baseline", "current", "normalised", "c2")
    np.testing.assert_allclose(res.territory.census("c2"), res.returns.projected)
    assert res.census == "c2"
    # u1 has k people only after returns: it votes krg; u2: k 50+ vs a 80 -> federal
    assert res.referendum.option_of(0) == "krg"
    assert res.plan.control_of_units().tolist() == ["krg", "federal", "federal"]
    assert res.timeline[3].effects["units_transferred"] == 1
    assert 0 < res.metrics["returned_share"] <= 1
    json.dumps(res.to_dict())
    # the plan in force evaluates on the new censuses
    da.evaluate(res.territory, res.plan)


@pytest.mark.parametrize(("on_fail", "statuses"), [
    ("stop", ["done", "blocked", "not reached", "not reached"]),
    ("skip", ["done", "blocked", "done", "done"]),
    ("proceed", ["done", "done despite failed preconditions", "done", "done"]),
])
def test_failed_preconditions(on_fail, statuses):
    res = run_sequence(settlement_from_dict(_spec(on_fail, min_returned=0.99)), _inputs())
    assert [o.status for o in res.timeline] == statuses
    check = res.timeline[1].preconditions[0]
    assert check["passed"] is False and "returned_share" in check["reason"]
    if on_fail == "skip":
        assert res.census == "normalised"  # the census step was not carried out


def test_a_metric_not_yet_available_fails():
    spec = {"name": "s", "initial_security": "none", "steps": [
        {"kind": "census", "preconditions": [{"name": "sure", "metric": "referendum_certainty",
                                              "min": 0.5}]}]}
    res = run_sequence(settlement_from_dict(spec), _inputs())
    assert res.timeline[0].status == "blocked"
    assert "not available" in res.timeline[0].preconditions[0]["reason"]


@pytest.mark.parametrize(("spec", "match"), [
    ({"name": "s", "steps": [{"kind": "vote"}]}, r"step 1 \(vote\): unknown step kind"),
    ({"name": "s", "steps": [{"kind": "census", "level": "unit"}]}, r"step 1 .*unknown parameters \['level'\]"),
    ({"name": "s", "steps": [{"kind": "census", "preconditions": [{"name": "x", "metric": "y"}]}]},
     r"step 1 .*needs a bound"),
    ({"name": "s", "steps": []}, "non-empty list"),
    ({"name": "s", "steps": [{"kind": "census"}], "on_fail": "panic"}, "unknown on_fail"),
    ({"name": "s", "steps": [{"kind": "census"}], "order": 1}, "unknown keys"),
])
def test_bad_settlements(spec, match):
    with pytest.raises(InputDataError, match=match):
        settlement_from_dict(spec, source="s.json")


def test_bad_inputs_at_run_time(tmp_path):
    inp = _inputs()
    with pytest.raises(InputDataError, match="force catalog"):
        run_sequence(settlement_from_dict({"name": "s", "steps": [{"kind": "deploy"}]}), inp)
    with pytest.raises(InputDataError, match="starts from plan 'nope'"):
        run_sequence(settlement_from_dict({"name": "s", "plan": "nope", "steps": [{"kind": "census"}]}),
                     inp)
    with pytest.raises(InputDataError, match="names no criterion"):
        run_sequence(settlement_from_dict({"name": "s", "steps": [{"kind": "census",
                                                                   "preconditions": ["nope"]}]}), inp)
    p = tmp_path / "s.json"
    p.write_text("{", encoding="utf-8")
    with pytest.raises(InputDataError, match="not valid JSON") as exc:
        load_settlement(p)
    assert str(p) in exc.value.one_line()


def test_case_settlements_run(iraq):
    from dayafter.cases.northern_iraq.councils import provincial_rules_2023

    inp = SequenceInputs.from_case(iraq, council_rules=provincial_rules_2023())
    settlements = case_settlements()
    assert {"article-140", "security-first"} <= set(settlements)
    for s in settlements.values():
        res = run_sequence(s, inp, draws=32)
        assert all(o.status.startswith("done") for o in res.timeline)  # on_fail 'proceed'
        assert "article140" in res.territory.census_names
        assert res.councils is not None and res.referendum is not None
        ends = [o.end for o in res.timeline]
        assert ends == sorted(ends)
        json.dumps(res.to_dict())
        res.returns.check()
        res.claims.check()


def test_census_draws_carry_through_to_the_referendum(global_seed):
    inp = _inputs()
    rng = np.random.default_rng(global_seed)
    t = inp.territory
    cd = {c: t.census(c)[None] * rng.uniform(0.8, 1.2, (30, 3, 2)) for c in t.census_names}
    spec = _spec()
    spec["steps"][2]["draws"] = 5  # census draws override the step's parameter draws
    res = run_sequence(settlement_from_dict(spec), inp, census_draws=cd, rng=rng)
    assert res.returns.n_draws == 30
    assert res.referendum.n_draws == 30 and res.referendum.probability is not None
    res.returns.check()
    with pytest.raises(InputDataError, match="different sizes"):
        run_sequence(settlement_from_dict(spec), inp,
                     census_draws={"baseline": cd["baseline"], "current": cd["current"][:10]})
