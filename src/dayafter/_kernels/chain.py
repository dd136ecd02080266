"""The incremental state of a plan that changes step by step: one house for chains and searches.

Ensembles (:mod:`dayafter._kernels.recom`) and the optimizers (:mod:`dayafter.optimize._kernels`)
keep the same state, a :class:`ChainState` of flat arrays, updated unit by unit by
:func:`move_units` (so a rejected move is undone by moving its units back) or, after a ReCom
move, with the two regions' sums recounted in unit order by :func:`recount` (no rounding drift, and the
same sums as :func:`dayafter.metrics.tally`). The static inputs are a :class:`ChainData`.

Per-step community metrics (:func:`community_metrics`) read the tallies of the tracked censuses
in ``O(k g)``; their formulas are those of :mod:`dayafter.metrics.composition`, which stays their
test oracle.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit
from numpy.typing import NDArray

__all__ = ["N_COUNTS", "S_ADJ_PAIRS", "S_CHANGED", "S_CUT", "S_ELIGIBLE_CUT", "S_SPLITS0",
           "ChainData", "ChainState", "empty_state"]

# counts layout (int64 array)
S_CUT = 0  # cut edges (all)
S_ELIGIBLE_CUT = 1  # cut edges between two unlocked regions
S_ADJ_PAIRS = 2  # unordered pairs of unlocked regions that touch
S_CHANGED = 3  # units whose class differs from their class in the starting plan
S_SPLITS0 = 4  # splits of admin level 0, 1, ... follow
N_COUNTS = 4


class ChainData(NamedTuple):
    """What does not change along a chain (``n`` units, ``k`` regions, ``C`` tracked censuses of
    ``g`` communities, ``L`` admin levels).

    Attributes
    ----------
    indptr, indices, src
        CSR adjacency (``src[p]`` is the unit entry ``p`` starts from).
    pop
        ``float64[n]`` population balanced by the bounds.
    area
        ``float64[n]`` unit areas (km2; zeros where unused).
    tables
        ``float64[C, n, g]`` census tables whose region tallies are kept.
    totals
        ``float64[C, g]`` people of each community in the territory (the denominators of
        empowerment and stranded shares).
    zob
        ``uint64[n]`` fixed random keys (label-invariant plan hashes).
    lock
        ``int64[n]`` region a unit is locked to, or -1.
    region_locked
        ``bool[k]`` regions that never change.
    part
        ``bool[k]`` regions that take part in the question (all, or those holding units of a
        subset): the population deviation and the ranked largest shares read only these.
    lo, hi
        ``float64[k]`` population bounds.
    adm_codes, adm_offsets, adm_caps
        ``int64[L, n]`` admin unit of each unit per level, row offsets ``int64[L + 1]``, caps on
        splits ``int64[L]`` (-1: none).
    home, region_class, weight
        Change from the starting plan: a unit has *changed* when ``region_class[assignment[u]]
        != home[u]`` (``home`` is the class of its starting region; classes are regions or
        authorities); ``weight`` is what a changed unit counts (1, or its people).
    """

    indptr: NDArray[np.int64]
    indices: NDArray[np.int64]
    src: NDArray[np.int64]
    pop: NDArray[np.float64]
    area: NDArray[np.float64]
    tables: NDArray[np.float64]
    totals: NDArray[np.float64]
    zob: NDArray[np.uint64]
    lock: NDArray[np.int64]
    region_locked: NDArray[np.bool_]
    part: NDArray[np.bool_]
    lo: NDArray[np.float64]
    hi: NDArray[np.float64]
    adm_codes: NDArray[np.int64]
    adm_offsets: NDArray[np.int64]
    adm_caps: NDArray[np.int64]
    home: NDArray[np.int64]
    region_class: NDArray[np.int64]
    weight: NDArray[np.float64]


class ChainState(NamedTuple):
    """The plan and everything kept up to date with it.

    Attributes
    ----------
    assignment
        ``int64[n]`` region of each unit.
    region_pop, size, area
        ``float64[k]``, ``int64[k]``, ``float64[k]``: population, units and area of each region.
    tally
        ``float64[C, k, g]`` people of each community in each region, per tracked census.
    pair_cut
        ``int64[k, k]`` cut edges between each pair of regions.
    region_hash
        ``uint64[k]`` XOR of the units' keys in each region.
    adm_reg, adm_nz
        Units of each admin unit in each region, and the number of regions touching it.
    counts
        ``int64[N_COUNTS + L]``: see ``S_*``.
    changed
        ``float64[1]``: total ``weight`` of the changed units.
    """

    assignment: NDArray[np.int64]
    region_pop: NDArray[np.float64]
    size: NDArray[np.int64]
    area: NDArray[np.float64]
    tally: NDArray[np.float64]
    pair_cut: NDArray[np.int64]
    region_hash: NDArray[np.uint64]
    adm_reg: NDArray[np.int64]
    adm_nz: NDArray[np.int64]
    counts: NDArray[np.int64]
    changed: NDArray[np.float64]


def empty_state(n: int, k: int, n_censuses: int, g: int, adm_rows: int, levels: int
                ) -> ChainState:
    """Zeroed state arrays of the given sizes (fill them with :func:`init_state`)."""
    return ChainState(
        assignment=np.zeros(n, np.int64), region_pop=np.zeros(k), size=np.zeros(k, np.int64),
        area=np.zeros(k), tally=np.zeros((n_censuses, k, g)),
        pair_cut=np.zeros((k, k), np.int64), region_hash=np.zeros(k, np.uint64),
        adm_reg=np.zeros((adm_rows, k), np.int64), adm_nz=np.zeros(adm_rows, np.int64),
        counts=np.zeros(N_COUNTS + levels, np.int64), changed=np.zeros(1))


@njit(cache=True)
def _mix64(x):  # pragma: no cover - compiled
    # splitmix64 finaliser (uint64 arithmetic wraps)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


@njit(cache=True)
def plan_hash(region_hash):  # pragma: no cover - compiled
    """Label-invariant 64-bit hash of a plan from its per-region unit-set hashes."""
    h = np.uint64(0)
    for r in range(region_hash.size):
        h += _mix64(region_hash[r])
    return h


@njit(cache=True)
def init_state(D, S):  # pragma: no cover - compiled
    """Fill every array of ``S`` from ``S.assignment`` (from scratch)."""
    a = S.assignment
    n = a.size
    k = S.region_pop.size
    n_c = D.tables.shape[0]
    g = S.tally.shape[2]
    for r in range(k):
        S.region_pop[r] = 0.0
        S.size[r] = 0
        S.area[r] = 0.0
        S.region_hash[r] = np.uint64(0)
        for s in range(k):
            S.pair_cut[r, s] = 0
        for c in range(n_c):
            for j in range(g):
                S.tally[c, r, j] = 0.0
    changed_units = 0
    changed = 0.0
    for u in range(n):
        r = a[u]
        S.region_pop[r] += D.pop[u]
        S.size[r] += 1
        S.area[r] += D.area[u]
        S.region_hash[r] ^= D.zob[u]
        for c in range(n_c):
            for j in range(g):
                S.tally[c, r, j] += D.tables[c, u, j]
        if D.region_class[r] != D.home[u]:
            changed_units += 1
            changed += D.weight[u]
    cut = 0
    elig = 0
    indptr = D.indptr
    indices = D.indices
    locked = D.region_locked
    for u in range(n):
        for p in range(indptr[u], indptr[u + 1]):
            v = indices[p]
            if u < v and a[u] != a[v]:
                ra = a[u]
                rb = a[v]
                S.pair_cut[ra, rb] += 1
                S.pair_cut[rb, ra] += 1
                cut += 1
                if not locked[ra] and not locked[rb]:
                    elig += 1
    adj = 0
    for ra in range(k):
        for rb in range(ra + 1, k):
            if S.pair_cut[ra, rb] > 0 and not locked[ra] and not locked[rb]:
                adj += 1
    S.counts[S_CUT] = cut
    S.counts[S_ELIGIBLE_CUT] = elig
    S.counts[S_ADJ_PAIRS] = adj
    S.counts[S_CHANGED] = changed_units
    S.changed[0] = changed
    for i in range(S.adm_nz.size):
        S.adm_nz[i] = 0
        for r in range(k):
            S.adm_reg[i, r] = 0
    for lev in range(D.adm_codes.shape[0]):
        for u in range(n):
            row = D.adm_offsets[lev] + D.adm_codes[lev, u]
            r = a[u]
            if S.adm_reg[row, r] == 0:
                S.adm_nz[row] += 1
            S.adm_reg[row, r] += 1
        splits = 0
        for row in range(D.adm_offsets[lev], D.adm_offsets[lev + 1]):
            if S.adm_nz[row] > 1:
                splits += 1
        S.counts[S_SPLITS0 + lev] = splits
    return 0


@njit(cache=True)
def move_units(D, S, units, labels, count, tallies):  # pragma: no cover - compiled
    """Move ``units[i]`` to region ``labels[i]`` for ``i < count``, one after the other, and
    update the state.

    Cut edges, pair counts, hashes, sizes, areas, admin splits and the change from the start are
    updated incrementally; populations and community tallies too when ``tallies`` is True (else
    the caller recounts them, see :func:`recount`). ``O(sum of degrees + count (C g + L))``.

    Every array is taken out of ``D`` and ``S`` once, before the loop: reading an array out of a
    named tuple costs a reference count, too much once per unit.
    """
    a = S.assignment
    indptr = D.indptr
    indices = D.indices
    locked = D.region_locked
    pc = S.pair_cut
    counts = S.counts
    zob = D.zob
    region_hash = S.region_hash
    size = S.size
    area_u = D.area
    area_r = S.area
    home = D.home
    rclass = D.region_class
    weight = D.weight
    changed = S.changed
    pop = D.pop
    region_pop = S.region_pop
    tab = D.tables
    tal = S.tally
    adm_codes = D.adm_codes
    adm_offsets = D.adm_offsets
    adm_reg = S.adm_reg
    adm_nz = S.adm_nz
    n_c = tab.shape[0]
    g = tab.shape[2]
    n_lev = adm_codes.shape[0]
    n_cut = 0
    n_elig = 0
    n_adj = 0
    n_changed = 0
    for q in range(count):
        u = units[q]
        new = labels[q]
        old = a[u]
        if old == new:
            continue
        lo_old = locked[old]
        lo_new = locked[new]
        for p in range(indptr[u], indptr[u + 1]):
            b = a[indices[p]]
            lb = locked[b]
            if b != old:
                pc[old, b] -= 1
                pc[b, old] -= 1
                n_cut -= 1
                if not lo_old and not lb:
                    n_elig -= 1
                    if pc[old, b] == 0:
                        n_adj -= 1
            if b != new:
                if pc[new, b] == 0 and not lo_new and not lb:
                    n_adj += 1
                pc[new, b] += 1
                pc[b, new] += 1
                n_cut += 1
                if not lo_new and not lb:
                    n_elig += 1
        a[u] = new
        z = zob[u]
        region_hash[old] ^= z
        region_hash[new] ^= z
        size[old] -= 1
        size[new] += 1
        area_r[old] -= area_u[u]
        area_r[new] += area_u[u]
        h = home[u]
        was = rclass[old] != h
        now = rclass[new] != h
        if was != now:
            if now:
                n_changed += 1
                changed[0] += weight[u]
            else:
                n_changed -= 1
                changed[0] -= weight[u]
        if tallies:
            region_pop[old] -= pop[u]
            region_pop[new] += pop[u]
            for c in range(n_c):
                for j in range(g):
                    x = tab[c, u, j]
                    tal[c, old, j] -= x
                    tal[c, new, j] += x
        for lev in range(n_lev):
            row = adm_offsets[lev] + adm_codes[lev, u]
            adm_reg[row, old] -= 1
            if adm_reg[row, old] == 0:
                adm_nz[row] -= 1
                if adm_nz[row] == 1:
                    counts[S_SPLITS0 + lev] -= 1
            if adm_reg[row, new] == 0:
                adm_nz[row] += 1
                if adm_nz[row] == 2:
                    counts[S_SPLITS0 + lev] += 1
            adm_reg[row, new] += 1
    counts[S_CUT] += n_cut
    counts[S_ELIGIBLE_CUT] += n_elig
    counts[S_ADJ_PAIRS] += n_adj
    counts[S_CHANGED] += n_changed
    return 0


@njit(cache=True)
def recount(D, S, nodes, m, a, b):  # pragma: no cover - compiled
    """Population and tallies of regions ``a`` and ``b`` recomputed over ``nodes[:m]`` (which hold
    every unit of both, in unit order): the same sums, in the same order, as a from-scratch tally,
    so no rounding drift builds up over a chain."""
    asg = S.assignment
    tab = D.tables
    tal = S.tally
    pop = D.pop
    n_c = tab.shape[0]
    g = tab.shape[2]
    sa = 0.0
    sb = 0.0
    for c in range(n_c):
        for j in range(g):
            tal[c, a, j] = 0.0
            tal[c, b, j] = 0.0
    for i in range(m):
        u = nodes[i]
        r = asg[u]
        if r == a:
            sa += pop[u]
        else:
            sb += pop[u]
        for c in range(n_c):
            for j in range(g):
                tal[c, r, j] += tab[c, u, j]
    S.region_pop[a] = sa
    S.region_pop[b] = sb
    return 0


@njit(cache=True)
def region_top(P, r, out_top):  # pragma: no cover - compiled
    """Largest share of region ``r`` of tally ``P[k, g]`` (written to ``out_top[r]``; NaN when
    empty); returns the region's population."""
    g = P.shape[1]
    nr = 0.0
    for j in range(g):
        nr += P[r, j]
    if nr <= 0:
        out_top[r] = np.nan
        return nr
    top = -1.0
    for j in range(g):
        s = P[r, j] / nr
        if s > top:
            top = s
    out_top[r] = top
    return nr


@njit(cache=True)
def community_metrics(P, totals, thr, plur, maj, strn, top):  # pragma: no cover - compiled
    """Empowerment (plurality, majority), stranded share and each region's largest share.

    ``P`` is one census's tally ``[k, g]`` and ``totals`` its community totals. As in
    :mod:`dayafter.metrics.composition`: shares ``P / N``; a community tied for largest counts as
    largest (when it has people); majority is a share above one half; stranded a share below
    ``thr``; empty regions count nowhere; communities with no people give NaN. ``O(k g)``.
    """
    k, g = P.shape
    for j in range(g):
        plur[j] = 0.0
        maj[j] = 0.0
        strn[j] = 0.0
    for r in range(k):
        nr = region_top(P, r, top)
        if nr <= 0:
            continue
        t = top[r]
        for j in range(g):
            p = P[r, j]
            s = p / nr
            if p > 0 and s >= t:
                plur[j] += p
            if s > 0.5:
                maj[j] += p
            if s < thr:
                strn[j] += p
    for j in range(g):
        tot = totals[j]
        if tot > 0:
            plur[j] /= tot
            maj[j] /= tot
            strn[j] /= tot
        else:
            plur[j] = np.nan
            maj[j] = np.nan
            strn[j] = np.nan
    return 0
