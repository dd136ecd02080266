"""The MIP reaches the brute-force optimum, proves infeasibility, and uses warm starts."""

from __future__ import annotations

import numpy as np
import pytest
from tests.unit.optimize import brute
from tests.unit.optimize.instances import INSTANCES, instance_a

from dayafter.errors import ConfigError, InfeasibleError
from dayafter.optimize import Problem
from dayafter.optimize.mip import MIPOptimizer, build_model, canonical_labels


@pytest.fixture(scope="module")
def optima():
    """Brute-force optimum of each instance (enumerating every plan)."""
    out = {}
    for key, make in INSTANCES.items():
        t, p = make()
        out[key] = brute.optimum(p, t)
    return out


@pytest.mark.slow
@pytest.mark.parametrize("key", sorted(INSTANCES))
def test_mip_reaches_the_brute_force_optimum(key, optima):
    t, p = INSTANCES[key]()
    best, plans = optima[key]
    res = MIPOptimizer(time_limit=120, mip_rel_gap=0.0).run(p, t)
    assert res.status == "optimal"
    assert res.feasible, res.failing
    assert res.objective == pytest.approx(best, abs=1e-7)
    assert res.bound == pytest.approx(best, abs=1e-6)
    assert res.gap is not None and res.gap <= 1e-6
    # the plan is one of the optimal plans (up to relabelling when regions are interchangeable)
    if p.locked:
        assert any(np.array_equal(res.plan.assignment, a) for a in plans)
    else:
        canon = canonical_labels(res.plan.assignment, p.k)
        assert any(np.array_equal(canon, canonical_labels(a, p.k)) for a in plans)
    # the certificate is in the notes and meta
    assert "gap" in res.plan.notes and res.plan.meta["optimizer"]["status"] == "optimal"
    # HiGHS's own objective agrees with the metrics module
    assert res.stats["highs_objective"] == pytest.approx(res.objective, abs=1e-6)


def test_warm_start_is_a_valid_solution():
    t, p = instance_a()
    best, plans = brute.optimum(p, t)  # this instance only (the module's optima fixture enumerates all)
    model = build_model(p.compile(t))
    vals = model.warm_values(plans[0])
    assert vals is not None
    lp = model.lp
    lo, hi = np.asarray(lp.col_lower_), np.asarray(lp.col_upper_)
    assert np.all(vals >= lo - 1e-9) and np.all(vals <= hi + 1e-9)
    # every row holds at the warm values
    import scipy.sparse as sp

    A = sp.csc_matrix((lp.a_matrix_.value_, lp.a_matrix_.index_, lp.a_matrix_.start_),
                      shape=(lp.num_row_, lp.num_col_))
    act = A @ vals
    assert np.all(act >= np.asarray(lp.row_lower_) - 1e-7)
    assert np.all(act <= np.asarray(lp.row_upper_) + 1e-7)
    obj = float(np.asarray(lp.col_cost_) @ vals) + model.offset
    assert obj == pytest.approx(best, abs=1e-9)
    res = MIPOptimizer(time_limit=60, warm_start=plans[0], mip_rel_gap=0).run(p, t)
    assert res.stats["warm_start"] and res.objective == pytest.approx(best, abs=1e-9)


def test_mip_proves_infeasibility_of_criteria():
    t, p = instance_a()
    p = p.with_criteria(Problem.from_dict({"maximize": ["homogeneity"], "constraints": {
        "criteria": [{"name": "all-empowered", "metric": "empowerment_plurality",
                      "min": 0.95}]}}).criteria)
    assert brute.feasible_plans(p, t) == []  # the quick checks cannot see it, the MIP can
    with pytest.raises(InfeasibleError, match="proved that no contiguous plan"):
        MIPOptimizer(time_limit=60).run(p, t)


def test_mip_refuses_unnatural_objectives():
    t, _ = instance_a()
    p = Problem.from_dict({"regions": 2, "maximize": [{"metric": "stranded",
                                                       "communities": ["c0"]}]})
    with pytest.raises(ConfigError, match="natural direction"):
        MIPOptimizer(time_limit=10).run(p, t)


def test_canonical_labels():
    assert canonical_labels(np.array([2, 2, 0, 1, 0]), 3).tolist() == [0, 0, 1, 2, 1]


@pytest.mark.parametrize("key", ["a", "b"])
def test_model_without_contiguity_is_a_relaxation(key, optima):
    from dayafter.optimize.mip import solve_model

    t, p = INSTANCES[key]()
    model = build_model(p.compile(t), contiguity=False)
    sol = solve_model(model, time_limit=60, mip_rel_gap=0.0)
    assert sol.status == "optimal"
    assert sol.objective >= optima[key][0] - 1e-7
    # warm values of a contiguous plan are still feasible there
    assert model.warm_values(optima[key][1][0]) is not None
