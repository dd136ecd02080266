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
    plurality_heads,
    tie_possible,
)
from dayafter.optimize.mip import MIPOptimizer


def _connected(t, members: np.ndarray) -> bool:
    a = np.where(members, 0, 1).astype(np.int32)
    comp = t.graph.components(a)
    return np.unique(comp[members]).size == 1


def _best_single_region(t, c: int, lo: float, hi: float, exclude=()) -> float:
    """Most people of ``c`` in one connected set within [lo, hi] where ``c`` is largest."""
    table = t.census(t.census_names[0])
    n = t.n_units
    best = 0.0
    for bits in itertools.product((False, True), repeat=n):
        m = np.array(bits)
        if not m.any() or m[list(exclude)].any():
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


@pytest.mark.slow
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


@pytest.mark.slow
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


@pytest.mark.parametrize("seed", [0, 1])
def test_excluded_units_against_enumeration(seed):
    t = grid(3, 3, 3, seed=20 + seed)
    rng = np.random.default_rng(seed)
    for c in range(3):
        excl = sorted(rng.choice(9, size=2, replace=False).tolist())
        p = Problem.from_dict({"regions": 3, "maximize": [
            {"metric": "empowerment_plurality", "communities": [t.communities[c]]}],
            "constraints": {"tolerance": 0.4}})
        cp = p.compile(t)
        tb = packing_bound(cp, c, time_limit=30, slots=1, exclude=excl)
        ref = _best_single_region(t, c, float(cp.lo.min()), float(cp.hi.max()), exclude=excl)
        assert tb.value == pytest.approx(ref, abs=1e-6)
        assert not set(excl) & {u for reg in tb.regions for u in reg}


def _path(rows: list[list[float]], regions: int, tolerance: float, comms: list[str]):
    from dayafter.testing.grids import grid_territory

    table = np.array(rows, dtype=float)
    t = grid_territory(1, len(rows), communities=table)
    p = Problem.from_dict({"regions": regions, "maximize": [
        {"metric": "empowerment_plurality", "communities": comms}],
        "constraints": {"tolerance": tolerance}})
    return t, p


def test_tie_possible_yes_and_no():
    # a | c0-heavy | b: a and b are never largest together
    t, p = _path([[1, 10, 0], [100, 0, 0], [1, 0, 10]], 2, 0.99, ["c1", "c2"])
    assert tie_possible(p.compile(t), 1, 2, time_limit=10) == "no"
    # a | b side by side, a little c0 each: their union ties a and b
    t, p = _path([[1, 6, 0], [1, 0, 6], [3, 0, 0], [3, 0, 0]], 2, 0.5, ["c1", "c2"])
    assert tie_possible(p.compile(t), 1, 2, time_limit=10) == "yes"


def test_branching_keeps_ties_counted_twice():
    """A tied region counts for both communities: no branching may cut that plan off."""
    t, p = _path([[1, 6, 0], [1, 0, 6], [3, 0, 0], [3, 0, 0]], 2, 0.5, ["c1", "c2"])
    best, _ = brute.optimum(p, t)
    assert best == pytest.approx(2.0)  # {0, 1} ties c1 and c2: both fully empowered
    cp = p.compile(t)
    db = decomposition_bound(cp, time_limit=30)
    assert db.value >= best - 1e-7
    assert [(a, b) for a, b, _ in db.ties] == [("c1", "c2")]
    assert db.ties[0][2] >= best - 1e-7
    # the tied packings: each community's region must hold the other at least as much
    assert packing_bound(cp, 1, tie_with=2, time_limit=10).value == pytest.approx(1.0, abs=1e-6)
    assert packing_bound(cp, 2, tie_with=1, time_limit=10).value == pytest.approx(1.0, abs=1e-6)


def _competing(seed: int):
    """A 3x4 grid: a large community everywhere, a small scattered one, and two minorities
    concentrated around random centres (their best regions compete for the same units)."""
    from dayafter.testing.grids import grid_territory

    rng = np.random.default_rng(300 + seed)
    table = np.zeros((12, 4))
    table[:, 0] = rng.integers(10, 40, size=12)
    table[:, 3] = rng.integers(0, 15, size=12)
    for c in (1, 2):
        r, q = divmod(int(rng.integers(0, 12)), 4)
        for u in range(12):
            d = abs(u // 4 - r) + abs(u % 4 - q)
            table[u, c] = max(0, 60 - 25 * d) + rng.integers(0, 5)
    t = grid_territory(3, 4, communities=table)
    p = Problem.from_dict({"regions": 3, "maximize": [
        {"metric": "empowerment_plurality", "communities": ["c1", "c2"]}],
        "constraints": {"tolerance": 0.6}})
    return t, p


@pytest.mark.parametrize("seeds", [
    # make test: two seeds whose gap stays open and three that close it (about 9 CPU-s)
    pytest.param((0, 2, 1, 5, 6), marks=pytest.mark.slow, id="short"),
    pytest.param(tuple(range(10)), marks=[pytest.mark.slow, pytest.mark.long], id="all")])
def test_branching_bound_against_brute_force(seeds):
    """The branched bound stays at or above the enumerated optimum, never above the unbranched
    sum, and where the minorities cannot tie it closes most of the gap (seeds 1, 5, 6 and 8 of
    this generator reach the optimum exactly)."""
    closed = 0
    for seed in seeds:
        t, p = _competing(seed)
        cp = p.compile(t)
        best, _ = brute.optimum(p, t)
        db = decomposition_bound(cp, time_limit=120)
        flat = decomposition_bound(cp, time_limit=60, branch=False)
        assert db.value >= best - 1e-7, seed
        assert db.value <= db.root + 1e-9
        assert db.root == pytest.approx(flat.value, abs=1e-6)
        assert flat.nodes == 0 and flat.joint == ()
        if db.joint:
            assert db.nodes > 0
        closed += db.value <= best + 1e-6
    assert closed >= 3


def test_conflicting_pairs_against_enumeration():
    """Two units conflict exactly when every connected set holding both weighs more than the
    cap in some column (the lightest such set is a path)."""
    from dayafter.optimize.bounds import _conflicts

    t = grid(3, 3, 2, seed=4)
    rng = np.random.default_rng(4)
    w = rng.integers(0, 10, size=(9, 2)).astype(float)
    caps = np.array([12.0, 15.0])
    indptr = np.asarray(t.graph.indptr, dtype=np.int64)
    ind = np.asarray(t.graph.indices, dtype=np.int64)
    got = {(int(i), int(j)) for i, j in _conflicts(indptr, ind, w, caps)}
    lightest = np.full((9, 9, 2), np.inf)
    for bits in itertools.product((False, True), repeat=9):
        m = np.array(bits)
        if m.sum() < 1 or not _connected(t, m):
            continue
        tot = w[m].sum(axis=0)
        idx = np.flatnonzero(m)
        for i in idx:
            for j in idx:
                lightest[i, j] = np.minimum(lightest[i, j], tot)
    want = {(i, j) for i in range(9) for j in range(i + 1, 9)
            if (lightest[i, j] > caps).any()}
    assert got == want
    assert want  # the caps do cut some pairs


def _head_sets(t, c: int, lo: float, hi: float, majority: bool = False) -> set[int]:
    """Every unit that heads (holds the most people of ``c``, ties by index) some connected set
    within [lo, hi] in which ``c`` is largest (or above half)."""
    table = t.census(t.census_names[0])
    order = np.lexsort((np.arange(t.n_units), -table[:, c]))
    heads = set()
    for bits in itertools.product((False, True), repeat=t.n_units):
        m = np.array(bits)
        if not m.any():
            continue
        tally = table[m].sum(axis=0)
        pop = tally.sum()
        if pop < lo - 1e-9 or pop > hi + 1e-9:
            continue
        if (tally[c] < 0.5 * pop - 1e-9) if majority else (tally[c] < tally.max()):
            continue
        if tally[c] <= 0 or not _connected(t, m):
            continue
        heads.add(int(next(u for u in order if m[u])))
    return heads


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_plurality_heads_against_enumeration(seed):
    t = grid(3, 3, 3, seed=40 + seed)
    for c in range(3):
        for majority in (False, True):
            metric = "empowerment_majority" if majority else "empowerment_plurality"
            p = Problem.from_dict({"regions": 3, "maximize": [
                {"metric": metric, "communities": [t.communities[c]]}],
                "constraints": {"tolerance": 0.5}})
            cp = p.compile(t)
            ref = _head_sets(t, c, float(cp.lo.min()), float(cp.hi.max()), majority)
            assert set(plurality_heads(cp, c, time_limit=60)) == ref


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 2,  # make test: the two quicker grids (18 s); all four under make test-long
                                  pytest.param(1, marks=pytest.mark.long),
                                  pytest.param(3, marks=pytest.mark.long)])
def test_packing_with_heads_equals_packing_without(seed):
    """Rooting regions at their heads changes the model, not its optimum: with one slot per head
    (fixed roots) and with fewer slots than heads (free roots among the heads)."""
    t = grid(3, 4, 3, seed=60 + seed)
    for c in range(3):
        p = Problem.from_dict({"regions": 4, "maximize": [
            {"metric": "empowerment_plurality", "communities": [t.communities[c]]}],
            "constraints": {"tolerance": 0.6}})
        cp = p.compile(t)
        hs = plurality_heads(cp, c, time_limit=60)
        for slots in (1, 2, None):
            free = packing_bound(cp, c, time_limit=60, slots=slots)
            rooted = packing_bound(cp, c, time_limit=60, slots=slots, heads=hs)
            assert free.status in ("optimal", "counting", "infeasible")
            assert rooted.status in ("optimal", "counting", "infeasible")
            assert rooted.value == pytest.approx(free.value, abs=1e-6), (c, slots, hs)
        if len(hs) <= 1:
            continue
        # a single slot over one region's best: the enumeration agrees
        one = packing_bound(cp, c, time_limit=60, slots=1, heads=hs)
        ref = _best_single_region(t, c, float(cp.lo.min()), float(cp.hi.max()))
        assert one.value == pytest.approx(ref, abs=1e-6)
