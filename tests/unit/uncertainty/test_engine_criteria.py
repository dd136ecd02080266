"""Criteria on engine outputs over draws (council seats, security gaps, transfers) and n/a."""

from __future__ import annotations

import json
from dataclasses import replace
from importlib import resources

import numpy as np
import pytest

from dayafter.councils import simulate_councils
from dayafter.councils.draws import council_draws
from dayafter.criteria import Criterion, EngineOutputs, check_criteria
from dayafter.errors import ConfigError
from dayafter.metrics import evaluate
from dayafter.plan import Plan, Region
from dayafter.security import allocate_forces, load_force_catalog
from dayafter.security.draws import security_draws
from dayafter.settle import model_from_spec, plan_against_reference
from dayafter.settle.draws import settle_draws
from dayafter.testing.grids import grid_territory
from dayafter.uncertainty import CensusModel, EngineDraws, check_criteria_draws, evaluate_draws

CRITERIA = [
    Criterion("christian-seat", "seats:christian", min=1, where={"community_share_over": 0.02}),
    Criterion("proportional", "representation_ratio", min=0.5, where={"population_share_over": 0.02}),
    Criterion("gap", "security_gap_share", max=0.5),
    Criterion("gap-total", "security_gap_total", max=200_000),
    Criterion("krg-paid", "transfer:krg", min=0),
]


def test_engine_criteria_over_draws_equal_check_criteria_per_draw(iraq, global_seed):
    from dayafter.cases.northern_iraq.councils import provincial_rules_2023

    t = iraq.territory
    plan, ref = iraq.plans["krg-releases-claims"], iraq.plans["status-quo-2014"]
    rules = provincial_rules_2023()
    pkg = resources.files("dayafter.cases.northern_iraq")
    catalog = load_force_catalog(str(pkg.joinpath("security", "forces.json")))
    spec = json.loads(pkg.joinpath("settle", "parties.json").read_text(encoding="utf-8"))
    model = model_from_spec(spec)
    units = [u for u in spec["disputed_units"] if u in set(t.unit_ids.tolist())]
    draws = CensusModel(t).draw(4, seed=global_seed, censuses=["current"])
    cd = council_draws(t, plan, draws, rules=rules)
    sd = security_draws(t, catalog, plan, draws, census="current", max_lp=2)
    st = settle_draws(t, model, units, draws, census="current", plan=plan, reference=ref, max_solves=2)
    dev = evaluate_draws(t, plan, draws)
    point_engines = EngineOutputs.collect(plan, councils=cd.point, security=sd.point,
                                          settlement=st.point["indemnity"])
    res = check_criteria_draws(dev, CRITERIA, engines=point_engines,
                               engine_draws=EngineDraws.collect(councils=cd, security=sd,
                                                                settlement=st, rule="indemnity"))
    assert [r.passes.size for r in res] == [4, 4, 2, 2, 2]
    x = draws.census("current")
    for j in range(4):
        tj = replace(t, censuses={"current": np.ascontiguousarray(x[j])}, ranges={})
        pj = replace(plan, territory_hash=tj.content_hash)
        ev = evaluate(tj, pj)
        sim = simulate_councils(tj, pj, rules=rules)
        kw = {}
        if j < 2:
            a = allocate_forces(tj, catalog, plan=pj, census="current")
            s, _, _ = plan_against_reference(tj, model, units, pj,
                                             replace(ref, territory_hash=tj.content_hash),
                                             census="current")
            kw = {"security": a, "settlement": s["indemnity"]}
        want = check_criteria(ev, CRITERIA if j < 2 else CRITERIA[:2],
                              engines=EngineOutputs.collect(pj, councils=sim, **kw))
        for r, w in zip(res, want, strict=False):
            assert bool(r.passes[j]) == w.passed, (r.criterion.name, j)
            assert bool(r.not_applicable[j]) == (w.status == "n/a"), (r.criterion.name, j)


def test_engine_criteria_without_engine_draws_say_what_to_run(iraq):
    t = iraq.territory
    plan = iraq.plans["status-quo-2014"]
    draws = CensusModel(t).draw(2, seed=0)
    dev = evaluate_draws(t, plan, draws)
    from dayafter.cases.northern_iraq.councils import provincial_rules_2023

    sim = simulate_councils(t, plan, rules=provincial_rules_2023())
    with pytest.raises(ConfigError, match="no draws of it were given"):
        check_criteria_draws(dev, CRITERIA[:1], engines=EngineOutputs.collect(plan, councils=sim))


def test_not_applicable_never_passes():
    t = grid_territory(1, 2, communities=np.array([[90.0, 10], [20, 80]]))
    empty = Plan(np.array([-1, -1]), (Region("A"),), t.content_hash)
    dev = evaluate_draws(t, empty, CensusModel(t).draw(5, seed=0))
    [r] = check_criteria_draws(dev, [Criterion("inclusive", "stranded", max=0.25)])
    assert r.point.status == "n/a" and r.pass_share == 0.0 and r.na_share == 1.0
