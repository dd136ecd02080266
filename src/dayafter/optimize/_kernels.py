"""Numba kernels of the optimizers: objective score, flip and ReCom moves, annealing, short bursts.

The plan and its tallies are the shared chain state of :mod:`dayafter._kernels.chain` (kept up to
date unit by unit by ``move_units``, so a rejected move is undone by moving its units back); the
ReCom move uses the tree workspace and Wilson's algorithm of :mod:`dayafter._kernels.tree`. The
objective and its constraints are an :class:`ObjectiveData`, the run's parameters a
:class:`SearchParams`.

The objective is computed on each census of ``ChainData.tables`` and combined: the weighted sum of
the censuses' values, or the worst (smallest) of them; cut edges and splits are added once.
Criteria hold on every census. A move budget caps the units (``S_CHANGED``) and the people
(``ChainState.changed``) whose region, or authority, differs from the starting plan.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit
from numpy.typing import NDArray

from dayafter._kernels.chain import S_CHANGED, S_CUT, S_SPLITS0, init_state, move_units
from dayafter._kernels.tree import (
    TREE_UNIFORM,
    cut_labels,
    draw_cuts,
    load_merged,
    release,
)

FEAS_TOL = 1e-12
MODE_ANNEAL = 0
MODE_BURSTS = 1
COMBINE_WEIGHTED = 0
COMBINE_WORST = 1


class ObjectiveData(NamedTuple):
    """The objective and constraints of a compiled problem, for the kernels.

    Attributes
    ----------
    W
        ``float64[3, g]`` weights of plurality empowerment, majority empowerment, stranded share.
    w_homog, w_cut, threshold, penalty, shaping
        Homogeneity and cut-edge weights, stranded threshold, penalty per unit of violation,
        weight of the search's guidance term.
    w_splits, split_caps, cut_cap
        Split weights and caps per admin level (-1: none), cap on cut edges (-1: none).
    cc_kind, cc_g, cc_bound
        Community criteria (see :mod:`dayafter.optimize.problem`).
    rc_kind, rc_region, rc_c, rc_lo, rc_hi
        Region criteria.
    census_weights, combine
        Weight of each census and how their values combine (``COMBINE_WEIGHTED`` or
        ``COMBINE_WORST``).
    budget_units, budget_people
        Move budget (-1: none; people in the balanced census).
    """

    W: NDArray[np.float64]
    w_homog: float
    w_cut: float
    threshold: float
    penalty: float
    shaping: float
    w_splits: NDArray[np.float64]
    split_caps: NDArray[np.int64]
    cut_cap: int
    cc_kind: NDArray[np.int64]
    cc_g: NDArray[np.int64]
    cc_bound: NDArray[np.float64]
    rc_kind: NDArray[np.int64]
    rc_region: NDArray[np.int64]
    rc_c: NDArray[np.int64]
    rc_lo: NDArray[np.float64]
    rc_hi: NDArray[np.float64]
    census_weights: NDArray[np.float64]
    combine: int
    budget_units: int
    budget_people: float


class SearchParams(NamedTuple):
    """One call of :func:`search`: ``n_steps`` steps from step ``step0`` of ``total_steps``."""

    mode: int
    n_steps: int
    step0: int
    total_steps: int
    t0: float
    t1: float
    p_flip: float
    burst_len: int
    attempts: int


# ------------------------------------------------------------------------------- objective
@njit(cache=True)
def _census_score(P, totals, ob, out):  # pragma: no cover - compiled
    """Community and homogeneity terms on one census's tally; violation of the community and
    region criteria; and the guidance term. ``out = [value, violation, shape]``."""
    k, g = P.shape
    thr = ob.threshold
    W = ob.W
    plur = np.zeros(g)
    maj = np.zeros(g)
    strn = np.zeros(g)
    top = np.zeros(k)
    N = np.zeros(k)
    homog = 0.0
    total = 0.0
    for r in range(k):
        nr = 0.0
        for c in range(g):
            nr += P[r, c]
        N[r] = nr
        total += nr
        if nr <= 0:
            continue
        t = -1.0
        for c in range(g):
            s = P[r, c] / nr
            if s > t:
                t = s
        top[r] = t
        homog += t * nr
        for c in range(g):
            s = P[r, c] / nr
            if P[r, c] > 0 and s >= t:
                plur[c] += P[r, c]
            if s > 0.5:
                maj[c] += P[r, c]
            if s < thr:
                strn[c] += P[r, c]
    val = 0.0
    for c in range(g):
        if totals[c] > 0:
            val += (W[0, c] * plur[c] + W[1, c] * maj[c] + W[2, c] * strn[c]) / totals[c]
    if total > 0:
        val += ob.w_homog * homog / total
    viol = 0.0
    cc_kind = ob.cc_kind
    cc_g = ob.cc_g
    cc_bound = ob.cc_bound
    for j in range(cc_kind.size):
        c = cc_g[j]
        kind = cc_kind[j]
        b = cc_bound[j]
        if kind == 0:
            viol += max(0.0, b - plur[c] / totals[c])
        elif kind == 1:
            viol += max(0.0, b - maj[c] / totals[c])
        elif kind == 2:
            viol += max(0.0, strn[c] / totals[c] - b)
        else:
            viol += max(0.0, strn[c] - b) / totals[c]
    rc_kind = ob.rc_kind
    rc_region = ob.rc_region
    rc_c = ob.rc_c
    rc_lo = ob.rc_lo
    rc_hi = ob.rc_hi
    for j in range(rc_kind.size):
        r = rc_region[j]
        if N[r] <= 0:
            continue
        kind = rc_kind[j]
        if kind == 0:
            x = P[r, rc_c[j]] / N[r]
        else:
            x = top[r]
        if kind == 1:
            continue  # area: census-independent, see score()
        if x < rc_lo[j]:
            viol += (rc_lo[j] - x) / max(1.0, abs(rc_lo[j]))
        if x > rc_hi[j]:
            viol += (x - rc_hi[j]) / max(1.0, abs(rc_hi[j]))
    shape = 0.0
    if ob.shaping > 0:
        # smooth guidance on the plateaus of the step-like metrics (search only, not reported):
        # how close each community comes to being largest / a majority / not stranded
        for c in range(g):
            if totals[c] <= 0:
                continue
            if W[0, c] > 0 or W[1, c] > 0:
                best_ratio = 0.0
                best_maj = 0.0
                for r in range(k):
                    if N[r] <= 0:
                        continue
                    ratio = P[r, c] / (top[r] * N[r]) if top[r] > 0 else 0.0
                    if ratio > best_ratio:
                        best_ratio = ratio
                    m = min(1.0, 2.0 * P[r, c] / N[r])
                    if m > best_maj:
                        best_maj = m
                shape += max(W[0, c], 0.0) * best_ratio + max(W[1, c], 0.0) * best_maj
            if W[2, c] < 0:
                acc = 0.0
                for r in range(k):
                    if N[r] > 0:
                        acc += P[r, c] * min(1.0, P[r, c] / (N[r] * thr))
                shape += -W[2, c] * acc / totals[c]
    out[0] = val
    out[1] = viol
    out[2] = shape
    return val


@njit(cache=True)
def score(D, S, ob, out):  # pragma: no cover - compiled
    """Penalized search score of a state; writes ``out = [objective, violation, shaped]``.

    The objective combines the censuses (weighted sum or worst) and adds the census-free terms
    (cut edges, splits). The search compares shaped scores (the objective plus ``shaping`` times
    a smooth measure of progress) minus ``penalty`` times the violation, and keeps the best plan
    by the objective itself. The formulas follow :mod:`dayafter.metrics.composition` (ties for
    largest count as largest, empty regions count nowhere, shares compared as ``P / N``).
    """
    n_c = D.tables.shape[0]
    tmp = np.zeros(3)
    val = 0.0
    shape = 0.0
    viol = 0.0
    worst = np.inf
    tally = S.tally
    totals = D.totals
    cw = ob.census_weights
    for c in range(n_c):
        v = _census_score(tally[c], totals[c], ob, tmp)
        viol += tmp[1]
        if ob.combine == COMBINE_WORST:
            if v < worst:
                worst = v
                shape = tmp[2]
        else:
            val += cw[c] * v
            shape += cw[c] * tmp[2]
    if ob.combine == COMBINE_WORST:
        val = worst
    counts = S.counts
    val += ob.w_cut * counts[S_CUT]
    w_splits = ob.w_splits
    for lev in range(w_splits.size):
        val += w_splits[lev] * counts[S_SPLITS0 + lev]
    rc_kind = ob.rc_kind
    rc_region = ob.rc_region
    rc_lo = ob.rc_lo
    rc_hi = ob.rc_hi
    area = S.area
    for j in range(rc_kind.size):
        if rc_kind[j] == 1:  # area of a region (km2)
            x = area[rc_region[j]]
            if x < rc_lo[j]:
                viol += (rc_lo[j] - x) / max(1.0, abs(rc_lo[j]))
            if x > rc_hi[j]:
                viol += (x - rc_hi[j]) / max(1.0, abs(rc_hi[j]))
    if ob.cut_cap >= 0 and counts[S_CUT] > ob.cut_cap:
        viol += counts[S_CUT] - ob.cut_cap
    split_caps = ob.split_caps
    for lev in range(split_caps.size):
        if split_caps[lev] >= 0 and counts[S_SPLITS0 + lev] > split_caps[lev]:
            viol += counts[S_SPLITS0 + lev] - split_caps[lev]
    out[0] = val
    out[1] = viol
    out[2] = val + ob.shaping * shape
    return out[2] - ob.penalty * viol


@njit(cache=True)
def _better(s_new, v_new, s_old, v_old, pen):  # pragma: no cover - compiled
    """Feasible beats infeasible; then the higher (penalized) score wins."""
    f_new = v_new <= FEAS_TOL
    f_old = v_old <= FEAS_TOL
    if f_new and not f_old:
        return True
    if f_old and not f_new:
        return False
    if f_new:
        return s_new > s_old
    return s_new - pen * v_new > s_old - pen * v_old


@njit(cache=True)
def within_budget(S, ob):  # pragma: no cover - compiled
    """True when the plan's change from the start is within the move budget."""
    if ob.budget_units >= 0 and S.counts[S_CHANGED] > ob.budget_units:
        return False
    if ob.budget_people >= 0 and S.changed[0] > ob.budget_people * (1 + 1e-12) + 1e-9:
        return False
    return True


# ------------------------------------------------------------------------------- moves
@njit(cache=True)
def _stays_connected(u, r, indptr, indices, a, size, seen, stack):  # pragma: no cover
    """True when region ``r`` minus unit ``u`` is connected (and non-empty)."""
    if size[r] <= 1:
        return False
    start = -1
    for p in range(indptr[u], indptr[u + 1]):
        v = indices[p]
        if a[v] == r:
            start = v
            break
    if start < 0:
        return False
    seen[start] = True
    seen[u] = True
    stack[0] = start
    top = 1
    count = 1
    while top > 0:
        top -= 1
        x = stack[top]
        for p in range(indptr[x], indptr[x + 1]):
            v = indices[p]
            if not seen[v] and a[v] == r:
                seen[v] = True
                stack[top] = v
                top += 1
                count += 1
    # clear marks (walk the region again)
    seen[u] = False
    seen[start] = False
    stack[0] = start
    top = 1
    while top > 0:
        top -= 1
        x = stack[top]
        for p in range(indptr[x], indptr[x + 1]):
            v = indices[p]
            if seen[v]:
                seen[v] = False
                stack[top] = v
                top += 1
    return count == size[r] - 1


@njit(cache=True)
def _pick_cut_entry(D, a, rng):  # pragma: no cover - compiled
    """A CSR entry joining two regions, uniformly among them (rejection sampling); -1 if none."""
    src = D.src
    indices = D.indices
    ne = src.size
    for _ in range(100 * ne + 100):
        p = rng.integers(0, ne)
        if a[src[p]] != a[indices[p]]:
            return p
    return -1


@njit(cache=True)
def propose_flip(D, S, rng, seen, stack, moved, newlab):  # pragma: no cover - compiled
    """Pick a boundary unit and a neighbouring region; returns 1 (move in ``moved``/``newlab``)
    or 0 when the drawn move breaks a lock, a bound or contiguity."""
    a = S.assignment
    p = _pick_cut_entry(D, a, rng)
    if p < 0:
        return 0
    u = D.src[p]
    r_old = a[u]
    r_new = a[D.indices[p]]
    if D.lock[u] >= 0:
        return 0
    if S.region_pop[r_old] - D.pop[u] < D.lo[r_old] or S.region_pop[r_new] + D.pop[u] > D.hi[r_new]:
        return 0
    if not _stays_connected(u, r_old, D.indptr, D.indices, a, S.size, seen, stack):
        return 0
    moved[0] = u
    newlab[0] = r_new
    return 1


@njit(cache=True)
def propose_recom(D, S, ws, rng, attempts, moved, newlab):  # pragma: no cover - compiled
    """A ReCom proposal (cut-edge pair rule, uniform spanning tree, uniform balanced cut).

    Returns the number of units whose region changes (listed in ``moved``/``newlab``); 0 when no
    balanced cut was found in ``attempts`` trees or the cut reproduces the same plan.
    """
    a = S.assignment
    p = _pick_cut_entry(D, a, rng)
    if p < 0:
        return 0
    ra = a[D.src[p]]
    rb = a[D.indices[p]]
    m = load_merged(D.indptr, D.indices, a, ra, rb, D.pop, D.lock, ws)
    trees = np.zeros(1, np.int64)
    count = draw_cuts(ws, m, TREE_UNIFORM, attempts, D.lo[ra], D.hi[ra], D.lo[rb], D.hi[rb],
                      rng, trees)
    n_moved = 0
    if count > 0:
        cut_labels(ws, m, ws.cand[rng.integers(0, count)], ra, rb)
        nodes = ws.nodes
        lab = ws.newlab
        for i in range(m):
            u = nodes[i]
            if lab[i] != a[u]:
                moved[n_moved] = u
                newlab[n_moved] = lab[i]
                n_moved += 1
    release(ws, m)
    return n_moved


# ------------------------------------------------------------------------------- search
@njit(cache=True)
def search(D, S, ob, prm, ws, carry, burst_a, best_a, best, rng, counts):  # pragma: no cover
    """Run ``prm.n_steps`` steps of simulated annealing (``MODE_ANNEAL``) or short bursts.

    ``S`` is the current plan, updated in place (fill it with ``init_state`` before the first
    call); ``carry = [score, objective, violation, burst score]`` and ``burst_a`` (the best plan
    of the current burst) carry the search from one call to the next (``carry[3]`` NaN: start
    afresh), so the result does not depend on how the steps are split into calls. ``best_a`` /
    ``best = [objective, violation]`` is the best plan seen so far (updated when beaten). Annealing
    accepts a move with probability ``min(1, exp(delta / T))`` on the penalized score, ``T``
    falling geometrically from ``t0`` to ``t1`` over ``total_steps`` (this call covers steps
    ``step0 .. step0 + n_steps``). Short bursts (Cannon et al.) run an unbiased chain for
    ``burst_len`` steps and restart from the best plan of the burst. A move that takes the plan
    beyond the move budget is undone and counts as invalid. ``counts`` accumulates
    ``[proposed, invalid, accepted, improved]``.
    """
    n = S.assignment.size
    seen = np.zeros(n, dtype=np.bool_)
    stack = np.empty(n, dtype=np.int64)
    moved = np.empty(n, dtype=np.int64)
    newlab = np.empty(n, dtype=np.int64)
    oldlab = np.empty(n, dtype=np.int64)
    out = np.zeros(3)
    a = S.assignment
    if np.isnan(carry[3]):
        cur = score(D, S, ob, out)
        cur_s = out[0]
        cur_v = out[1]
        burst_a[:] = a
        burst_pen = cur
    else:
        cur = carry[0]
        cur_s = carry[1]
        cur_v = carry[2]
        burst_pen = carry[3]
    if _better(cur_s, cur_v, best[0], best[1], ob.penalty):
        best[0] = cur_s
        best[1] = cur_v
        best_a[:] = a
    for step in range(prm.n_steps):
        if rng.random() < prm.p_flip:
            nm = propose_flip(D, S, rng, seen, stack, moved, newlab)
        else:
            nm = propose_recom(D, S, ws, rng, prm.attempts, moved, newlab)
        counts[0] += 1
        if nm == 0:
            counts[1] += 1
        else:
            for i in range(nm):
                oldlab[i] = a[moved[i]]
            move_units(D, S, moved, newlab, nm, True)
            if not within_budget(S, ob):
                counts[1] += 1
                move_units(D, S, moved, oldlab, nm, True)
            else:
                new = score(D, S, ob, out)
                accept = True
                if prm.mode == MODE_ANNEAL and new < cur:
                    frac = (prm.step0 + step) / max(prm.total_steps, 1)
                    temp = prm.t0 * (prm.t1 / prm.t0) ** frac
                    accept = rng.random() < np.exp((new - cur) / temp)
                if accept:
                    counts[2] += 1
                    cur = new
                    cur_s = out[0]
                    cur_v = out[1]
                    if _better(cur_s, cur_v, best[0], best[1], ob.penalty):
                        counts[3] += 1
                        best[0] = cur_s
                        best[1] = cur_v
                        best_a[:] = a
                    if prm.mode == MODE_BURSTS and cur > burst_pen:
                        burst_pen = cur
                        burst_a[:] = a
                else:
                    move_units(D, S, moved, oldlab, nm, True)
        if prm.mode == MODE_BURSTS and (prm.step0 + step + 1) % prm.burst_len == 0:
            # end of a burst: restart from its best plan (tallies rebuilt from scratch)
            a[:] = burst_a
            init_state(D, S)
            cur = score(D, S, ob, out)
            cur_s = out[0]
            cur_v = out[1]
            burst_pen = cur
    carry[0] = cur
    carry[1] = cur_s
    carry[2] = cur_v
    carry[3] = burst_pen
    return cur


@njit(cache=True)
def score_assignment(D, S, ob, out):  # pragma: no cover - compiled
    """Score and violation of ``S.assignment`` computed from scratch (``out = [score, viol,
    shaped]``)."""
    init_state(D, S)
    return score(D, S, ob, out)
