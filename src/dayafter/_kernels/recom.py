"""Numba kernel of ReCom chains: steps on the shared chain state, per-step records and metrics.

The trees and cuts come from :mod:`dayafter._kernels.tree`, the state and its updates from
:mod:`dayafter._kernels.chain`. The public wrappers live in :mod:`dayafter.ensemble`. Everything
works on flat arrays and an explicit ``np.random.Generator`` (numba shares the generator's state
with the caller, so a chain can be checkpointed through ``rng.bit_generator.state``), and the
random stream does not depend on how the steps are grouped into calls.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit
from numpy.typing import NDArray

from dayafter._kernels.chain import (
    S_ADJ_PAIRS,
    S_CUT,
    S_ELIGIBLE_CUT,
    S_SPLITS0,
    community_metrics,
    move_units,
    plan_hash,
    recount,
)
from dayafter._kernels.tree import cut_labels, draw_cuts, load_merged, release

# step outcomes (out.status)
MOVED = 0
NO_BALANCED_CUT = 1
SAME_PLAN = 2
REJECTED_METROPOLIS = 3
REJECTED_SPLITS = 4
NOT_ADJACENT = 5
N_CAUSES = 6
CAUSE_NAMES = (
    "moved",
    "no_balanced_cut",
    "same_plan",
    "rejected_metropolis",
    "rejected_splits",
    "pair_not_adjacent",
)

# errors returned by recom_steps (negative step count)
ERR_M_EXCEEDED = -1
ERR_NO_PAIR = -2

PAIR_CUT_EDGE = 0  # pick a cut edge uniformly, merge its two regions
PAIR_REGIONS = 1  # pick an adjacent pair of regions uniformly


class ChainParams(NamedTuple):
    """The proposal and what is recorded.

    Attributes
    ----------
    pair_rule
        ``PAIR_CUT_EDGE`` or ``PAIR_REGIONS``.
    tree
        ``TREE_UNIFORM`` (Wilson) or ``TREE_MST`` (random-weight minimum spanning tree).
    reversible
        1 for reversible ReCom (Cannon, Duchin, Randall, Rule).
    m_bound
        Bound on balanced cuts per tree (reversible only).
    attempts
        Trees drawn per step before giving up (non-reversible only).
    threshold
        Stranded threshold of the community metrics.
    record
        1 to write the community metrics of every step.
    """

    pair_rule: int
    tree: int
    reversible: int
    m_bound: int
    attempts: int
    threshold: float
    record: int


class StepOut(NamedTuple):
    """Per-step records of ``N`` steps (``C`` tracked censuses, ``g`` communities, ``kp``
    regions taking part; the metric arrays have 0 rows when nothing is recorded).

    ``largest`` holds the largest community share of each region taking part (``ChainData.part``),
    sorted from the most homogeneous region down. ``info`` describes an error (regions and count).
    """

    status: NDArray[np.int8]
    trees: NDArray[np.int32]
    cut: NDArray[np.int32]
    dev: NDArray[np.float64]
    hash: NDArray[np.uint64]
    plur: NDArray[np.float64]
    maj: NDArray[np.float64]
    strn: NDArray[np.float64]
    largest: NDArray[np.float64]
    info: NDArray[np.int64]


def make_out(n_steps: int, n_censuses: int, g: int, kp: int, record: bool) -> StepOut:
    """Output arrays for ``n_steps`` steps."""
    rows = n_steps if record else 0
    return StepOut(np.zeros(n_steps, np.int8), np.zeros(n_steps, np.int32),
                   np.zeros(n_steps, np.int32), np.zeros(n_steps), np.zeros(n_steps, np.uint64),
                   np.zeros((rows, n_censuses, g)), np.zeros((rows, n_censuses, g)),
                   np.zeros((rows, n_censuses, g)), np.zeros((rows, n_censuses, kp)),
                   np.zeros(3, np.int64))


@njit(cache=True)
def _choose_pair(D, S, prm, rng, pair_out):  # pragma: no cover - compiled
    """Pick the two regions to merge; returns 0, NOT_ADJACENT (reversible) or ERR_NO_PAIR."""
    locked = D.region_locked
    k = locked.size
    if prm.reversible == 1:
        # uniform over all unordered pairs of unlocked regions; non-adjacent pairs are self-loops
        n_free = 0
        for r in range(k):
            if not locked[r]:
                n_free += 1
        if n_free < 2:
            return ERR_NO_PAIR
        n_pairs = n_free * (n_free - 1) // 2
        j = rng.integers(0, n_pairs)
        idx = 0
        for a in range(k):
            if locked[a]:
                continue
            for b in range(a + 1, k):
                if locked[b]:
                    continue
                if idx == j:
                    pair_out[0] = a
                    pair_out[1] = b
                    if S.pair_cut[a, b] == 0:
                        return NOT_ADJACENT
                    return 0
                idx += 1
        return ERR_NO_PAIR
    asg = S.assignment
    if prm.pair_rule == PAIR_CUT_EDGE:
        if S.counts[S_ELIGIBLE_CUT] == 0:
            return ERR_NO_PAIR
        src = D.src
        indices = D.indices
        ne = src.size
        while True:  # rejection sampling: uniform over eligible cut edges
            p = rng.integers(0, ne)
            a = asg[src[p]]
            b = asg[indices[p]]
            if a != b and not locked[a] and not locked[b]:
                pair_out[0] = a
                pair_out[1] = b
                return 0
    if S.counts[S_ADJ_PAIRS] == 0:
        return ERR_NO_PAIR
    pc = S.pair_cut
    while True:  # rejection sampling: uniform over adjacent unlocked pairs
        a = rng.integers(0, k)
        b = rng.integers(0, k)
        if a < b and pc[a, b] > 0 and not locked[a] and not locked[b]:
            pair_out[0] = a
            pair_out[1] = b
            return 0


@njit(cache=True)
def _metrics_now(D, S, prm, plur, maj, strn, top, ranked):  # pragma: no cover - compiled
    """Community metrics of every tracked census; ``ranked[c]`` the largest shares of the regions
    taking part, sorted descending."""
    part = D.part
    kp = ranked.shape[1]
    for c in range(D.tables.shape[0]):
        community_metrics(S.tally[c], D.totals[c], prm.threshold, plur[c], maj[c], strn[c],
                          top[c])
        q = 0
        for r in range(part.size):
            if part[r]:
                x = top[c, r]
                # insertion, largest first (NaN, an empty region, last)
                j = q
                while j > 0 and (ranked[c, j - 1] < x or (np.isnan(ranked[c, j - 1])
                                                         and not np.isnan(x))):
                    ranked[c, j] = ranked[c, j - 1]
                    j -= 1
                ranked[c, j] = x
                q += 1
        for j in range(q, kp):
            ranked[c, j] = np.nan
    return 0


@njit(cache=True)
def _relabel(D, S, ws, m, a, b, labels):  # pragma: no cover - compiled
    """Move every unit of the merged set to ``labels[i]`` and recount the two regions."""
    move_units(D, S, ws.nodes, labels, m, False)
    recount(D, S, ws.nodes, m, a, b)
    return 0


@njit(cache=True)
def recom_steps(D, S, prm, ws, n_steps, rng, out):  # pragma: no cover - compiled
    """Run ``n_steps`` ReCom steps on state ``S`` in place, writing each step to ``out``.

    Returns the number of steps completed, or a negative error code (``ERR_M_EXCEEDED`` with
    ``out.info = [a, b, count]``, ``ERR_NO_PAIR``) at the step that failed; the state is then the
    state before that step.
    """
    k = S.region_pop.size
    part = D.part
    n_c = D.tables.shape[0]
    g = D.tables.shape[2]
    kp = 0
    ideal = 0.0
    for r in range(k):
        if part[r]:
            kp += 1
            ideal += S.region_pop[r]
    ideal = ideal / kp if kp > 0 else 0.0
    record = prm.record == 1
    plur = np.zeros((n_c, g))
    maj = np.zeros((n_c, g))
    strn = np.zeros((n_c, g))
    top = np.zeros((n_c, k))
    ranked = np.zeros((n_c, kp))
    if record:
        _metrics_now(D, S, prm, plur, maj, strn, top, ranked)
    pair = np.zeros(2, dtype=np.int64)
    trees_used = np.zeros(1, dtype=np.int64)
    n_levels = D.adm_codes.shape[0]
    reversible = prm.reversible == 1
    # arrays out of the named tuples once (each read from a tuple costs a reference count)
    asg = S.assignment
    nodes = ws.nodes
    newlab = ws.newlab
    oldlab = ws.oldlab
    lptr = ws.lptr
    lind = ws.lind
    region_pop = S.region_pop
    counts = S.counts
    region_hash = S.region_hash
    lo = D.lo
    hi = D.hi
    adm_caps = D.adm_caps
    o_status = out.status
    o_trees = out.trees
    o_cut = out.cut
    o_dev = out.dev
    o_hash = out.hash
    o_plur = out.plur
    o_maj = out.maj
    o_strn = out.strn
    o_largest = out.largest
    for step in range(n_steps):
        status = MOVED
        trees = 0
        code = _choose_pair(D, S, prm, rng, pair)
        if code == ERR_NO_PAIR:
            return ERR_NO_PAIR
        if code == NOT_ADJACENT:
            status = NOT_ADJACENT
        else:
            a = pair[0]
            b = pair[1]
            m = load_merged(D.indptr, D.indices, S.assignment, a, b, D.pop, D.lock, ws)
            attempts = 1 if reversible else prm.attempts
            count = draw_cuts(ws, m, prm.tree, attempts, lo[a], hi[a], lo[b], hi[b], rng,
                              trees_used)
            trees = trees_used[0]
            chosen = -1
            if reversible:
                if count > prm.m_bound:
                    out.info[0] = a
                    out.info[1] = b
                    out.info[2] = count
                    release(ws, m)
                    return ERR_M_EXCEEDED
                j = rng.integers(0, prm.m_bound)
                if j < count:
                    chosen = ws.cand[j]
            elif count > 0:
                chosen = ws.cand[rng.integers(0, count)]
            if chosen < 0:
                status = NO_BALANCED_CUT
            else:
                cut_labels(ws, m, chosen, a, b)
                same = True
                for i in range(m):
                    old = asg[nodes[i]]
                    oldlab[i] = old
                    if newlab[i] != old:
                        same = False
                if same:
                    status = SAME_PLAN
                else:
                    if reversible:
                        seam_old = S.pair_cut[a, b]
                        seam_new = 0
                        for i in range(m):
                            for q in range(lptr[i], lptr[i + 1]):
                                w = lind[q]
                                if i < w and newlab[i] != newlab[w]:
                                    seam_new += 1
                        if seam_new > seam_old:
                            if rng.random() * seam_new >= seam_old:
                                status = REJECTED_METROPOLIS
                    if status == MOVED:
                        _relabel(D, S, ws, m, a, b, newlab)
                        bad = False
                        for lev in range(n_levels):
                            if adm_caps[lev] >= 0 and counts[S_SPLITS0 + lev] > adm_caps[lev]:
                                bad = True
                        if bad:  # undo
                            status = REJECTED_SPLITS
                            _relabel(D, S, ws, m, a, b, oldlab)
                        elif record:
                            _metrics_now(D, S, prm, plur, maj, strn, top, ranked)
            release(ws, m)
        o_status[step] = status
        o_trees[step] = trees
        o_cut[step] = counts[S_CUT]
        dev = 0.0
        for r in range(k):
            if part[r] and ideal > 0:
                d = abs(region_pop[r] - ideal) / ideal
                if d > dev:
                    dev = d
        o_dev[step] = dev
        o_hash[step] = plan_hash(region_hash)
        if record:
            for c in range(n_c):
                for j in range(g):
                    o_plur[step, c, j] = plur[c, j]
                    o_maj[step, c, j] = maj[c, j]
                    o_strn[step, c, j] = strn[c, j]
                for j in range(kp):
                    o_largest[step, c, j] = ranked[c, j]
    return n_steps
