"""Invariants of the census model and of metrics over draws (hypothesis)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from dayafter.metrics import evaluate
from dayafter.territory import CensusRange
from dayafter.testing.strategies import territories_and_plans
from dayafter.uncertainty import CensusModel, ErrorModel, evaluate_draws

SETTINGS = settings(max_examples=40, deadline=None)


@st.composite
def ranged(draw):
    """A random territory and plan with random (valid) ranges on every census."""
    t, plan = draw(territories_and_plans())
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    width = draw(st.sampled_from([0.0, 0.1, 0.5, 0.95]))
    ranges = {}
    for name in t.census_names:
        v = t.census(name)
        tot = v.sum(axis=1)
        lo = v * (1 - width * rng.random(v.shape))
        hi = v * (1 + width * rng.random(v.shape)) + (v == 0) * width * 50 * rng.random(v.shape)
        ranges[name] = CensusRange(lo, hi, tot * (1 - width * rng.random(tot.shape)),
                                   tot * (1 + width * rng.random(tot.shape)))
    return t.with_ranges(ranges), plan, seed


@SETTINGS
@given(ranged(), st.booleans())
def test_shares_sum_to_one_and_counts_are_non_negative(tpr, truncate):
    t, _, seed = tpr
    d = CensusModel(t, ErrorModel(truncate=truncate)).draw(30, seed=seed)
    for name in t.census_names:
        x = d.census(name)
        assert np.all(x >= 0) and np.all(np.isfinite(x))
        tot = x.sum(axis=2)
        pos = tot > 0
        shares = x / np.where(pos, tot, 1.0)[:, :, None]
        assert np.allclose(shares.sum(axis=2)[pos], 1.0)


@SETTINGS
@given(ranged())
def test_truncated_draws_stay_within_their_ranges(tpr):
    """With truncate=True the model promises every unit size inside [total_low, total_high]."""
    t, _, seed = tpr
    d = CensusModel(t, ErrorModel(truncate=True)).draw(30, seed=seed)
    for name in t.census_names:
        r = t.ranges[name]
        tot = d.census(name).sum(axis=2)
        assert np.all(tot >= r.total_low * (1 - 1e-9) - 1e-9)
        assert np.all(tot <= r.total_high * (1 + 1e-9) + 1e-9)


@SETTINGS
@given(ranged())
def test_same_seed_same_draws(tpr):
    t, _, seed = tpr
    m = CensusModel(t)
    a, b = m.draw(12, seed=seed), CensusModel(t).draw(12, seed=seed)
    for name in t.census_names:
        assert np.array_equal(a.census(name), b.census(name))
        assert np.array_equal(m.draw(5, seed=seed).census(name), a.census(name)[:5])


@SETTINGS
@given(ranged(), st.randoms(use_true_random=False))
def test_relabelling_regions_changes_nothing_over_draws(tpr, rnd):
    t, plan, seed = tpr
    perm = list(range(plan.k))
    rnd.shuffle(perm)
    other = plan.relabeled(perm)
    draws = CensusModel(t).draw(8, seed=seed)
    e1, e2 = evaluate_draws(t, [plan, other], draws)
    for name in t.census_names:
        c1, c2 = e1.census(name), e2.census(name)
        assert np.allclose(c1.tally[:, perm], c2.tally)
        for f in ("empowerment_plurality", "empowerment_majority", "stranded", "dissimilarity"):
            assert np.allclose(getattr(c1, f), getattr(c2, f), equal_nan=True)
        assert np.allclose(c1.theil_h, c2.theil_h, equal_nan=True)
        assert np.allclose(c1.population[:, perm], c2.population)


@SETTINGS
@given(ranged())
def test_a_draw_is_evaluated_like_a_census(tpr):
    t, plan, seed = tpr
    draws = CensusModel(t).draw(3, seed=seed)
    dev = evaluate_draws(t, plan, draws)
    tj = replace(t, censuses={n: np.ascontiguousarray(draws.census(n)[1]) for n in t.census_names},
                 ranges={})
    ev = evaluate(tj, replace(plan, territory_hash=tj.content_hash))
    for name in t.census_names:
        got, want = dev.census(name).at(1), ev.census(name)
        for f in ("population", "shares", "empowerment_plurality", "stranded", "fractionalization"):
            np.testing.assert_allclose(getattr(got, f), getattr(want, f), rtol=1e-12, atol=1e-12,
                                       equal_nan=True)
