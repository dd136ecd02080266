"""Numba kernels of the optimizers: objective score, flip and ReCom moves, annealing, short bursts.

The ReCom move reuses the spanning-tree and balanced-cut kernels of
:mod:`dayafter._kernels.recom`. A search state is a set of flat arrays kept up to date unit by
unit (:func:`set_label`), so a rejected move is undone by relabelling its units back:

* ``a`` ``int64[n]`` region of each unit;
* ``P`` ``float64[k, g]`` people of each community in each region, ``N`` ``float64[k]``;
* ``size`` ``int64[k]`` units per region, ``areak`` ``float64[k]`` area (km2);
* ``adm_reg`` ``int64[rows, k]`` units of each admin unit in each region, ``adm_nz`` regions
  touching each admin unit;
* ``st`` ``int64[1 + L]``: cut edges, then splits of each admin level.

Problem arrays (weights, constraints) come from :class:`~dayafter.optimize.problem.CompiledProblem`.
``fpar`` packs ``[w_homog, w_cut, threshold, penalty, shaping]``; ``W`` is ``(3, g)`` with the weights of
plurality empowerment, majority empowerment and stranded share.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from dayafter._kernels.recom import (
    balanced_cuts,
    gather,
    induced_csr,
    mark_subtree,
    tree_order,
    wilson_tree,
)

FEAS_TOL = 1e-12
MODE_ANNEAL = 0
MODE_BURSTS = 1


# ------------------------------------------------------------------------------- state
@njit(cache=True)
def init_state(indptr, indices, a, table, pop, area, adm_codes, adm_offsets, P, N, size, areak,
               adm_reg, adm_nz, st):  # pragma: no cover - compiled
    """Fill the state arrays from the assignment ``a`` (from scratch)."""
    n, g = table.shape
    k = N.size
    for r in range(k):
        N[r] = 0.0
        size[r] = 0
        areak[r] = 0.0
        for c in range(g):
            P[r, c] = 0.0
    for u in range(n):
        r = a[u]
        size[r] += 1
        areak[r] += area[u]
        N[r] += pop[u]
        for c in range(g):
            P[r, c] += table[u, c]
    cut = 0
    for u in range(n):
        for p in range(indptr[u], indptr[u + 1]):
            v = indices[p]
            if u < v and a[u] != a[v]:
                cut += 1
    st[0] = cut
    for i in range(adm_reg.shape[0]):
        adm_nz[i] = 0
        for r in range(k):
            adm_reg[i, r] = 0
    for lev in range(adm_codes.shape[0]):
        for u in range(n):
            row = adm_offsets[lev] + adm_codes[lev, u]
            if adm_reg[row, a[u]] == 0:
                adm_nz[row] += 1
            adm_reg[row, a[u]] += 1
        s = 0
        for row in range(adm_offsets[lev], adm_offsets[lev + 1]):
            if adm_nz[row] > 1:
                s += 1
        st[1 + lev] = s
    return 0


@njit(cache=True)
def set_label(u, new, indptr, indices, a, table, pop, area, adm_codes, adm_offsets, P, N, size,
              areak, adm_reg, adm_nz, st):  # pragma: no cover - compiled
    """Move unit ``u`` to region ``new``, updating every tally."""
    old = a[u]
    if old == new:
        return 0
    g = table.shape[1]
    for p in range(indptr[u], indptr[u + 1]):
        b = a[indices[p]]
        if b != old:
            st[0] -= 1
        if b != new:
            st[0] += 1
    a[u] = new
    for c in range(g):
        P[old, c] -= table[u, c]
        P[new, c] += table[u, c]
    N[old] -= pop[u]
    N[new] += pop[u]
    size[old] -= 1
    size[new] += 1
    areak[old] -= area[u]
    areak[new] += area[u]
    for lev in range(adm_codes.shape[0]):
        row = adm_offsets[lev] + adm_codes[lev, u]
        adm_reg[row, old] -= 1
        if adm_reg[row, old] == 0:
            adm_nz[row] -= 1
            if adm_nz[row] == 1:
                st[1 + lev] -= 1
        if adm_reg[row, new] == 0:
            adm_nz[row] += 1
            if adm_nz[row] == 2:
                st[1 + lev] += 1
        adm_reg[row, new] += 1
    return 0


# ------------------------------------------------------------------------------- objective
@njit(cache=True)
def score(P, N, areak, st, totals, W, fpar, w_splits, split_caps, cut_cap, cc_kind, cc_g,
          cc_bound, rc_kind, rc_region, rc_c, rc_lo, rc_hi, out):  # pragma: no cover - compiled
    """Penalized search score of a state; writes ``out = [score, violation, shaped score]``.

    ``score`` is the objective value; the search compares shaped scores (the objective plus
    ``shaping`` times a smooth measure of progress towards empowerment) minus ``penalty`` times
    the violation, and keeps the best plan by the objective itself.

    The formulas follow :mod:`dayafter.metrics.composition` (ties for largest count as largest,
    empty regions count nowhere, shares compared as ``P / N``).
    """
    k, g = P.shape
    thr = fpar[2]
    plur = np.zeros(g)
    maj = np.zeros(g)
    strn = np.zeros(g)
    top = np.zeros(k)
    homog = 0.0
    total = 0.0
    for r in range(k):
        nr = N[r]
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
        val += fpar[0] * homog / total
    val += fpar[1] * st[0]
    for lev in range(w_splits.size):
        val += w_splits[lev] * st[1 + lev]
    viol = 0.0
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
    for j in range(rc_kind.size):
        r = rc_region[j]
        if N[r] <= 0:
            continue
        kind = rc_kind[j]
        if kind == 0:
            x = P[r, rc_c[j]] / N[r]
        elif kind == 1:
            x = areak[r]
        else:
            x = top[r]
        if x < rc_lo[j]:
            viol += (rc_lo[j] - x) / max(1.0, abs(rc_lo[j]))
        if x > rc_hi[j]:
            viol += (x - rc_hi[j]) / max(1.0, abs(rc_hi[j]))
    if cut_cap >= 0 and st[0] > cut_cap:
        viol += st[0] - cut_cap
    for lev in range(split_caps.size):
        if split_caps[lev] >= 0 and st[1 + lev] > split_caps[lev]:
            viol += st[1 + lev] - split_caps[lev]
    out[0] = val
    out[1] = viol
    shape = 0.0
    if fpar[4] > 0:
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
    out[2] = val + fpar[4] * shape
    return out[2] - fpar[3] * viol


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
def _pick_cut_entry(a, src, indices, rng):  # pragma: no cover - compiled
    ne = src.size
    for _ in range(100 * ne + 100):
        p = rng.integers(0, ne)
        if a[src[p]] != a[indices[p]]:
            return p
    return -1


@njit(cache=True)
def propose_flip(indptr, indices, src, a, pop, lock, lo, hi, N, size, rng, seen, stack,
                 moved, newlab):  # pragma: no cover - compiled
    """Pick a boundary unit and a neighbouring region; returns 1 (move in ``moved``/``newlab``)
    or 0 when the drawn move breaks a lock, a bound or contiguity."""
    p = _pick_cut_entry(a, src, indices, rng)
    if p < 0:
        return 0
    u = src[p]
    r_old = a[u]
    r_new = a[indices[p]]
    if lock[u] >= 0:
        return 0
    if N[r_old] - pop[u] < lo[r_old] or N[r_new] + pop[u] > hi[r_new]:
        return 0
    if not _stays_connected(u, r_old, indptr, indices, a, size, seen, stack):
        return 0
    moved[0] = u
    newlab[0] = r_new
    return 1


@njit(cache=True)
def propose_recom(indptr, indices, src, a, pop, lock, lo, hi, rng, attempts, ws_local, ws_nodes,
                  ws_lptr, ws_lind, ws_parent, ws_intree, ws_nxt, ws_cptr, ws_cind, ws_order,
                  ws_lpop, ws_la, ws_lb, ws_sub, ws_sla, ws_slb, ws_cand, ws_inside, moved,
                  newlab):  # pragma: no cover - compiled
    """A ReCom proposal (cut-edge pair rule, uniform spanning tree, uniform balanced cut).

    Returns the number of units whose region changes (listed in ``moved``/``newlab``); 0 when no
    balanced cut was found in ``attempts`` trees or the cut reproduces the same plan.
    """
    p = _pick_cut_entry(a, src, indices, rng)
    if p < 0:
        return 0
    ra = a[src[p]]
    rb = a[indices[p]]
    m = gather(a, ra, rb, ws_local, ws_nodes)
    induced_csr(indptr, indices, ws_nodes, m, ws_local, ws_lptr, ws_lind)
    for i in range(m):
        u = ws_nodes[i]
        ws_lpop[i] = pop[u]
        ws_la[i] = 1 if lock[u] == ra else 0
        ws_lb[i] = 1 if lock[u] == rb else 0
    count = 0
    for _ in range(attempts):
        wilson_tree(ws_lptr, ws_lind, m, rng, ws_parent, ws_intree, ws_nxt)
        tree_order(ws_parent, m, ws_cptr, ws_cind, ws_order)
        count = balanced_cuts(ws_parent, ws_order, m, ws_lpop, ws_la, ws_lb, lo[ra], hi[ra],
                              lo[rb], hi[rb], ws_sub, ws_sla, ws_slb, ws_cand)
        if count > 0:
            break
    n_moved = 0
    if count > 0:
        chosen = ws_cand[rng.integers(0, count)]
        v = chosen // 2
        orient = chosen % 2
        mark_subtree(ws_order, ws_parent, m, v, ws_inside)
        for i in range(m):
            if ws_inside[i]:
                lab = ra if orient == 0 else rb
            else:
                lab = rb if orient == 0 else ra
            u = ws_nodes[i]
            if lab != a[u]:
                moved[n_moved] = u
                newlab[n_moved] = lab
                n_moved += 1
    for i in range(m):
        ws_local[ws_nodes[i]] = -1
    return n_moved


# ------------------------------------------------------------------------------- search
@njit(cache=True)
def search(mode, n_steps, step0, total_steps, t0, t1, p_flip, burst_len, attempts,
           indptr, indices, src, table, pop, area, lock, lo, hi, adm_codes, adm_offsets,
           totals, W, fpar, w_splits, split_caps, cut_cap, cc_kind, cc_g, cc_bound, rc_kind,
           rc_region, rc_c, rc_lo, rc_hi, a, best_a, best, rng, counts):  # pragma: no cover
    """Run ``n_steps`` steps of simulated annealing (``mode`` 0) or short bursts (``mode`` 1).

    ``a`` is the current plan (updated in place); ``best_a`` / ``best = [score, violation]``
    the best plan seen so far (updated when beaten). Annealing accepts a move with probability
    ``min(1, exp(delta / T))`` on the penalized score, ``T`` falling geometrically from ``t0``
    to ``t1`` over ``total_steps`` (this call covers steps ``step0 .. step0 + n_steps``). Short
    bursts (Cannon, Duchin, Randall and Rule) run an unbiased chain for ``burst_len`` steps and
    restart from the best plan of the burst. ``counts`` accumulates
    ``[proposed, invalid, accepted, improved]``.
    """
    n, g = table.shape
    k = lo.size
    rows = adm_codes.shape[0]
    n_rows = adm_offsets[rows]
    P = np.zeros((k, g))
    N = np.zeros(k)
    size = np.zeros(k, dtype=np.int64)
    areak = np.zeros(k)
    adm_reg = np.zeros((n_rows, k), dtype=np.int64)
    adm_nz = np.zeros(n_rows, dtype=np.int64)
    st = np.zeros(1 + rows, dtype=np.int64)
    init_state(indptr, indices, a, table, pop, area, adm_codes, adm_offsets, P, N, size, areak,
               adm_reg, adm_nz, st)
    # workspaces
    ws_local = np.full(n, -1, dtype=np.int64)
    ws_nodes = np.empty(n, dtype=np.int64)
    ws_lptr = np.empty(n + 1, dtype=np.int64)
    ws_lind = np.empty(indices.size, dtype=np.int64)
    ws_parent = np.empty(n, dtype=np.int64)
    ws_intree = np.empty(n, dtype=np.bool_)
    ws_nxt = np.empty(n, dtype=np.int64)
    ws_cptr = np.empty(n + 1, dtype=np.int64)
    ws_cind = np.empty(n, dtype=np.int64)
    ws_order = np.empty(n, dtype=np.int64)
    ws_lpop = np.empty(n)
    ws_la = np.empty(n, dtype=np.int64)
    ws_lb = np.empty(n, dtype=np.int64)
    ws_sub = np.empty(n)
    ws_sla = np.empty(n, dtype=np.int64)
    ws_slb = np.empty(n, dtype=np.int64)
    ws_cand = np.empty(2 * n, dtype=np.int64)
    ws_inside = np.empty(n, dtype=np.bool_)
    seen = np.zeros(n, dtype=np.bool_)
    stack = np.empty(n, dtype=np.int64)
    moved = np.empty(n, dtype=np.int64)
    newlab = np.empty(n, dtype=np.int64)
    oldlab = np.empty(n, dtype=np.int64)
    out = np.zeros(3)
    cur = score(P, N, areak, st, totals, W, fpar, w_splits, split_caps, cut_cap, cc_kind, cc_g,
                cc_bound, rc_kind, rc_region, rc_c, rc_lo, rc_hi, out)
    cur_s = out[0]
    cur_v = out[1]
    burst_a = a.copy()
    burst_pen = cur
    if _better(cur_s, cur_v, best[0], best[1], fpar[3]):
        best[0] = cur_s
        best[1] = cur_v
        best_a[:] = a
    for step in range(n_steps):
        if rng.random() < p_flip:
            nm = propose_flip(indptr, indices, src, a, pop, lock, lo, hi, N, size, rng, seen,
                              stack, moved, newlab)
        else:
            nm = propose_recom(indptr, indices, src, a, pop, lock, lo, hi, rng, attempts,
                               ws_local, ws_nodes, ws_lptr, ws_lind, ws_parent, ws_intree,
                               ws_nxt, ws_cptr, ws_cind, ws_order, ws_lpop, ws_la, ws_lb,
                               ws_sub, ws_sla, ws_slb, ws_cand, ws_inside, moved, newlab)
        counts[0] += 1
        if nm == 0:
            counts[1] += 1
        else:
            for i in range(nm):
                u = moved[i]
                oldlab[i] = a[u]
                set_label(u, newlab[i], indptr, indices, a, table, pop, area, adm_codes,
                          adm_offsets, P, N, size, areak, adm_reg, adm_nz, st)
            new = score(P, N, areak, st, totals, W, fpar, w_splits, split_caps, cut_cap,
                        cc_kind, cc_g, cc_bound, rc_kind, rc_region, rc_c, rc_lo, rc_hi, out)
            accept = True
            if mode == MODE_ANNEAL and new < cur:
                frac = (step0 + step) / max(total_steps, 1)
                temp = t0 * (t1 / t0) ** frac
                accept = rng.random() < np.exp((new - cur) / temp)
            if accept:
                counts[2] += 1
                cur = new
                cur_s = out[0]
                cur_v = out[1]
                if _better(cur_s, cur_v, best[0], best[1], fpar[3]):
                    counts[3] += 1
                    best[0] = cur_s
                    best[1] = cur_v
                    best_a[:] = a
                if mode == MODE_BURSTS and cur > burst_pen:
                    burst_pen = cur
                    burst_a[:] = a
            else:
                for i in range(nm - 1, -1, -1):
                    set_label(moved[i], oldlab[i], indptr, indices, a, table, pop, area,
                              adm_codes, adm_offsets, P, N, size, areak, adm_reg, adm_nz, st)
        if mode == MODE_BURSTS and (step0 + step + 1) % burst_len == 0:
            # end of a burst: restart from its best plan (tallies rebuilt from scratch)
            a[:] = burst_a
            init_state(indptr, indices, a, table, pop, area, adm_codes, adm_offsets, P, N, size,
                       areak, adm_reg, adm_nz, st)
            cur = score(P, N, areak, st, totals, W, fpar, w_splits, split_caps, cut_cap,
                        cc_kind, cc_g, cc_bound, rc_kind, rc_region, rc_c, rc_lo, rc_hi, out)
            cur_s = out[0]
            cur_v = out[1]
            burst_pen = cur
    return cur


@njit(cache=True)
def score_assignment(indptr, indices, a, table, pop, area, adm_codes, adm_offsets, k, totals, W,
                     fpar, w_splits, split_caps, cut_cap, cc_kind, cc_g, cc_bound, rc_kind,
                     rc_region, rc_c, rc_lo, rc_hi, out):  # pragma: no cover - compiled
    """Score and violation of an assignment computed from scratch (``out = [score, viol, shaped]``)."""
    g = table.shape[1]
    rows = adm_codes.shape[0]
    n_rows = adm_offsets[rows]
    P = np.zeros((k, g))
    N = np.zeros(k)
    size = np.zeros(k, dtype=np.int64)
    areak = np.zeros(k)
    adm_reg = np.zeros((n_rows, k), dtype=np.int64)
    adm_nz = np.zeros(n_rows, dtype=np.int64)
    st = np.zeros(1 + rows, dtype=np.int64)
    init_state(indptr, indices, a, table, pop, area, adm_codes, adm_offsets, P, N, size, areak,
               adm_reg, adm_nz, st)
    return score(P, N, areak, st, totals, W, fpar, w_splits, split_caps, cut_cap, cc_kind,
                 cc_g, cc_bound, rc_kind, rc_region, rc_c, rc_lo, rc_hi, out)


# ------------------------------------------------------------------------------- seeding
@njit(cache=True)
def seed_partition(indptr, indices, pop, lock, lo, hi, rng, attempts, restarts,
                   a):  # pragma: no cover - compiled
    """A random contiguous plan meeting the bounds and locks by recursive spanning-tree cuts.

    Region ``j`` is cut off the still unassigned units along a balanced edge of a uniform
    spanning tree, the rest staying connected. Returns 1 on success (plan in ``a``), 0 after
    ``restarts`` full tries of ``attempts`` trees per cut.
    """
    n = pop.size
    k = lo.size
    local = np.full(n, -1, dtype=np.int64)
    nodes = np.empty(n, dtype=np.int64)
    lptr = np.empty(n + 1, dtype=np.int64)
    lind = np.empty(indices.size, dtype=np.int64)
    parent = np.empty(n, dtype=np.int64)
    intree = np.empty(n, dtype=np.bool_)
    nxt = np.empty(n, dtype=np.int64)
    cptr = np.empty(n + 1, dtype=np.int64)
    cind = np.empty(n, dtype=np.int64)
    order = np.empty(n, dtype=np.int64)
    lpop = np.empty(n)
    la = np.empty(n, dtype=np.int64)
    lb = np.empty(n, dtype=np.int64)
    sub = np.empty(n)
    sla = np.empty(n, dtype=np.int64)
    slb = np.empty(n, dtype=np.int64)
    cand = np.empty(2 * n, dtype=np.int64)
    inside = np.empty(n, dtype=np.bool_)
    for _ in range(restarts):
        for u in range(n):
            a[u] = -1
        ok = True
        for j in range(k - 1):
            m = gather(a, -1, -1, local, nodes)
            induced_csr(indptr, indices, nodes, m, local, lptr, lind)
            lo_b = 0.0
            hi_b = 0.0
            for r in range(j + 1, k):
                lo_b += lo[r]
                hi_b += hi[r]
            for i in range(m):
                u = nodes[i]
                lpop[i] = pop[u]
                la[i] = 1 if lock[u] == j else 0
                lb[i] = 1 if lock[u] > j else 0
            count = 0
            for _t in range(attempts):
                wilson_tree(lptr, lind, m, rng, parent, intree, nxt)
                tree_order(parent, m, cptr, cind, order)
                count = balanced_cuts(parent, order, m, lpop, la, lb, lo[j], hi[j], lo_b, hi_b,
                                      sub, sla, slb, cand)
                if count > 0:
                    break
            if count == 0:
                for i in range(m):
                    local[nodes[i]] = -1
                ok = False
                break
            chosen = cand[rng.integers(0, count)]
            v = chosen // 2
            orient = chosen % 2
            mark_subtree(order, parent, m, v, inside)
            for i in range(m):
                if inside[i] == (orient == 0):
                    a[nodes[i]] = j
                local[nodes[i]] = -1
        if ok:
            for u in range(n):
                if a[u] < 0:
                    a[u] = k - 1
            return 1
    return 0
