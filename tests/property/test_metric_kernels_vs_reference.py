"""The compiled metric kernels agree with slow networkx references."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from tests.reference import metrics_ref as ref

from dayafter.metrics import evaluate
from dayafter.testing.strategies import territories_and_plans


@settings(max_examples=80, deadline=None)
@given(territories_and_plans(max_side=6, max_k=6))
def test_kernels_match_reference(tp):
    t, plan = tp
    a = plan.assignment.tolist()
    ev = evaluate(t, plan)
    assert ev.geometry.pieces.tolist() == ref.pieces(t.graph, a, plan.k)
    per, cut = ref.boundary(t.graph, t.outer_border, a, plan.k)
    assert np.allclose(ev.geometry.perimeter, per)
    assert ev.geometry.cut_edges == cut
    assert ev.geometry.splits["block"] == ref.splits(t.admin["block"].tolist(), a)
