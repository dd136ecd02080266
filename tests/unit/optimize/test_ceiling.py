"""The objective's ceiling bounds every plan, and caps a MIP bound reported before the root."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.optimize.instances import grid, instance_a

from dayafter.metrics import evaluate
from dayafter.optimize import Problem
from dayafter.optimize import mip as mip_mod
from dayafter.optimize.mip import MIPOptimizer
from dayafter.plan import Plan
from dayafter.territory import Territory


def _two_censuses() -> Territory:
    """A 3x4 grid of three communities with a second census in which people moved."""
    g = grid(3, 4, 3, seed=11)
    base = g.census(g.census_names[0])
    rng = np.random.default_rng(5)
    now = base.copy()
    now[:, 1] = np.maximum(now[:, 1] - rng.integers(0, 60, size=12), 0)
    now[:, 2] += rng.integers(0, 40, size=12)
    return Territory.from_arrays(list(g.unit_ids), list(g.communities),
                                 {"before": base, "now": now}, g.graph)


_T = _two_censuses()
_weights = st.floats(-2.0, 2.0, allow_nan=False).filter(lambda w: abs(w) > 1e-3)


@settings(max_examples=40, deadline=None)
@given(a=st.lists(st.integers(0, 2), min_size=12, max_size=12),
       w=st.lists(_weights, min_size=5, max_size=5),
       combine=st.sampled_from(["single", "worst", "weighted"]))
def test_no_plan_scores_above_the_ceiling(a, w, combine):
    t = _T
    terms = [{"metric": "empowerment_plurality", "communities": ["c1", "c2"], "weight": w[0]},
             {"metric": "empowerment_majority", "communities": ["c0"], "weight": w[1]},
             {"metric": "stranded", "communities": ["c2"], "weight": w[2]},
             {"metric": "homogeneity", "weight": w[3]},
             {"metric": "cut_edges", "weight": w[4]}]
    spec: dict = {"regions": 3, "maximize": terms, "threshold": 0.3, "census": "before"}
    if combine != "single":
        spec.update(censuses=["before", "now"], combine=combine)
        spec.pop("census")
    p = Problem.from_dict(spec)
    cp = p.compile(t)
    plan = Plan(np.asarray(a, dtype=np.int32), p.regions, t.content_hash)
    ev = evaluate(t, plan, censuses=list(cp.censuses), threshold=cp.threshold)
    assert p.objective.score(ev) <= cp.ceiling + 1e-9


def test_a_bound_from_before_the_root_is_capped_by_the_ceiling(monkeypatch):
    t, p = instance_a()
    cp = p.compile(t)
    real = mip_mod.solve_model

    def stopped_early(model, **kw):
        sol = real(model, **kw)
        sol.bound = cp.ceiling + 40.0  # what HiGHS reports when it stops before its root LP
        sol.status = "time_limit"
        return sol

    monkeypatch.setattr(mip_mod, "solve_model", stopped_early)
    res = MIPOptimizer(time_limit=5, decompose=False).run(cp)
    assert res.bound == pytest.approx(cp.ceiling)
    assert res.stats["solver_bound_above_ceiling"] == pytest.approx(cp.ceiling + 40.0)
    assert res.objective <= res.bound + 1e-9


@pytest.mark.parametrize("combine", ["single", "worst", "weighted"])
def test_the_ceiling_is_reached_by_a_plan_that_strands_everyone(combine):
    # maximizing a stranded share (against its natural direction) with a threshold no region
    # reaches: every plan strands all of c0, so the score is the term's weight, the ceiling
    spec: dict = {"regions": 2, "threshold": 0.99, "census": "before",
                  "maximize": [{"metric": "stranded", "communities": ["c0"], "weight": 0.7}],
                  "minimize": [{"metric": "cut_edges", "weight": 0.0001}]}
    if combine != "single":
        spec.update(censuses=["before", "now"], combine=combine, weights=[0.25, 0.75]
                    if combine == "weighted" else None)
        spec.pop("census")
        if spec["weights"] is None:
            spec.pop("weights")
    p = Problem.from_dict(spec)
    cp = p.compile(_T)
    a = np.repeat([0, 1], 6).astype(np.int32)
    ev = evaluate(_T, Plan(a, p.regions, _T.content_hash), censuses=list(cp.censuses),
                  threshold=cp.threshold)
    cut = ev.geometry.cut_edges
    assert p.objective.score(ev) + 0.0001 * cut == pytest.approx(cp.ceiling)
    assert cp.ceiling == pytest.approx(0.7)
