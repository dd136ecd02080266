"""Settlements over census draws: each solved draw equals the engine on that draw's census."""

from __future__ import annotations

import json
from importlib import resources

import numpy as np
import pytest

from dayafter.errors import ConfigError
from dayafter.settle import model_from_spec, plan_against_reference, settle, values_from_model
from dayafter.settle.draws import settle_draws
from dayafter.uncertainty import CensusModel


@pytest.fixture(scope="module")
def setup(iraq):
    spec = json.loads(resources.files("dayafter.cases.northern_iraq").joinpath(
        "settle", "parties.json").read_text(encoding="utf-8"))
    t = iraq.territory
    units = [u for u in spec["disputed_units"] if u in set(t.unit_ids.tolist())]
    return t, model_from_spec(spec), units, spec


def test_release_rules_equal_the_engine_draw_by_draw(iraq, setup, global_seed):
    t, model, units, _ = setup
    plan, ref = iraq.plans["krg-releases-claims"], iraq.plans["status-quo-2014"]
    draws = CensusModel(t).draw(6, seed=global_seed)
    sd = settle_draws(t, model, units, draws, census="current", plan=plan, reference=ref, max_solves=4)
    assert sd.solved == 4 and sd.draws == 6 and sd.notes
    x = draws.census("current")
    for j in range(4):
        res, problem, _ = plan_against_reference(t, model, units, plan, ref,
                                                 census_table=np.ascontiguousarray(x[j]))
        for rule, st in res.items():
            np.testing.assert_allclose(sd.transfers[rule][j], st.transfers, rtol=1e-12)
        assert sd.units[rule] == tuple(problem.unit_ids)
    s = sd.summary()["settlements"]["indemnity"]
    assert s["allocation_changes"] == 0.0          # the plan fixes the allocation
    for p in sd.parties:
        assert s["parties"][p]["p05"] <= s["parties"][p]["p95"]


def test_methods_report_how_often_the_allocation_changes(iraq, setup):
    t, model, units, _ = setup
    draws = CensusModel(t).draw(3, seed=2)
    sd = settle_draws(t, model, units[:8], draws, census="current", methods=["knaster"], max_solves=3)
    x = draws.census("current")
    for j in range(3):
        st = settle(values_from_model(t, model, units[:8], census_table=np.ascontiguousarray(x[j])),
                    "knaster")
        np.testing.assert_allclose(sd.transfers["knaster"][j], st.transfers, rtol=1e-9, atol=1e-6)
        np.testing.assert_array_equal(sd.holders["knaster"][j], np.argmax(st.shares, axis=0))
    s = sd.summary()["settlements"]["knaster"]
    assert 0.0 <= s["allocation_changes"] <= 1.0


def test_bad_calls(iraq, setup):
    t, model, units, _ = setup
    draws = CensusModel(t).draw(2, seed=0)
    with pytest.raises(ConfigError, match="plan and a reference"):
        settle_draws(t, model, units, draws, plan=iraq.plans["status-quo-2014"])
    with pytest.raises(ConfigError, match="nothing to settle"):
        settle_draws(t, model, units, draws)
    with pytest.raises(ConfigError, match="max_solves"):
        settle_draws(t, model, units, draws, methods=["knaster"], max_solves=0)
