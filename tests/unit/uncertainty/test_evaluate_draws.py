"""Metrics over draws equal the ordinary evaluation of each draw (and the census, bit for bit)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from tests.reference import uncertainty_ref as ref

from dayafter.errors import ConfigError, InputDataError, PlanMismatchError
from dayafter.metrics import evaluate
from dayafter.plan import Plan, Region
from dayafter.uncertainty import CensusModel, ErrorModel, evaluate_draws

FIELDS = ("tally", "population", "deviation", "shares", "largest", "largest_share",
          "fractionalization", "polarization", "empowerment_plurality", "empowerment_majority",
          "stranded", "stranded_people", "dissimilarity")


def _plans(t, rng, count=3):
    out = []
    for p in range(count):
        k = int(rng.integers(2, 5))
        a = rng.integers(-1 if p == 2 else 0, k, size=t.n_units)
        out.append(Plan(a, tuple(Region(f"R{j}", authority=["federal", "krg"][j % 2]) for j in range(k)),
                        t.content_hash, name=f"p{p}"))
    return out


def _at_draw(t, draws, j):
    """The territory whose censuses are draw ``j`` (plans re-attached to it)."""
    return replace(t, censuses={n: np.ascontiguousarray(draws.census(n)[j]) for n in draws.census_names},
                   ranges={})


def test_every_draw_equals_evaluate_on_that_census(global_seed):
    rng = np.random.default_rng(global_seed)
    t = ref.ranged_grid(4, 4, 3, rng, integer=False, censuses=("now", "then"))
    plans = _plans(t, rng)
    reference = plans[0]
    draws = CensusModel(t).draw(6, seed=global_seed)
    devs = evaluate_draws(t, plans, draws, reference=reference, threshold=0.2)
    for j in range(draws.n_draws):
        tj = _at_draw(t, draws, j)
        for dev, plan in zip(devs, plans, strict=True):
            ev = evaluate(tj, replace(plan, territory_hash=tj.content_hash), threshold=0.2,
                          reference=replace(reference, territory_hash=tj.content_hash))
            for name in t.census_names:
                got, want = dev.census(name).at(j), ev.census(name)
                for f in FIELDS:
                    np.testing.assert_allclose(getattr(got, f), getattr(want, f), rtol=1e-12, atol=1e-9,
                                               equal_nan=True, err_msg=f"{plan.name} {name} {f}")
                assert got.theil_h == pytest.approx(want.theil_h, rel=1e-12, nan_ok=True)
                assert got.unassigned_population == pytest.approx(want.unassigned_population)
                for key, v in want.scalars().items():
                    assert dev.census(name).scalars()[key][j] == pytest.approx(v, rel=1e-12, nan_ok=True)
                assert dev.people_moved[name][j] == pytest.approx(ev.change.people_moved[name])
                assert dev.polity_people_moved[name][j] == pytest.approx(
                    ev.change.polity_people_moved[name])
                assert dev.people_reassigned[name][j] == pytest.approx(ev.change.people_reassigned[name])


@pytest.mark.parametrize("integer", [True, False])
def test_zero_width_draws_reproduce_the_census_metrics_bit_for_bit(global_seed, integer):
    rng = np.random.default_rng(global_seed)
    t = ref.ranged_grid(5, 4, 4, rng, integer=integer).with_ranges({}, replace=True)
    plans = _plans(t, rng)
    draws = CensusModel(t).draw(3, seed=1)
    for dev in evaluate_draws(t, plans, draws):
        pm = dev.point.census("now")
        for j in range(3):
            got = dev.census("now").at(j)
            for f in FIELDS:
                assert np.array_equal(getattr(got, f), getattr(pm, f), equal_nan=True), f
            assert got.theil_h == pm.theil_h or (np.isnan(got.theil_h) and np.isnan(pm.theil_h))
        point = dev.point.scalars()
        for key, v in dev.scalars().items():
            assert np.all((v == point[key]) | (np.isnan(v) & np.isnan(point[key]))), key


def test_built_in_case_zero_width_reproduces_every_scenario(iraq):
    t = iraq.territory.with_ranges({}, replace=True)
    draws = CensusModel(t).draw(2, seed=0)
    plans = list(iraq.plans.values())
    for dev in evaluate_draws(t, plans, draws, reference=iraq.reference_plan):
        point = dev.point.scalars()
        for key, v in dev.scalars().items():
            assert np.all((v == point[key]) | (np.isnan(v) & np.isnan(point[key]))), (dev.plan.name, key)
        figs, pts = dev.figures(), dev.point_figures()
        assert set(figs) == set(pts)
        for key, v in figs.items():
            assert np.all((v == pts[key]) | (np.isnan(v) & np.isnan(pts[key]))), (dev.plan.name, key)


def test_plans_together_equal_plans_alone(global_seed):
    rng = np.random.default_rng(global_seed)
    t = ref.ranged_grid(3, 4, 3, rng)
    plans = _plans(t, rng)
    draws = CensusModel(t).draw(40, seed=2)
    together = evaluate_draws(t, plans, draws)
    for plan, dev in zip(plans, together, strict=True):
        alone = evaluate_draws(t, plan, draws)
        for f in FIELDS:
            assert np.array_equal(getattr(alone.census("now"), f), getattr(dev.census("now"), f),
                                  equal_nan=True)


def test_figures_have_one_value_per_draw_and_match_point_keys(iraq):
    t = iraq.territory
    draws = CensusModel(t).draw(16, seed=3)
    plan = iraq.plans["nineveh-plains-sinjar-province"]
    dev = evaluate_draws(t, plan, draws, reference=iraq.reference_plan)
    figs, pts = dev.figures(), dev.point_figures()
    assert set(figs) == set(pts)
    assert all(v.shape == (16,) for v in figs.values())
    assert all(f"baseline/region:{r}/share:christian" in figs for r in plan.region_names)
    assert "current/people_moved" in figs


def test_bad_calls(global_seed):
    rng = np.random.default_rng(global_seed)
    t = ref.ranged_grid(2, 3, 2, rng)
    other = ref.ranged_grid(2, 3, 2, np.random.default_rng(global_seed + 1000))
    plan = _plans(t, rng, 1)[0]
    draws = CensusModel(other).draw(3, seed=1)
    with pytest.raises(PlanMismatchError, match="another territory"):
        evaluate_draws(t, plan, draws)
    ok = CensusModel(t).draw(3, seed=1)
    with pytest.raises(InputDataError, match="threshold"):
        evaluate_draws(t, plan, ok, threshold=1.5)
    with pytest.raises(InputDataError, match="not drawn"):
        evaluate_draws(t, plan, ok, censuses=["then"])
    with pytest.raises(ConfigError):
        evaluate_draws(t, [], ok)
    with pytest.raises(ConfigError):
        evaluate_draws(t, plan, np.zeros((3, 6, 2)))  # type: ignore[arg-type]


def test_correlated_models_evaluate_the_same_way(global_seed):
    rng = np.random.default_rng(global_seed)
    t = ref.ranged_grid(3, 3, 3, rng)
    plan = _plans(t, rng, 1)[0]
    draws = CensusModel(t, ErrorModel(group_level="block", group_correlation=0.5, truncate=True)).draw(
        4, seed=global_seed)
    dev = evaluate_draws(t, plan, draws)
    tj = _at_draw(t, draws, 2)
    ev = evaluate(tj, replace(plan, territory_hash=tj.content_hash))
    np.testing.assert_allclose(dev.census("now").stranded[2], ev.census("now").stranded, equal_nan=True)
