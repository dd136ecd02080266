"""Spanning trees of merged regions and their balanced cuts: the one tree house of every engine.

Ensembles (:mod:`dayafter._kernels.recom`), seeding (:func:`seed_partition`) and the optimizers
(:mod:`dayafter.optimize._kernels`) share one workspace (:class:`TreeWork`, made once per chain by
:func:`make_tree_work`) and one Wilson's algorithm (:func:`wilson`).

Conventions
-----------
* A *merged set* is a set of units (the union of two regions ``a`` and ``b``, or the units not
  yet assigned while seeding); its units get local indices ``0..m-1`` (``nodes[i]`` is the global
  unit, in increasing unit order; ``local[u]`` the local index or -1).
* A spanning tree is stored as ``parent[0..m-1]`` (local indices) with ``parent[root] == -1`` and
  ``order[0..m-1]``, a root-first order (every parent before its children).
* A *cut* is a pair (tree edge ``v - parent[v]``, orientation), coded ``2 * v + orientation``.
  Orientation 0 sends the subtree below ``v`` to side ``a`` and the rest to side ``b``;
  orientation 1 the other way round. A cut is balanced when both pieces meet the population bounds
  of their side and every locked unit (``lock_a``/``lock_b``) lands on its side.

References
----------
D. B. Wilson, "Generating random spanning trees more quickly than the cover time", STOC 1996.
D. Lemire, "Fast random integer generation in an interval", ACM TOMACS 29 (2019).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit
from numpy.typing import NDArray

__all__ = ["TREE_MST", "TREE_UNIFORM", "TreeWork", "make_tree_work"]

TREE_UNIFORM = 0  # uniform spanning tree (Wilson)
TREE_MST = 1  # minimum spanning tree for uniform random edge weights (GerryChain's tree)

_CHUNK_BITS = 17  # Wilson draws neighbours from 17-bit pieces of a 53-bit uniform
_CHUNK_MASK = (1 << _CHUNK_BITS) - 1
_MAX_TABLE_DEGREE = 4095  # above: the generator's own bounded draw (rare, and exact too)


class TreeWork(NamedTuple):
    """Reusable buffers of one chain (sizes for ``n`` units and ``nnz`` CSR entries).

    ``tmod[d] = 2**17 mod d`` are the rejection thresholds of the exact bounded draws of
    :func:`wilson`; the other arrays are scratch space described in the module docstring.
    """

    local: NDArray[np.int64]
    nodes: NDArray[np.int64]
    lptr: NDArray[np.int64]
    lind: NDArray[np.int64]
    parent: NDArray[np.int64]
    in_tree: NDArray[np.bool_]
    nxt: NDArray[np.int64]
    order: NDArray[np.int64]
    lpop: NDArray[np.float64]
    lock_a: NDArray[np.int64]
    lock_b: NDArray[np.int64]
    sub: NDArray[np.float64]
    sub_la: NDArray[np.int64]
    sub_lb: NDArray[np.int64]
    cand: NDArray[np.int64]
    inside: NDArray[np.bool_]
    newlab: NDArray[np.int64]
    oldlab: NDArray[np.int64]
    uf: NDArray[np.int64]
    tptr: NDArray[np.int64]
    tind: NDArray[np.int64]
    queue: NDArray[np.int64]
    cptr: NDArray[np.int64]
    cind: NDArray[np.int64]
    weights: NDArray[np.float64]
    tmod: NDArray[np.int64]


def make_tree_work(n: int, nnz: int, max_degree: int) -> TreeWork:
    """Buffers for a graph of ``n`` units, ``nnz`` CSR entries and the given largest degree."""
    n1 = max(int(n), 1)
    return TreeWork(
        local=np.full(n1, -1, np.int64), nodes=np.empty(n1, np.int64),
        lptr=np.zeros(n1 + 1, np.int64), lind=np.empty(max(int(nnz), 1), np.int64),
        parent=np.empty(n1, np.int64), in_tree=np.empty(n1, np.bool_),
        nxt=np.empty(n1, np.int64), order=np.empty(n1, np.int64), lpop=np.empty(n1),
        lock_a=np.zeros(n1, np.int64), lock_b=np.zeros(n1, np.int64), sub=np.empty(n1),
        sub_la=np.empty(n1, np.int64), sub_lb=np.empty(n1, np.int64),
        cand=np.empty(2 * n1, np.int64), inside=np.empty(n1, np.bool_),
        newlab=np.empty(n1, np.int64), oldlab=np.empty(n1, np.int64),
        uf=np.empty(n1, np.int64), tptr=np.empty(n1 + 1, np.int64),
        tind=np.empty(2 * n1, np.int64), queue=np.empty(n1, np.int64),
        cptr=np.empty(n1 + 1, np.int64), cind=np.empty(n1, np.int64),
        weights=np.empty(max(int(nnz), 1)),
        tmod=chunk_table(min(max(int(max_degree), 1), _MAX_TABLE_DEGREE)))


@njit(cache=True)
def chunk_table(max_d):  # pragma: no cover - compiled
    """``2**17 mod d`` for ``d = 0..max_d`` (rejection thresholds of :func:`wilson`'s draws)."""
    t = np.zeros(max_d + 1, dtype=np.int64)
    for d in range(1, max_d + 1):
        t[d] = (1 << _CHUNK_BITS) % d
    return t


# ------------------------------------------------------------------------------- merged set
@njit(cache=True)
def gather(assignment, a, b, local, nodes):  # pragma: no cover - compiled
    """Fill ``nodes`` with the units of regions ``a`` and ``b`` (in unit order); set ``local``;
    return their count."""
    m = 0
    for u in range(assignment.size):
        r = assignment[u]
        if r == a or r == b:
            nodes[m] = u
            local[u] = m
            m += 1
    return m


@njit(cache=True)
def induced_csr(indptr, indices, nodes, m, local, lptr, lind):  # pragma: no cover - compiled
    """CSR of the subgraph induced on ``nodes[:m]`` in local indices; returns its entry count."""
    q = 0
    lptr[0] = 0
    for i in range(m):
        u = nodes[i]
        for p in range(indptr[u], indptr[u + 1]):
            w = local[indices[p]]
            if w >= 0:
                lind[q] = w
                q += 1
        lptr[i + 1] = q
    return q


@njit(cache=True)
def load_merged(indptr, indices, assignment, a, b, pop, lock, ws):  # pragma: no cover
    """Gather regions ``a`` and ``b`` into ``ws`` (local graph, populations, locks); returns ``m``.

    ``lock_a``/``lock_b`` mark the units locked to ``a``/``b``. Call :func:`release` when done.
    """
    nodes = ws.nodes
    lpop = ws.lpop
    lock_a = ws.lock_a
    lock_b = ws.lock_b
    m = gather(assignment, a, b, ws.local, nodes)
    induced_csr(indptr, indices, nodes, m, ws.local, ws.lptr, ws.lind)
    for i in range(m):
        u = nodes[i]
        lpop[i] = pop[u]
        lock_a[i] = 1 if lock[u] == a else 0
        lock_b[i] = 1 if lock[u] == b else 0
    return m


@njit(cache=True)
def release(ws, m):  # pragma: no cover - compiled
    """Reset ``local`` for the merged set (the workspace is then ready for the next one)."""
    local = ws.local
    nodes = ws.nodes
    for i in range(m):
        local[nodes[i]] = -1
    return 0


@njit(cache=True)
def max_degree_node(lptr, m):  # pragma: no cover - compiled
    """First local vertex of largest degree (Wilson's root: walks end sooner near a hub)."""
    best = 0
    bd = -1
    for i in range(m):
        d = lptr[i + 1] - lptr[i]
        if d > bd:
            bd = d
            best = i
    return best


# ------------------------------------------------------------------------------- trees
@njit(cache=True)
def wilson(ws, m, root, rng):  # pragma: no cover - compiled
    """Uniform spanning tree of the connected local graph ``ws.lptr/lind`` (Wilson's algorithm).

    Loop-erased random walks from each vertex in index order to the growing tree, which starts as
    ``root`` alone (any root gives the uniform distribution; a hub shortens the walks). Writes
    ``ws.parent`` and a root-first ``ws.order``: each loop-erased path joins the tree at a vertex
    already placed, so writing the path backwards puts every parent before its children. Returns
    the number of random-walk steps.

    Each step of a walk draws a neighbour exactly uniformly from a 17-bit piece of one 53-bit
    ``rng.random()`` (three pieces per draw; Lemire's multiply-shift with rejection), a third of
    the generator calls of one draw per step; the pieces left at the end of a tree are dropped, so
    the random stream does not depend on how steps are grouped into kernel calls.
    """
    lptr = ws.lptr
    lind = ws.lind
    in_tree = ws.in_tree
    nxt = ws.nxt
    parent = ws.parent
    order = ws.order
    tmod = ws.tmod
    max_t = tmod.size - 1
    for i in range(m):
        in_tree[i] = False
    in_tree[root] = True
    parent[root] = -1
    order[0] = root
    pos = 1
    walk = 0
    bits = np.int64(0)
    left = 0
    for i in range(m):
        u = i
        while not in_tree[u]:
            base = lptr[u]
            d = lptr[u + 1] - base
            if d == 1:
                j = 0
            elif d > max_t:
                j = rng.integers(0, d)
            else:
                while True:
                    if left == 0:
                        bits = np.int64(rng.random() * 9007199254740992.0)  # 53 uniform bits
                        left = 3
                    x = (bits & _CHUNK_MASK) * d
                    bits >>= _CHUNK_BITS
                    left -= 1
                    if (x & _CHUNK_MASK) >= tmod[d]:
                        j = x >> _CHUNK_BITS
                        break
            v = lind[base + j]
            nxt[u] = v
            u = v
            walk += 1
        length = 0
        u = i
        while not in_tree[u]:
            length += 1
            u = nxt[u]
        u = i
        j = pos + length - 1
        while not in_tree[u]:
            in_tree[u] = True
            parent[u] = nxt[u]
            order[j] = u
            j -= 1
            u = nxt[u]
        pos += length
    return walk


@njit(cache=True)
def _find(uf, x):  # pragma: no cover - compiled
    root = x
    while uf[root] != root:
        root = uf[root]
    while uf[x] != root:
        nx = uf[x]
        uf[x] = root
        x = nx
    return root


@njit(cache=True)
def mst_tree(lptr, lind, m, weights, parent, uf, tptr, tind, queue):  # pragma: no cover
    """Minimum spanning tree (Kruskal) of a local CSR graph for given undirected edge weights.

    ``weights`` holds one value per local CSR entry ``p`` with ``i < lind[p]`` (the other
    entries are ignored). The tree is returned as ``parent`` rooted at 0. Returns the number of
    tree edges (``m - 1`` when the graph is connected).
    """
    ne = 0
    for i in range(m):
        for p in range(lptr[i], lptr[i + 1]):
            if i < lind[p]:
                ne += 1
    eu = np.empty(ne, dtype=np.int64)
    ev = np.empty(ne, dtype=np.int64)
    ew = np.empty(ne, dtype=np.float64)
    q = 0
    for i in range(m):
        for p in range(lptr[i], lptr[i + 1]):
            if i < lind[p]:
                eu[q] = i
                ev[q] = lind[p]
                ew[q] = weights[p]
                q += 1
    order = np.argsort(ew, kind="mergesort")
    for i in range(m):
        uf[i] = i
        tptr[i + 1] = 0
    n_tree = 0
    chosen = np.empty(m, dtype=np.int64)
    for t in range(ne):
        e = order[t]
        ru = _find(uf, eu[e])
        rv = _find(uf, ev[e])
        if ru != rv:
            uf[ru] = rv
            chosen[n_tree] = e
            n_tree += 1
            tptr[eu[e] + 1] += 1
            tptr[ev[e] + 1] += 1
            if n_tree == m - 1:
                break
    tptr[0] = 0
    for i in range(m):
        tptr[i + 1] += tptr[i]
    fill = tptr[:m].copy()
    for t in range(n_tree):
        e = chosen[t]
        tind[fill[eu[e]]] = ev[e]
        fill[eu[e]] += 1
        tind[fill[ev[e]]] = eu[e]
        fill[ev[e]] += 1
    # orient from root 0 by BFS
    for i in range(m):
        parent[i] = -2
    parent[0] = -1
    queue[0] = 0
    head = 0
    tail = 1
    while head < tail:
        u = queue[head]
        head += 1
        for p in range(tptr[u], tptr[u + 1]):
            w = tind[p]
            if parent[w] == -2:
                parent[w] = u
                queue[tail] = w
                tail += 1
    return n_tree


@njit(cache=True)
def tree_order(parent, m, cptr, cind, order):  # pragma: no cover - compiled
    """Breadth-first order of a rooted tree given by ``parent`` (root first)."""
    for i in range(m + 1):
        cptr[i] = 0
    root = 0
    for v in range(m):
        p = parent[v]
        if p >= 0:
            cptr[p + 1] += 1
        else:
            root = v
    for i in range(m):
        cptr[i + 1] += cptr[i]
    fill = cptr[:m].copy()
    for v in range(m):
        p = parent[v]
        if p >= 0:
            cind[fill[p]] = v
            fill[p] += 1
    order[0] = root
    head = 0
    tail = 1
    while head < tail:
        u = order[head]
        head += 1
        for q in range(cptr[u], cptr[u + 1]):
            order[tail] = cind[q]
            tail += 1
    return tail


@njit(cache=True)
def random_mst(ws, m, rng):  # pragma: no cover - compiled
    """Minimum spanning tree for independent uniform(0, 1) edge weights, with its order in
    ``ws.order`` (GerryChain's tree; not uniform)."""
    lptr = ws.lptr
    lind = ws.lind
    weights = ws.weights
    for i in range(m):
        for p in range(lptr[i], lptr[i + 1]):
            if i < lind[p]:
                weights[p] = rng.random()
    n_tree = mst_tree(lptr, lind, m, ws.weights, ws.parent, ws.uf, ws.tptr, ws.tind, ws.queue)
    tree_order(ws.parent, m, ws.cptr, ws.cind, ws.order)
    return n_tree


# ------------------------------------------------------------------------------- cuts
@njit(cache=True)
def balanced_cuts(ws, m, lo_a, hi_a, lo_b, hi_b):  # pragma: no cover - compiled
    """All balanced cuts of the tree in ``ws``; returns their count, written to ``ws.cand``.

    Subtree populations and locked counts are accumulated leaves first along ``ws.order``.
    """
    parent = ws.parent
    order = ws.order
    sub = ws.sub
    sub_la = ws.sub_la
    sub_lb = ws.sub_lb
    cand = ws.cand
    lpop = ws.lpop
    lock_a = ws.lock_a
    lock_b = ws.lock_b
    for i in range(m):
        sub[i] = lpop[i]
        sub_la[i] = lock_a[i]
        sub_lb[i] = lock_b[i]
    for t in range(m - 1, 0, -1):
        v = order[t]
        p = parent[v]
        sub[p] += sub[v]
        sub_la[p] += sub_la[v]
        sub_lb[p] += sub_lb[v]
    root = order[0]
    total = sub[root]
    tla = sub_la[root]
    tlb = sub_lb[root]
    count = 0
    for t in range(1, m):
        v = order[t]
        s = sub[v]
        c = total - s
        # orientation 0: subtree -> a, rest -> b
        if (lo_a <= s <= hi_a and lo_b <= c <= hi_b
                and sub_lb[v] == 0 and sub_la[v] == tla):
            cand[count] = 2 * v
            count += 1
        # orientation 1: subtree -> b, rest -> a
        if (lo_b <= s <= hi_b and lo_a <= c <= hi_a
                and sub_la[v] == 0 and sub_lb[v] == tlb):
            cand[count] = 2 * v + 1
            count += 1
    return count


@njit(cache=True)
def draw_cuts(ws, m, tree, attempts, lo_a, hi_a, lo_b, hi_b, rng, trees_out):  # pragma: no cover
    """Draw trees of the merged set until one has a balanced cut, at most ``attempts`` times.

    Returns the number of balanced cuts of the last tree (0 when every attempt failed) and
    writes the number of trees drawn to ``trees_out[0]``.
    """
    root = max_degree_node(ws.lptr, m)
    count = 0
    trees = 0
    while trees < attempts:
        trees += 1
        if tree == TREE_UNIFORM:
            wilson(ws, m, root, rng)
        else:
            random_mst(ws, m, rng)
        count = balanced_cuts(ws, m, lo_a, hi_a, lo_b, hi_b)
        if count > 0:
            break
    trees_out[0] = trees
    return count


@njit(cache=True)
def mark_subtree(order, parent, m, v, inside):  # pragma: no cover - compiled
    """Set ``inside[i] = True`` for the units of the subtree below ``v`` (others False)."""
    for i in range(m):
        inside[i] = False
    inside[v] = True
    # parents come before children in the order
    for t in range(1, m):
        u = order[t]
        if inside[parent[u]]:
            inside[u] = True
    return 0


@njit(cache=True)
def cut_labels(ws, m, chosen, a, b):  # pragma: no cover - compiled
    """Write the new region of each unit of the merged set for cut ``chosen`` to ``ws.newlab``."""
    v = chosen // 2
    orient = chosen % 2
    inside = ws.inside
    newlab = ws.newlab
    mark_subtree(ws.order, ws.parent, m, v, inside)
    for i in range(m):
        if inside[i]:
            newlab[i] = a if orient == 0 else b
        else:
            newlab[i] = b if orient == 0 else a
    return 0


# ------------------------------------------------------------------------------- seeding
@njit(cache=True)
def seed_partition(indptr, indices, pop, lock, lo, hi, first, k, assign, ws, rng,
                   attempts, max_trees):  # pragma: no cover - compiled
    """Split the units with ``assign == -1`` into regions ``first .. first + k - 1``.

    Regions are cut off one at a time along a balanced edge of a uniform spanning tree of the
    units still free: region ``j`` gets a piece within ``[lo[j], hi[j]]`` holding every free unit
    locked to ``j`` and none locked to a later region, and leaves a connected remainder that the
    later regions can share (within the sums of their bounds). A region that finds no cut in
    ``attempts`` trees restarts the whole split. The free units must be connected.

    Returns the number of trees drawn (positive) on success, or minus that number when
    ``max_trees`` trees were drawn without success (``assign`` is then restored).
    """
    n = pop.size
    trees = 0
    zero = np.zeros(1, np.int64)
    nodes = ws.nodes
    lpop = ws.lpop
    lock_a = ws.lock_a
    lock_b = ws.lock_b
    newlab = ws.newlab
    while True:
        for u in range(n):
            if assign[u] >= first:
                assign[u] = -1
        ok = True
        for j in range(first, first + k - 1):
            m = gather(assign, -1, -1, ws.local, nodes)
            induced_csr(indptr, indices, nodes, m, ws.local, ws.lptr, ws.lind)
            lo_b = 0.0
            hi_b = 0.0
            for r in range(j + 1, first + k):
                lo_b += lo[r]
                hi_b += hi[r]
            for i in range(m):
                u = nodes[i]
                lpop[i] = pop[u]
                lock_a[i] = 1 if lock[u] == j else 0
                lock_b[i] = 1 if lock[u] > j else 0
            left = max_trees - trees
            count = 0
            if left > 0:
                count = draw_cuts(ws, m, TREE_UNIFORM, min(attempts, left), lo[j], hi[j],
                                  lo_b, hi_b, rng, zero)
                trees += zero[0]
            if count == 0:
                release(ws, m)
                ok = False
                break
            cut_labels(ws, m, ws.cand[rng.integers(0, count)], j, -1)
            for i in range(m):
                if newlab[i] == j:
                    assign[nodes[i]] = j
            release(ws, m)
        if ok:
            for u in range(n):
                if assign[u] < 0:
                    assign[u] = first + k - 1
            return trees
        if trees >= max_trees:
            for u in range(n):
                if assign[u] >= first:
                    assign[u] = -1
            return -trees
