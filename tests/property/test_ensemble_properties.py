"""Invariants of ReCom chains over generated grids, plans, proposals and constraints."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from dayafter._kernels import chain as _c
from dayafter.ensemble.constraints import ChainConstraints
from dayafter.ensemble.recom import ChainState, Proposal, run_steps
from dayafter.ensemble.seed import seed_plan
from dayafter.errors import InfeasibleError
from dayafter.metrics import geometry_metrics
from dayafter.testing.grids import grid_territory

PROPOSALS = [Proposal(), Proposal(pair_rule="region_pair"), Proposal(tree="random_mst"),
             Proposal(method="reversible")]


@st.composite
def chains(draw):
    rows = draw(st.integers(3, 7))
    cols = draw(st.integers(3, 7))
    k = draw(st.integers(2, min(5, rows * cols // 3)))
    seed = draw(st.integers(0, 2**31))
    rng = np.random.default_rng(seed)
    pop = rng.integers(1, 10, size=rows * cols).astype(float)
    admin = {"prov": np.array([f"P{(i % cols) // 2}{(i // cols) // 2}" for i in range(rows * cols)])}
    t = grid_territory(rows, cols, population=pop, admin=admin)
    tol = draw(st.sampled_from([0.2, 0.35, 0.5]))
    try:
        plan = seed_plan(t, k, rng=rng, constraints={"tolerance": tol}, max_attempts=2000)
    except InfeasibleError:
        assume(False)
    prop = draw(st.sampled_from(PROPOSALS))
    extra = draw(st.sampled_from(["none", "locked", "subset"]))
    cons = {"tolerance": tol}
    if extra == "locked" and k > 2:
        cons["locked_regions"] = [0]
    if extra == "subset":
        codes = sorted(set(admin["prov"].tolist()))
        cons["subset"] = "prov=" + ",".join(codes[: max(1, len(codes) // 2)])
        cons["balance"] = draw(st.sampled_from(["equal", "plan", "wide"]))
    return t, plan, prop, ChainConstraints.from_dict(cons), seed


@pytest.mark.slow  # 30 chains: 1-3 minutes on 2 cores; the short version below runs 3
@pytest.mark.long
@settings(max_examples=30, deadline=None)
@given(chains())
def test_steps_keep_regions_contiguous_balanced_and_tallies_exact(case):
    t, plan, prop, cons, seed = case
    k = plan.k
    try:
        chain = ChainState(t, plan.assignment, k, proposal=prop, constraints=cons,
                           censuses=t.census_names)
    except InfeasibleError:  # the subset lies in one region, or its bounds exclude the plan
        assume(False)
    lo, hi = chain.data.lo, chain.data.hi
    fixed = chain.data.lock >= 0
    pop = t.population()
    rng = np.random.default_rng(seed)
    start = chain.assignment.copy()
    for _ in range(25):
        rec = run_steps(chain, 1, rng)
        a = chain.assignment
        assert np.bincount(a, minlength=k).min() > 0  # k regions, none empty
        pieces = t.graph.components(a.astype(np.int32))
        for r in range(k):
            assert np.unique(pieces[a == r]).size == 1  # contiguous
        rp = np.bincount(a, weights=pop, minlength=k)
        assert np.all(rp >= lo - 1e-9) and np.all(rp <= hi + 1e-9)
        if cons.locked_regions:
            assert np.array_equal(a == 0, start == 0)
        assert np.array_equal(a[fixed], start[fixed])  # the rest of the plan stays
        assert rec.cut_edges[0] == geometry_metrics(t, a.astype(np.int32), k).cut_edges
    # the kernel's state equals the state computed from scratch for the final plan
    fresh = chain.state._replace(**{f: getattr(chain.state, f).copy()
                                    for f in chain.state._fields})
    _c.init_state(chain.data, fresh)
    for name in fresh._fields:
        want, got = getattr(fresh, name), getattr(chain.state, name)
        # populations and tallies too: recounted in unit order, they are the same sums
        assert np.array_equal(want, got), name


# the same property on a few chains, in the fast set
test_steps_keep_regions_contiguous_short = settings(max_examples=3, deadline=None)(
    given(chains())(test_steps_keep_regions_contiguous_balanced_and_tallies_exact.hypothesis.inner_test))


@settings(max_examples=20, deadline=None)
@given(chains(), st.randoms(use_true_random=False))
def test_plan_hash_ignores_labels_and_same_seed_same_chain(case, rnd):
    t, plan, prop, cons, seed = case
    k = plan.k
    perm = list(range(k))
    rnd.shuffle(perm)
    relabeled = np.array(perm)[plan.assignment]
    c1 = ChainState(t, plan.assignment, k, proposal=prop, constraints=ChainConstraints(
        tolerance=cons.tolerance))
    c2 = ChainState(t, relabeled, k, proposal=prop, constraints=ChainConstraints(
        tolerance=cons.tolerance))
    assert c1.plan_hash == c2.plan_hash
    r1 = run_steps(c1, 30, np.random.default_rng(seed))
    c3 = ChainState(t, plan.assignment, k, proposal=prop, constraints=ChainConstraints(
        tolerance=cons.tolerance))
    r3 = run_steps(c3, 30, np.random.default_rng(seed))
    assert np.array_equal(r1.plan_hash, r3.plan_hash) and np.array_equal(r1.status, r3.status)
    assert np.array_equal(c1.assignment, c3.assignment)
