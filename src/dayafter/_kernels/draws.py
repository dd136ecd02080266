"""Numba kernels behind :mod:`dayafter.uncertainty`: census draws and metrics over draws.

Layout: **draws last**. A census's draws are stored ``float64[n, g, d]`` (units, communities,
draws), a tally over several plans ``float64[K, g, d]`` with the regions of plan ``q`` in rows
``offsets[q]:offsets[q + 1]``; every per-figure loop then runs over ``d`` contiguous values, which
the compiler vectorises. The public arrays of :mod:`dayafter.uncertainty` are transposed views
with the draws axis first. Every kernel is one compiled pass; nothing loops over draws in Python.

The metric formulas are those of :mod:`dayafter.metrics.composition` (same definitions, same NaN
conventions), and sums run in the order NumPy uses (pairwise along a contiguous axis, sequential
along an outer one), so a draw equal to the census reproduces :func:`dayafter.metrics.evaluate`
bit for bit; ``tests/unit/uncertainty`` checks this.
"""

from __future__ import annotations

import numpy as np
from numba import njit

_BLOCK = 64  # draws per block in the draw kernel (keeps the scores' rows in cache)


@njit(cache=True)
def _block_sum(a, lo, n):  # pragma: no cover - compiled
    """NumPy's unrolled sum of a block of at most 128 values."""
    if n < 8:
        r = 0.0
        for i in range(lo, lo + n):
            r += a[i]
        return r
    r0 = a[lo]
    r1 = a[lo + 1]
    r2 = a[lo + 2]
    r3 = a[lo + 3]
    r4 = a[lo + 4]
    r5 = a[lo + 5]
    r6 = a[lo + 6]
    r7 = a[lo + 7]
    i = 8
    m = n - n % 8
    while i < m:
        r0 += a[lo + i]
        r1 += a[lo + i + 1]
        r2 += a[lo + i + 2]
        r3 += a[lo + i + 3]
        r4 += a[lo + i + 4]
        r5 += a[lo + i + 5]
        r6 += a[lo + i + 6]
        r7 += a[lo + i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += a[lo + i]
        i += 1
    return res


@njit(cache=True)
def pairwise_sum(a, lo, n):  # pragma: no cover - compiled
    """``a[lo:lo + n].sum()`` in NumPy's own order (pairwise, blocks of eight accumulators).

    NumPy halves a range of more than 128 values (at a multiple of 8) and adds the halves; this
    walks the same tree with an explicit stack (numba cannot cache recursive functions safely).
    """
    if n <= 128:
        return _block_sum(a, lo, n)
    los = np.empty(64, dtype=np.int64)
    ns = np.empty(64, dtype=np.int64)
    state = np.zeros(64, dtype=np.int64)
    left = np.empty(64, dtype=np.float64)
    top = 0
    los[0] = lo
    ns[0] = n
    ret = 0.0
    returning = False
    while top >= 0:
        if returning:
            if state[top] == 1:  # the left half is done: start the right half
                left[top] = ret
                state[top] = 2
                half = ns[top] // 2
                half -= half % 8
                top += 1
                los[top] = los[top - 1] + half
                ns[top] = ns[top - 1] - half
                state[top] = 0
                returning = False
            else:  # both halves done
                ret = left[top] + ret
                top -= 1
            continue
        m = ns[top]
        if m <= 128:
            ret = _block_sum(a, los[top], m)
            top -= 1
            returning = True
            continue
        state[top] = 1
        half = m // 2
        half -= half % 8
        top += 1
        los[top] = los[top - 1]
        ns[top] = half
        state[top] = 0
    return ret


@njit(cache=True)
def rows_sum(A, lo, n, out, acc):  # pragma: no cover - compiled
    """``out[r] = A[lo:lo + n, r].sum()`` for every column ``r``, in NumPy's pairwise order.

    ``A`` is ``[rows, d]``; ``acc`` a ``[8, d]`` scratch buffer.
    """
    d = A.shape[1]
    if n > 128:
        for r in range(d):
            out[r] = pairwise_sum(A[lo:lo + n, r], 0, n)
        return
    if n < 8:
        for r in range(d):
            out[r] = 0.0
        for i in range(lo, lo + n):
            for r in range(d):
                out[r] += A[i, r]
        return
    for j in range(8):
        for r in range(d):
            acc[j, r] = A[lo + j, r]
    i = 8
    m = n - n % 8
    while i < m:
        for j in range(8):
            for r in range(d):
                acc[j, r] += A[lo + i + j, r]
        i += 8
    for r in range(d):
        out[r] = ((acc[0, r] + acc[1, r]) + (acc[2, r] + acc[3, r])) + (
            (acc[4, r] + acc[5, r]) + (acc[6, r] + acc[7, r]))
    while i < n:
        for r in range(d):
            out[r] += A[lo + i, r]
        i += 1


@njit(cache=True)
def draw_counts(z, zidx, value, total, size_lo, size_hi, sig_lo, sig_hi, fixed):  # pragma: no cover
    """Census draws from standard normal scores, stored draws last.

    Parameters
    ----------
    z
        ``float64[d, m]`` scores of the ``m`` figures whose range has a positive width.
    zidx
        ``int64[n, g + 1]`` column of ``z`` for each figure (``-1``: zero-width range, score 0);
        column ``g`` is the unit's size, columns ``0..g-1`` its communities.
    value, total
        ``float64[n, g]`` census counts and ``float64[n]`` their row sums.
    size_lo, size_hi
        ``float64[n]`` scale of the size below and above its point value (two-piece normal).
    sig_lo, sig_hi
        ``float64[n, g]`` scale of each community's count (at the unit's point total).
    fixed
        ``bool[n]`` units whose every figure has a zero-width range: copied unchanged.

    Returns
    -------
    float64[n, g, d]
        Counts: the unit's drawn size shared in proportion to the drawn community counts.
    """
    d = z.shape[0]
    n, g = value.shape
    out = np.empty((n, g, d), dtype=np.float64)
    sy = np.empty(_BLOCK)
    s = np.empty(_BLOCK)
    for r0 in range(0, d, _BLOCK):
        r1 = min(r0 + _BLOCK, d)
        for i in range(n):
            if fixed[i]:
                for c in range(g):
                    for r in range(r0, r1):
                        out[i, c, r] = value[i, c]
                continue
            j = zidx[i, g]
            for r in range(r0, r1):
                zs = z[r, j] if j >= 0 else 0.0
                v = total[i] + (size_lo[i] * zs if zs < 0.0 else size_hi[i] * zs)
                s[r - r0] = v if v > 0.0 else 0.0
                sy[r - r0] = 0.0
            for c in range(g):
                j = zidx[i, c]
                for r in range(r0, r1):
                    zc = z[r, j] if j >= 0 else 0.0
                    y = value[i, c] + (sig_lo[i, c] * zc if zc < 0.0 else sig_hi[i, c] * zc)
                    if y < 0.0:
                        y = 0.0
                    out[i, c, r] = y
                    sy[r - r0] += y
            for r in range(r0, r1):
                if sy[r - r0] > 0.0:
                    f = s[r - r0] / sy[r - r0]
                    for c in range(g):
                        out[i, c, r] *= f
                elif total[i] > 0.0:  # every community drawn to zero: keep the point composition
                    f = s[r - r0] / total[i]
                    for c in range(g):
                        out[i, c, r] = value[i, c] * f
                else:
                    for c in range(g):
                        out[i, c, r] = 0.0
    return out


@njit(cache=True)
def tally_draws(x, rows, n_rows, mask_rows, n_masks):  # pragma: no cover - compiled
    """Per-region sums of every draw for several assignments at once, and community totals.

    Parameters
    ----------
    x
        ``float64[n, g, d]`` draws (draws last).
    rows
        ``int64[n, p]`` tally row of each unit under each of ``p`` plans (the plan's region plus
        its offset; negative = no region).
    n_rows
        Number of tally rows (all plans' regions).
    mask_rows
        ``int64[n, m]`` for each unit, the indices of the unit sets it belongs to (negative:
        none); the people of each set are counted (e.g. the units changing authority).
    n_masks
        Number of unit sets.

    Returns
    -------
    P, T, M
        ``float64[n_rows, g, d]`` tallies, ``float64[g, d]`` community totals of the whole
        territory, ``float64[n_masks, d]`` people in each unit set.
    """
    n, g, d = x.shape
    p = rows.shape[1]
    m = mask_rows.shape[1]
    out = np.zeros((n_rows, g, d), dtype=np.float64)
    tot = np.zeros((g, d), dtype=np.float64)
    msum = np.zeros((n_masks, d), dtype=np.float64)
    for i in range(n):
        for c in range(g):
            for r in range(d):
                tot[c, r] += x[i, c, r]
        for q in range(p):
            row = rows[i, q]
            if row >= 0:
                for c in range(g):
                    for r in range(d):
                        out[row, c, r] += x[i, c, r]
        for q in range(m):
            j = mask_rows[i, q]
            if j >= 0:
                for c in range(g):
                    for r in range(d):
                        msum[j, r] += x[i, c, r]
    return out, tot, msum


@njit(cache=True)
def region_metrics(P, offsets, totals, threshold):  # pragma: no cover - compiled
    """Every census metric of :class:`dayafter.metrics.CensusMetrics` over draws, for ``p`` plans.

    Parameters
    ----------
    P
        ``float64[K, g, d]`` tallies (plan ``q`` in rows ``offsets[q]:offsets[q + 1]``).
    offsets
        ``int64[p + 1]``.
    totals
        ``float64[g, d]`` community totals of the territory (denominators of empowerment and
        stranded shares).
    threshold
        Stranded threshold.

    Returns
    -------
    tuple
        Per region: ``N, deviation, largest, largest_share, fractionalization, polarization``
        (``[K, d]``) and ``shares`` (``[K, g, d]``); per plan: ``emp_plurality, emp_majority,
        stranded, stranded_people`` (``[p, g, d]``), ``theil_h`` (``[p, d]``),
        ``dissimilarity`` (``[p, g, g, d]``).
    """
    K, g, d = P.shape
    p = offsets.size - 1
    nan = np.nan
    N = np.empty((K, d))
    dev = np.empty((K, d))
    S = np.empty((K, g, d))
    big = np.empty((K, d), dtype=np.int64)
    top = np.empty((K, d))
    frac = np.empty((K, d))
    pol = np.empty((K, d))
    emp = np.zeros((p, g, d))
    maj = np.zeros((p, g, d))
    strand = np.zeros((p, g, d))
    strand_n = np.empty((p, g, d))
    theil = np.empty((p, d))
    dis = np.zeros((p, g, g, d))
    acc = np.empty((8, d))
    buf = np.empty((g, d))
    buf2 = np.empty((g, d))
    vec = np.empty(d)
    colsum = np.empty((g, d))
    kmax = 1
    for q in range(p):
        kmax = max(kmax, offsets[q + 1] - offsets[q])
    kbuf = np.empty((kmax, d))
    dist = np.empty((g, kmax, d))
    cbuf = np.empty(kmax)
    # per region: population, shares, largest community, fractionalization, polarization
    for k in range(K):
        rows_sum(P[k], 0, g, N[k], acc)
        for r in range(d):
            top[k, r] = -1.0
            big[k, r] = 0
        for c in range(g):
            for r in range(d):
                nk = N[k, r]
                sh = P[k, c, r] / nk if nk > 0.0 else nan
                S[k, c, r] = sh
                buf[c, r] = sh * sh
                buf2[c, r] = sh * sh * (1.0 - sh)
                if sh > top[k, r]:
                    top[k, r] = sh
                    big[k, r] = c
        rows_sum(buf, 0, g, frac[k], acc)
        rows_sum(buf2, 0, g, pol[k], acc)
        for r in range(d):
            if N[k, r] > 0.0:
                frac[k, r] = 1.0 - frac[k, r]
                pol[k, r] = 4.0 * pol[k, r]
            else:
                top[k, r] = nan
                big[k, r] = -1
                frac[k, r] = nan
                pol[k, r] = nan
    for q in range(p):
        lo = offsets[q]
        hi = offsets[q + 1]
        kq = hi - lo
        # deviation from the mean region population (tot_n: NumPy's pairwise sum over regions)
        tot_n = np.zeros(d)
        if kq > 0:
            rows_sum(N, lo, kq, tot_n, acc)
        for k in range(lo, hi):
            for r in range(d):
                ideal = tot_n[r] / kq
                dev[k, r] = (N[k, r] - ideal) / ideal if ideal > 0.0 else nan
        # empowerment and stranded (numerators summed over regions in order)
        for k in range(lo, hi):
            for c in range(g):
                for r in range(d):
                    if N[k, r] > 0.0:
                        x = P[k, c, r]
                        sh = S[k, c, r]
                        if sh >= top[k, r] and x > 0.0:
                            emp[q, c, r] += x
                        if sh > 0.5:
                            maj[q, c, r] += x
                        if sh < threshold:
                            strand[q, c, r] += x
        for c in range(g):
            for r in range(d):
                strand_n[q, c, r] = strand[q, c, r]
                tc = totals[c, r]
                if tc > 0.0:
                    emp[q, c, r] = emp[q, c, r] / tc
                    maj[q, c, r] = maj[q, c, r] / tc
                    strand[q, c, r] = strand[q, c, r] / tc
                else:
                    emp[q, c, r] = nan
                    maj[q, c, r] = nan
                    strand[q, c, r] = nan
        # Theil's H over the plan's tally
        for c in range(g):
            for r in range(d):
                colsum[c, r] = 0.0
        for k in range(lo, hi):
            for c in range(g):
                for r in range(d):
                    colsum[c, r] += P[k, c, r]
        for c in range(g):
            for r in range(d):
                w = colsum[c, r] / tot_n[r] if tot_n[r] > 0.0 else 0.0
                buf[c, r] = w * np.log(w) if w > 0.0 else 0.0
        rows_sum(buf, 0, g, vec, acc)  # vec = -E
        all_occupied = True
        for k in range(lo, hi):
            for c in range(g):
                for r in range(d):
                    nk = N[k, r]
                    w = P[k, c, r] / nk if nk > 0.0 else 0.0
                    buf2[c, r] = w * np.log(w) if w > 0.0 else 0.0
            rows_sum(buf2, 0, g, buf[0], acc)  # buf[0] = -E_k
            for r in range(d):
                nk = N[k, r]
                if nk > 0.0:
                    kbuf[k - lo, r] = nk * (-vec[r] + buf[0, r])
                else:
                    kbuf[k - lo, r] = nan
                    all_occupied = False
        tmp = np.empty(d)
        if all_occupied:
            if kq > 0:
                rows_sum(kbuf, 0, kq, tmp, acc)
            else:
                tmp[:] = 0.0
        else:  # the occupied regions differ between draws: sum each draw's own list
            for r in range(d):
                m = 0
                for k in range(kq):
                    if kbuf[k, r] == kbuf[k, r]:
                        cbuf[m] = kbuf[k, r]
                        m += 1
                tmp[r] = pairwise_sum(cbuf, 0, m)
        for r in range(d):
            E = -vec[r]
            if tot_n[r] <= 0.0 or E <= 0.0:
                theil[q, r] = nan
            else:
                theil[q, r] = tmp[r] / (tot_n[r] * E)
        # dissimilarity between every pair of communities
        for c in range(g):
            for k in range(kq):
                for r in range(d):
                    cs = colsum[c, r]
                    dist[c, k, r] = P[lo + k, c, r] / cs if cs > 0.0 else nan
        for a in range(g):
            for b in range(a + 1, g):
                for r in range(d):
                    vec[r] = 0.0
                for k in range(kq):
                    for r in range(d):
                        vec[r] += abs(dist[a, k, r] - dist[b, k, r])
                for r in range(d):
                    dis[q, a, b, r] = 0.5 * vec[r]
                    dis[q, b, a, r] = 0.5 * vec[r]
            for r in range(d):
                if colsum[a, r] <= 0.0:
                    dis[q, a, a, r] = nan
    return N, dev, S, big, top, frac, pol, emp, maj, strand, strand_n, theil, dis


@njit(cache=True)
def plan_scalars(N, dev, top, frac, pol, offsets):  # pragma: no cover - compiled
    """Plan-level scalars of :meth:`CensusMetrics.scalars` over draws (``[p, d]`` each).

    Returns ``population_total, max_abs_deviation, min_largest_share, mean_fractionalization,
    mean_polarization`` (population-weighted means; NaN regions count as zero, as in
    :func:`numpy.nansum`).
    """
    d = N.shape[1]
    p = offsets.size - 1
    tot = np.empty((p, d))
    mad = np.empty((p, d))
    mls = np.empty((p, d))
    mf = np.empty((p, d))
    mp = np.empty((p, d))
    acc = np.empty((8, d))
    kmax = 1
    for q in range(p):
        kmax = max(kmax, offsets[q + 1] - offsets[q])
    wf = np.empty((kmax, d))
    wp = np.empty((kmax, d))
    for q in range(p):
        lo = offsets[q]
        kq = offsets[q + 1] - lo
        if kq > 0:
            rows_sum(N, lo, kq, tot[q], acc)
        else:
            tot[q, :] = 0.0
        for r in range(d):
            t = tot[q, r]
            best = np.nan
            least = np.nan
            for k in range(kq):
                w = N[lo + k, r] / t if t > 0.0 else 0.0
                f = w * frac[lo + k, r]
                wf[k, r] = f if f == f else 0.0
                f = w * pol[lo + k, r]
                wp[k, r] = f if f == f else 0.0
                a = abs(dev[lo + k, r])
                if a == a and (best != best or a > best):
                    best = a
                b = top[lo + k, r]
                if b == b and (least != least or b < least):
                    least = b
            mad[q, r] = best
            mls[q, r] = least
        if kq > 0:
            rows_sum(wf, 0, kq, mf[q], acc)
            rows_sum(wp, 0, kq, mp[q], acc)
        else:
            mf[q, :] = 0.0
            mp[q, :] = 0.0
    return tot, mad, mls, mf, mp


@njit(cache=True)
def threshold_sweep(P, S, N, offsets, totals, thresholds, below):  # pragma: no cover - compiled
    """Share of each community in regions where its share is below (``below=True``) or above each
    threshold, for every plan and draw: ``float64[t, p, g, d]``.

    ``below=True`` gives stranded shares; ``below=False`` gives empowerment at a share threshold
    (e.g. 0.5 for a majority). Empty regions count for nobody.
    """
    g, d = P.shape[1], P.shape[2]
    p = offsets.size - 1
    m = thresholds.size
    out = np.zeros((m, p, g, d))
    for q in range(p):
        for k in range(offsets[q], offsets[q + 1]):
            for c in range(g):
                for r in range(d):
                    if N[k, r] > 0.0:
                        sh = S[k, c, r]
                        x = P[k, c, r]
                        for j in range(m):
                            if (sh < thresholds[j]) if below else (sh > thresholds[j]):
                                out[j, q, c, r] += x
        for c in range(g):
            for r in range(d):
                tc = totals[c, r]
                for j in range(m):
                    out[j, q, c, r] = out[j, q, c, r] / tc if tc > 0.0 else np.nan
    return out
