"""Numba kernels over CSR adjacency arrays."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def component_labels(indptr, indices, labels):  # pragma: no cover - compiled
    """Connected components of the graph keeping only edges whose ends share a label.

    Returns ``int32[n]`` component ids numbered 0.. in order of their smallest unit.
    """
    n = indptr.size - 1
    comp = np.full(n, -1, dtype=np.int32)
    stack = np.empty(n, dtype=np.int64)
    c = 0
    for s in range(n):
        if comp[s] >= 0:
            continue
        comp[s] = c
        top = 0
        stack[0] = s
        top = 1
        lab = labels[s]
        while top > 0:
            top -= 1
            u = stack[top]
            for p in range(indptr[u], indptr[u + 1]):
                v = indices[p]
                if comp[v] < 0 and labels[v] == lab:
                    comp[v] = c
                    stack[top] = v
                    top += 1
        c += 1
    return comp
