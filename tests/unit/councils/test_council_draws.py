"""Councils over census draws equal simulate_councils on each drawn census."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from dayafter.councils import CouncilRules, simulate_councils
from dayafter.councils.draws import council_draws
from dayafter.uncertainty import CensusModel


def _rules(kind):
    from dayafter.cases.northern_iraq.councils import provincial_rules_2023

    if kind == "iraq-2023":
        return provincial_rules_2023()
    if kind == "fixed":
        return CouncilRules(size=25, reserved_default={"christian": 1})
    if kind == "per-residents":
        return CouncilRules(residents_per_seat=100_000, method="dhondt", threshold=0.05,
                            threshold_exempt=("yazidi",))
    return CouncilRules(size=15, method="hare")


@pytest.mark.parametrize("kind", ["iraq-2023", "fixed", "per-residents", "hare"])
def test_each_draw_equals_simulate_councils(iraq, kind, global_seed):
    t = iraq.territory
    plan = iraq.plans["nineveh-plains-sinjar-province"]
    rules = _rules(kind)
    draws = CensusModel(t).draw(4, seed=global_seed)
    cd = council_draws(t, plan, draws, rules=rules)
    for j in range(draws.n_draws):
        tj = replace(t, censuses={n: np.ascontiguousarray(draws.census(n)[j]) for n in t.census_names},
                     ranges={})
        sim = simulate_councils(tj, replace(plan, territory_hash=tj.content_hash), rules=rules)
        for cname in t.census_names:
            want = sim.seats_table(cname)
            got = cd.seats[cname][j]
            reg = sim.regions[sim.regions.census == cname].reset_index(drop=True)
            undecided = reg["ties"].astype(bool).to_numpy()
            np.testing.assert_array_equal(got[~undecided], want[~undecided], err_msg=f"{kind} {cname} {j}")
            np.testing.assert_array_equal(cd.sizes[cname][j], reg["council_size"].to_numpy())


def test_zero_width_ranges_reproduce_the_point(iraq):
    t = iraq.territory.with_ranges({}, replace=True)
    plan = iraq.plans["krg-releases-claims"]
    rules = _rules("iraq-2023")
    cd = council_draws(t, plan, CensusModel(t).draw(3, seed=0), rules=rules)
    for cname in t.census_names:
        for j in range(3):
            np.testing.assert_array_equal(cd.seats[cname][j], cd.point.seats_table(cname))


def test_summary_has_ranges_and_shares(iraq):
    t = iraq.territory
    plan = iraq.plans["nineveh-plains-sinjar-province"]
    cd = council_draws(t, plan, CensusModel(t).draw(40, seed=2), rules=_rules("iraq-2023"),
                       census="baseline")
    s = cd.summary()["baseline"]
    assert [r["region"] for r in s] == list(plan.region_names)
    for r in s:
        for c in r["communities"].values():
            assert c["p05"] <= c["p50"] <= c["p95"]
            assert 0 <= c["any_seat"] <= 1 and 0 <= c["majority"] <= 1
