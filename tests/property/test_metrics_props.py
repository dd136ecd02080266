"""Invariants of the metrics over random grids and plans (hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from dayafter.metrics import evaluate
from dayafter.plan import Plan, Region
from dayafter.testing.strategies import territories_and_plans

SETTINGS = settings(max_examples=60, deadline=None)


@SETTINGS
@given(territories_and_plans(), st.randoms(use_true_random=False))
def test_relabelling_regions_changes_nothing(tp, rnd):
    t, plan = tp
    perm = list(range(plan.k))
    rnd.shuffle(perm)
    other = plan.relabeled(perm)
    e1, e2 = evaluate(t, plan), evaluate(t, other)
    for name in t.census_names:
        c1, c2 = e1.census(name), e2.census(name)
        assert np.allclose(c1.tally[perm], c2.tally)
        for field in ("empowerment_plurality", "empowerment_majority", "stranded", "dissimilarity"):
            assert np.allclose(getattr(c1, field), getattr(c2, field), equal_nan=True)
        assert np.isclose(c1.theil_h, c2.theil_h, equal_nan=True)
    assert np.allclose(e1.geometry.polsby_popper[perm], e2.geometry.polsby_popper, equal_nan=True)
    assert e1.geometry.cut_edges == e2.geometry.cut_edges
    assert e1.geometry.splits == e2.geometry.splits


@SETTINGS
@given(territories_and_plans())
def test_one_region_per_unit_reproduces_unit_values(tp):
    t, _ = tp
    plan = Plan(np.arange(t.n_units), tuple(Region(f"r{i}") for i in range(t.n_units)), t.content_hash)
    ev = evaluate(t, plan)
    for name in t.census_names:
        assert np.array_equal(ev.census(name).tally, t.census(name))
    assert np.allclose(ev.geometry.area, t.area)
    assert np.allclose(ev.geometry.perimeter, t.perimeter)
    assert np.all(ev.geometry.pieces == 1)
    assert ev.geometry.cut_edges == t.graph.n_edges


@SETTINGS
@given(territories_and_plans())
def test_shares_are_bounded_and_sum_sensibly(tp):
    t, plan = tp
    ev = evaluate(t, plan)
    for cm in ev.censuses.values():
        for arr in (cm.empowerment_plurality, cm.empowerment_majority, cm.stranded):
            f = arr[np.isfinite(arr)]
            assert np.all((f >= 0) & (f <= 1 + 1e-12))
        # majority implies plurality
        both = np.isfinite(cm.empowerment_majority)
        assert np.all(cm.empowerment_majority[both] <= cm.empowerment_plurality[both] + 1e-12)
        tot = cm.community_totals()
        maj_people = np.nansum(cm.empowerment_majority * tot)
        assert maj_people <= cm.population.sum() + 1e-6
        # everyone in an occupied region lives where some community is largest
        plur_people = np.nansum(cm.empowerment_plurality * tot)
        assert plur_people >= np.sum(np.nanmax(np.where(cm.population[:, None] > 0, cm.tally, 0), axis=1)) - 1e-6
        if np.isfinite(cm.theil_h):
            assert -1e-12 <= cm.theil_h <= 1 + 1e-12
        D = cm.dissimilarity
        fin = np.isfinite(D)
        assert np.allclose(D[fin], D.T[fin])
        assert np.all((D[fin] >= -1e-12) & (D[fin] <= 1 + 1e-12))
        valid = cm.population > 0
        assert np.allclose(cm.shares[valid].sum(axis=1), 1.0)
    assert ev.geometry.n_units.sum() + ev.geometry.unassigned_units == t.n_units
