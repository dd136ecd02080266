"""The decomposition bound (packing relaxation) against exhaustive enumeration.

Independent references: every connected set of units of a tiny grid (for one region's best), and
the brute-force optimum over every plan (the bound must never fall below it).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from tests.unit.optimize import brute
from tests.unit.optimize.instances import INSTANCES, grid

from dayafter.optimize import Problem
from dayafter.optimize.bounds import (
    decomposable,
    decomposition_bound,
    max_plurality_regions,
    packing_bound,
)
from dayafter.optimize.mip import MIPOptimizer


def _connected(t, members: np.ndarray) -> bool:
    a = np.where(members, 0, 1).astype(np.int32)
    comp = t.graph.components(a)
    return np.unique(comp[members]).size == 1


def _best_single_region(t, c: int, lo: float, hi: float) -> float:
    """Most people of ``c`` in one connected set within [lo, hi] where ``c`` is largest."""
    table = t.census(t.census_names[0])
    n = t.n_units
    best = 0.0
    for bits in itertools.product((False, True), repeat=n):
        m = np.array(bits)
        if not m.any():
            continue
        tally = table[m].sum(axis=0)
        pop = tally.sum()
        if pop < lo - 1e-9 or pop > hi + 1e-9 or tally[c] < tally.max() or tally[c] <= best:
            continue
        if _connected(t, m):
            best = float(tally[c])
    return best / float(table[:, c].sum())


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_one_region_packing_is_the_enumerated_optimum(seed):
    t = grid(3, 3, 3, seed=seed)
    for c in range(3):
        p = Problem.from_dict({"regions": 3, "maximize": [
            {"metric": "empowerment_plurality", "communities": [t.communities[c]]}],
            "constraints": {"tolerance": 0.4}})
        cp = p.compile(t)
        tb = packing_bound(cp, c, time_limit=30, slots=1)
        ref = _best_single_region(t, c, float(cp.lo.min()), float(cp.hi.max()))
        assert tb.status in ("optimal", "counting", "infeasible")
        assert tb.value == pytest.approx(ref, abs=1e-6)
        if tb.regions:
            members = np.zeros(t.n_units, dtype=bool)
            members[list(tb.regions[0])] = True
            assert _connected(t, members)


def test_counting_argument_against_enumeration():
    rng = np.random.default_rng(5)
    for _ in range(200):
        totals = rng.integers(0, 50, size=4).astype(float)
        lo = float(rng.integers(1, 120))
        for c in range(4):
            m = max_plurality_regions(totals, c, lo, 10)
            # the best case: every region holds exactly p of c and at most p of every other
            ok = [q for q in range(0, 11)
                  if q == 0 or any(q * p <= totals[c] + 1e-9 and
                                   p + np.minimum(np.delete(totals, c) / q, p).sum() >= lo - 1e-9
                                   for p in np.linspace(0, totals[c], 201)[1:])]
            assert m >= max(ok) - 0  # never rules out a count the grid search finds possible


@pytest.mark.parametrize("key", sorted(INSTANCES))
def test_decomposition_bound_is_never_below_the_optimum(key):
    t, p = INSTANCES[key]()
    cp = p.compile(t)
    if not decomposable(cp):
        assert decomposition_bound(cp) is None
        return
    best, _plans = brute.optimum(p, t)
    db = decomposition_bound(cp, time_limit=60)
    assert db.value >= best - 1e-7


@pytest.mark.parametrize("seed", range(6))
def test_bound_on_random_small_problems(seed):
    rng = np.random.default_rng(seed)
    t = grid(3, 3, 3, seed=100 + seed)
    k = int(rng.integers(2, 4))
    comms = [t.communities[c] for c in rng.choice(3, size=2, replace=False)]
    p = Problem.from_dict({
        "regions": k,
        "maximize": [{"metric": "empowerment_plurality", "communities": [comms[0]]},
                     {"metric": "empowerment_majority", "communities": [comms[1]],
                      "weight": 0.5}],
        "minimize": [{"metric": "stranded", "communities": [t.communities[0]]}],
        "constraints": {"tolerance": 0.6}})
    best, _ = brute.optimum(p, t)
    db = decomposition_bound(p.compile(t), time_limit=60)
    assert db is not None and db.value >= best - 1e-7
    res = MIPOptimizer(time_limit=60, mip_rel_gap=0.0, decompose=True).run(p, t)
    assert res.objective == pytest.approx(best, abs=1e-7)
    assert res.stats["decomposition"]["bound"] == pytest.approx(db.value)


def test_objectives_that_do_not_decompose():
    t = grid(3, 3, 2, seed=1)
    p = Problem.from_dict({"regions": 2, "maximize": ["homogeneity"],
                           "constraints": {"tolerance": 0.5}})
    assert not decomposable(p.compile(t))
    res = MIPOptimizer(time_limit=30, decompose=True).run(p, t)
    assert "decomposition" not in res.stats
