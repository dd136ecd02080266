"""Numba kernels behind :mod:`dayafter.metrics` (flat arrays in, flat arrays out).

An assignment value below zero means "unassigned": such units count in no region.
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def tally(assignment, table, k):  # pragma: no cover - compiled
    """Per-region column sums ``out[k, g] = sum of table[i, g] over units i in region k``."""
    n, g = table.shape
    out = np.zeros((k, g), dtype=np.float64)
    for i in range(n):
        r = assignment[i]
        if r >= 0:
            for c in range(g):
                out[r, c] += table[i, c]
    return out


@njit(cache=True)
def tally1(assignment, values, k):  # pragma: no cover - compiled
    """Per-region sums of a single column."""
    out = np.zeros(k, dtype=np.float64)
    for i in range(values.size):
        r = assignment[i]
        if r >= 0:
            out[r] += values[i]
    return out


@njit(cache=True)
def boundary(indptr, indices, border, outer, assignment, k):  # pragma: no cover - compiled
    """Region perimeters (metres) and the number of cut edges.

    A unit's border counts toward its region's perimeter where it lies on the territory's outer edge
    or faces a unit of another region (or an unassigned unit). A cut edge joins two assigned units of
    different regions (each undirected edge counted once).
    """
    n = indptr.size - 1
    per = np.zeros(k, dtype=np.float64)
    cut = 0
    for u in range(n):
        a = assignment[u]
        if a < 0:
            continue
        per[a] += outer[u]
        for p in range(indptr[u], indptr[u + 1]):
            v = indices[p]
            b = assignment[v]
            if b != a:
                per[a] += border[p]
                if b >= 0 and u < v:
                    cut += 1
    return per, cut


@njit(cache=True)
def region_pieces(indptr, indices, assignment, k):  # pragma: no cover - compiled
    """Number of connected pieces of each region (1 = contiguous, 0 = empty)."""
    n = indptr.size - 1
    seen = np.zeros(n, dtype=np.bool_)
    stack = np.empty(n, dtype=np.int64)
    pieces = np.zeros(k, dtype=np.int64)
    for s in range(n):
        a = assignment[s]
        if a < 0 or seen[s]:
            continue
        pieces[a] += 1
        seen[s] = True
        stack[0] = s
        top = 1
        while top > 0:
            top -= 1
            u = stack[top]
            for p in range(indptr[u], indptr[u + 1]):
                v = indices[p]
                if not seen[v] and assignment[v] == a:
                    seen[v] = True
                    stack[top] = v
                    top += 1
    return pieces


@njit(cache=True)
def admin_regions(order, starts, assignment, k):  # pragma: no cover - compiled
    """Number of distinct regions among the (assigned) units of each admin unit.

    ``order`` lists the units sorted by admin code and ``starts[j]:starts[j + 1]`` is the slice of
    admin unit ``j`` in it.
    """
    m = starts.size - 1
    out = np.zeros(m, dtype=np.int64)
    stamp = np.full(k, -1, dtype=np.int64)
    for j in range(m):
        c = 0
        for p in range(starts[j], starts[j + 1]):
            r = assignment[order[p]]
            if r >= 0 and stamp[r] != j:
                stamp[r] = j
                c += 1
        out[j] = c
    return out
