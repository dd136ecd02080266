"""Numba kernels for ReCom chains on CSR adjacency arrays.

Everything here works on flat arrays and an explicit ``np.random.Generator`` (numba shares the
generator's state with the caller, so a chain can be checkpointed through
``rng.bit_generator.state``). The public wrappers live in :mod:`dayafter.ensemble`.

Conventions
-----------
* A *merged set* is the union of two regions ``a`` and ``b``; its units get local indices
  ``0..m-1`` (``nodes[i]`` is the global unit, ``local[u]`` the local index or -1).
* A spanning tree is stored as ``parent[0..m-1]`` (local indices) with ``parent[root] == -1``.
* A *cut* is a pair (tree edge ``v - parent[v]``, orientation). Orientation 0 sends the subtree
  below ``v`` to region ``a`` and the rest to ``b``; orientation 1 the other way round. A cut is
  balanced when both pieces meet the population bounds of the region they go to and every locked
  unit stays in its region.
"""

from __future__ import annotations

import numpy as np
from numba import njit

# step outcomes (out_status)
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

# params layout (int64 array)
P_PAIR_RULE = 0  # 0 uniform cut edge, 1 uniform adjacent region pair
P_TREE = 1  # 0 uniform spanning tree (Wilson), 1 random-weight minimum spanning tree
P_REVERSIBLE = 2  # 1 = reversible ReCom (Cannon, Duchin, Randall, Rule)
P_M = 3  # bound on balanced cuts per tree (reversible only)
P_ATTEMPTS = 4  # trees drawn per step before giving up (non-reversible only)
N_PARAMS = 5

# state layout (int64 array)
S_CUT = 0  # number of cut edges (all)
S_ELIGIBLE_CUT = 1  # cut edges between two unlocked regions
S_ADJ_PAIRS = 2  # unordered pairs of unlocked regions that touch
S_SPLITS0 = 3  # splits of admin level 0, 1, ... follow
N_STATE_BASE = 3


# ------------------------------------------------------------------------------- merged set
@njit(cache=True)
def gather(assignment, a, b, local, nodes):  # pragma: no cover - compiled
    """Fill ``nodes`` with the units of regions ``a`` and ``b``; set ``local``; return their count."""
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


# ------------------------------------------------------------------------------- trees
_TWO53 = 9007199254740992  # 2**53
_MASK53 = 9007199254740991


@njit(cache=True)
def below_table(max_d):  # pragma: no cover - compiled
    """``2**53 mod d`` for ``d = 0..max_d`` (rejection thresholds of :func:`below`)."""
    t = np.zeros(max_d + 1, dtype=np.int64)
    for d in range(1, max_d + 1):
        t[d] = _TWO53 % d
    return t


@njit(cache=True, inline="always")
def below(rng, d, tmod):  # pragma: no cover - compiled
    """Exactly uniform integer in ``0..d-1`` from 53-bit draws (Lemire's multiply-shift method).

    ``rng.random()`` is ``k / 2**53`` with ``k`` uniform on 53 bits; ``k * d`` splits into a high
    part (the result) and a low part, rejected when below ``2**53 mod d`` so every result has the
    same number of ``k``. It is several times faster than ``Generator.integers`` inside numba.
    """
    if d >= 1024:  # k * d would overflow 64 bits: fall back to the generator's own bounded draw
        return rng.integers(0, d)
    while True:
        x = np.int64(rng.random() * 9007199254740992.0) * d
        if (x & _MASK53) >= tmod[d]:
            return x >> 53


@njit(cache=True)
def wilson_tree(lptr, lind, m, rng, parent, in_tree, nxt):  # pragma: no cover - compiled
    """Uniform spanning tree by Wilson's algorithm rooted at local vertex 0.

    Kept with its original signature and random stream (``Generator.integers``) for other
    engines that import it; chains use the faster :func:`wilson_tree_rooted`.
    Returns the number of random-walk steps taken.
    """
    for i in range(m):
        in_tree[i] = False
    in_tree[0] = True
    parent[0] = -1
    walk = 0
    for i in range(1, m):
        u = i
        while not in_tree[u]:
            d = lptr[u + 1] - lptr[u]
            j = rng.integers(0, d)
            nxt[u] = lind[lptr[u] + j]
            u = nxt[u]
            walk += 1
        u = i
        while not in_tree[u]:
            in_tree[u] = True
            parent[u] = nxt[u]
            u = nxt[u]
    return walk


@njit(cache=True)
def wilson_tree_rooted(lptr, lind, m, rng, parent, in_tree, nxt, root, tmod):  # pragma: no cover
    """Uniform spanning tree of a connected local CSR graph (Wilson's algorithm).

    Loop-erased random walks from each vertex in index order to the growing tree, which starts
    as ``root`` alone (any root gives the uniform distribution; a well-connected root shortens
    the walks). Returns the number of random-walk steps taken.
    """
    for i in range(m):
        in_tree[i] = False
    in_tree[root] = True
    parent[root] = -1
    walk = 0
    for i in range(m):
        u = i
        while not in_tree[u]:
            d = lptr[u + 1] - lptr[u]
            nxt[u] = lind[lptr[u] + below(rng, d, tmod)]
            u = nxt[u]
            walk += 1
        u = i
        while not in_tree[u]:
            in_tree[u] = True
            parent[u] = nxt[u]
            u = nxt[u]
    return walk


@njit(cache=True)
def wilson_tree_ordered(lptr, lind, m, rng, parent, in_tree, nxt, root, tmod,
                        order):  # pragma: no cover - compiled
    """:func:`wilson_tree_rooted` that also writes a root-first order of the tree to ``order``.

    Each loop-erased path joins the tree at a vertex already placed, so writing the path in
    reverse (from its end at the tree back to its start) puts every parent before its
    children; this replaces a separate breadth-first pass (:func:`tree_order`). Same random
    stream and the same tree as :func:`wilson_tree_rooted`.
    """
    for i in range(m):
        in_tree[i] = False
    in_tree[root] = True
    parent[root] = -1
    order[0] = root
    pos = 1
    walk = 0
    for i in range(m):
        u = i
        while not in_tree[u]:
            d = lptr[u + 1] - lptr[u]
            nxt[u] = lind[lptr[u] + below(rng, d, tmod)]
            u = nxt[u]
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
def max_degree_node(lptr, m):  # pragma: no cover - compiled
    """First local vertex of largest degree (Wilson's root)."""
    best = 0
    bd = -1
    for i in range(m):
        d = lptr[i + 1] - lptr[i]
        if d > bd:
            bd = d
            best = i
    return best


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
def random_mst_tree(lptr, lind, m, rng, parent, uf, tptr, tind, queue):  # pragma: no cover
    """Minimum spanning tree for independent uniform(0, 1) edge weights (GerryChain's tree)."""
    q = lptr[m]
    weights = np.zeros(q, dtype=np.float64)
    for i in range(m):
        for p in range(lptr[i], lptr[i + 1]):
            if i < lind[p]:
                weights[p] = rng.random()
    return mst_tree(lptr, lind, m, weights, parent, uf, tptr, tind, queue)


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
def balanced_cuts(parent, order, m, lpop, lock_a, lock_b, lo_a, hi_a, lo_b, hi_b,
                  sub, sub_la, sub_lb, cand):  # pragma: no cover - compiled
    """All balanced cuts of a rooted tree; returns their count, written to ``cand``.

    ``lpop`` is the population of each local unit, ``lock_a``/``lock_b`` 1 where the unit is
    locked to region a/b. ``cand[c] = 2 * v + orientation`` for each balanced cut ``c``.
    """
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
def mark_subtree(order, parent, m, v, inside):  # pragma: no cover - compiled
    """Set ``inside[i] = True`` for the units of the subtree below ``v`` (others False)."""
    for i in range(m):
        inside[i] = False
    inside[v] = True
    # parents come before children in BFS order
    for t in range(1, m):
        u = order[t]
        if inside[parent[u]]:
            inside[u] = True
    return 0


# ------------------------------------------------------------------------------- chain
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
def init_state(indptr, indices, assignment, k, region_locked, pop, zob, adm_codes,
               adm_offsets, adm_reg, adm_nz, state, region_pop, pair_cut,
               region_hash):  # pragma: no cover - compiled
    """Fill the incremental state (counts, tallies, hashes) from an assignment."""
    n = assignment.size
    for r in range(k):
        region_pop[r] = 0.0
        region_hash[r] = np.uint64(0)
        for s in range(k):
            pair_cut[r, s] = 0
    for u in range(n):
        r = assignment[u]
        region_pop[r] += pop[u]
        region_hash[r] ^= zob[u]
    cut = 0
    elig = 0
    for u in range(n):
        for p in range(indptr[u], indptr[u + 1]):
            v = indices[p]
            if u < v and assignment[u] != assignment[v]:
                a = assignment[u]
                b = assignment[v]
                pair_cut[a, b] += 1
                pair_cut[b, a] += 1
                cut += 1
                if not region_locked[a] and not region_locked[b]:
                    elig += 1
    adj = 0
    for a in range(k):
        for b in range(a + 1, k):
            if pair_cut[a, b] > 0 and not region_locked[a] and not region_locked[b]:
                adj += 1
    state[S_CUT] = cut
    state[S_ELIGIBLE_CUT] = elig
    state[S_ADJ_PAIRS] = adj
    n_levels = adm_codes.shape[0]
    for i in range(adm_reg.shape[0]):
        adm_nz[i] = 0
        for r in range(k):
            adm_reg[i, r] = 0
    for lev in range(n_levels):
        for u in range(n):
            row = adm_offsets[lev] + adm_codes[lev, u]
            r = assignment[u]
            if adm_reg[row, r] == 0:
                adm_nz[row] += 1
            adm_reg[row, r] += 1
        splits = 0
        for row in range(adm_offsets[lev], adm_offsets[lev + 1]):
            if adm_nz[row] > 1:
                splits += 1
        state[S_SPLITS0 + lev] = splits
    return 0


@njit(cache=True)
def _choose_pair(assignment, src, indices, k, region_locked, pair_cut, state, params, rng,
                 pair_out):  # pragma: no cover - compiled
    """Pick the two regions to merge; returns 0, NOT_ADJACENT (reversible) or ERR_NO_PAIR."""
    rule = params[P_PAIR_RULE]
    if params[P_REVERSIBLE] == 1:
        # uniform over all unordered pairs of unlocked regions; non-adjacent pairs are self-loops
        n_free = 0
        for r in range(k):
            if not region_locked[r]:
                n_free += 1
        if n_free < 2:
            return ERR_NO_PAIR
        n_pairs = n_free * (n_free - 1) // 2
        j = rng.integers(0, n_pairs)
        idx = 0
        for a in range(k):
            if region_locked[a]:
                continue
            for b in range(a + 1, k):
                if region_locked[b]:
                    continue
                if idx == j:
                    pair_out[0] = a
                    pair_out[1] = b
                    if pair_cut[a, b] == 0:
                        return NOT_ADJACENT
                    return 0
                idx += 1
        return ERR_NO_PAIR
    if rule == 0:
        if state[S_ELIGIBLE_CUT] == 0:
            return ERR_NO_PAIR
        ne = src.size
        while True:  # rejection sampling: uniform over eligible cut edges
            p = rng.integers(0, ne)
            a = assignment[src[p]]
            b = assignment[indices[p]]
            if a != b and not region_locked[a] and not region_locked[b]:
                pair_out[0] = a
                pair_out[1] = b
                return 0
    if state[S_ADJ_PAIRS] == 0:
        return ERR_NO_PAIR
    while True:  # rejection sampling: uniform over adjacent unlocked pairs
        a = rng.integers(0, k)
        b = rng.integers(0, k)
        if a < b and pair_cut[a, b] > 0 and not region_locked[a] and not region_locked[b]:
            pair_out[0] = a
            pair_out[1] = b
            return 0


@njit(cache=True)
def _apply_edges(indptr, indices, nodes, m, local, assignment, region_locked, pair_cut, state,
                 sign):  # pragma: no cover - compiled
    """Add (sign=1) or remove (sign=-1) the cut-edge contributions of edges touching the set."""
    for i in range(m):
        u = nodes[i]
        a = assignment[u]
        for p in range(indptr[u], indptr[u + 1]):
            v = indices[p]
            lv = local[v]
            if lv >= 0 and v < u:
                continue  # inside edge counted once (from its smaller end)
            b = assignment[v]
            if a != b:
                if pair_cut[a, b] == 0 and sign > 0 and not region_locked[a] \
                        and not region_locked[b]:
                    state[S_ADJ_PAIRS] += 1
                pair_cut[a, b] += sign
                pair_cut[b, a] += sign
                if pair_cut[a, b] == 0 and sign < 0 and not region_locked[a] \
                        and not region_locked[b]:
                    state[S_ADJ_PAIRS] -= 1
                state[S_CUT] += sign
                if not region_locked[a] and not region_locked[b]:
                    state[S_ELIGIBLE_CUT] += sign
    return 0


@njit(cache=True)
def _move_admin(adm_codes, adm_offsets, adm_reg, adm_nz, state, u, old, new):  # pragma: no cover
    for lev in range(adm_codes.shape[0]):
        row = adm_offsets[lev] + adm_codes[lev, u]
        adm_reg[row, old] -= 1
        if adm_reg[row, old] == 0:
            adm_nz[row] -= 1
            if adm_nz[row] == 1:
                state[S_SPLITS0 + lev] -= 1
        if adm_reg[row, new] == 0:
            adm_nz[row] += 1
            if adm_nz[row] == 2:
                state[S_SPLITS0 + lev] += 1
        adm_reg[row, new] += 1
    return 0


@njit(cache=True)
def _region_pops(nodes, m, assignment, pop, a, b, region_pop):  # pragma: no cover - compiled
    # recomputed from scratch (in unit order) so that no rounding drift builds up over a chain
    sa = 0.0
    sb = 0.0
    for i in range(m):
        u = nodes[i]
        if assignment[u] == a:
            sa += pop[u]
        else:
            sb += pop[u]
    region_pop[a] = sa
    region_pop[b] = sb
    return 0


@njit(cache=True)
def recom_steps(indptr, indices, src, pop, lo, hi, lock, region_locked, zob, adm_codes,
                adm_offsets, adm_caps, params, assignment, region_pop, pair_cut, region_hash,
                adm_reg, adm_nz, state, n_steps, rng, out_status, out_cut, out_dev, out_trees,
                out_hash, info):  # pragma: no cover - compiled
    """Run ``n_steps`` ReCom steps in place.

    Returns the number of steps completed, or a negative error code (``ERR_M_EXCEEDED`` with
    ``info = [a, b, count]``, ``ERR_NO_PAIR``) at the step that failed; the state is then the
    state before that step.
    """
    n = assignment.size
    k = region_pop.size
    local = np.full(n, -1, dtype=np.int64)
    nodes = np.empty(n, dtype=np.int64)
    lptr = np.empty(n + 1, dtype=np.int64)
    lind = np.empty(indices.size, dtype=np.int64)
    parent = np.empty(n, dtype=np.int64)
    in_tree = np.empty(n, dtype=np.bool_)
    nxt = np.empty(n, dtype=np.int64)
    uf = np.empty(n, dtype=np.int64)
    tptr = np.empty(n + 1, dtype=np.int64)
    tind = np.empty(2 * n, dtype=np.int64)
    queue = np.empty(n, dtype=np.int64)
    cptr = np.empty(n + 1, dtype=np.int64)
    cind = np.empty(n, dtype=np.int64)
    order = np.empty(n, dtype=np.int64)
    lpop = np.empty(n, dtype=np.float64)
    lock_a = np.empty(n, dtype=np.int64)
    lock_b = np.empty(n, dtype=np.int64)
    sub = np.empty(n, dtype=np.float64)
    sub_la = np.empty(n, dtype=np.int64)
    sub_lb = np.empty(n, dtype=np.int64)
    cand = np.empty(2 * n, dtype=np.int64)
    inside = np.empty(n, dtype=np.bool_)
    newlab = np.empty(n, dtype=np.int64)
    oldlab = np.empty(n, dtype=np.int64)
    pair = np.zeros(2, dtype=np.int64)
    reversible = params[P_REVERSIBLE] == 1
    max_d = 1
    for u in range(n):
        if indptr[u + 1] - indptr[u] > max_d:
            max_d = indptr[u + 1] - indptr[u]
    tmod = below_table(max_d)
    n_levels = adm_codes.shape[0]
    ideal = 0.0
    for r in range(k):
        ideal += region_pop[r]
    ideal /= k
    for step in range(n_steps):
        status = MOVED
        trees = 0
        code = _choose_pair(assignment, src, indices, k, region_locked, pair_cut, state, params,
                            rng, pair)
        if code == ERR_NO_PAIR:
            return ERR_NO_PAIR
        if code == NOT_ADJACENT:
            status = NOT_ADJACENT
        else:
            a = pair[0]
            b = pair[1]
            m = gather(assignment, a, b, local, nodes)
            induced_csr(indptr, indices, nodes, m, local, lptr, lind)
            for i in range(m):
                u = nodes[i]
                lpop[i] = pop[u]
                lock_a[i] = 1 if lock[u] == a else 0
                lock_b[i] = 1 if lock[u] == b else 0
            attempts = 1 if reversible else params[P_ATTEMPTS]
            root = max_degree_node(lptr, m)
            count = 0
            while trees < attempts:
                trees += 1
                if params[P_TREE] == 0:
                    wilson_tree_ordered(lptr, lind, m, rng, parent, in_tree, nxt, root, tmod,
                                        order)
                else:
                    random_mst_tree(lptr, lind, m, rng, parent, uf, tptr, tind, queue)
                    tree_order(parent, m, cptr, cind, order)
                count = balanced_cuts(parent, order, m, lpop, lock_a, lock_b, lo[a], hi[a],
                                      lo[b], hi[b], sub, sub_la, sub_lb, cand)
                if count > 0:
                    break
            chosen = -1
            if reversible:
                if count > params[P_M]:
                    info[0] = a
                    info[1] = b
                    info[2] = count
                    for i in range(m):
                        local[nodes[i]] = -1
                    return ERR_M_EXCEEDED
                j = rng.integers(0, params[P_M])
                if j < count:
                    chosen = cand[j]
            elif count > 0:
                chosen = cand[rng.integers(0, count)]
            if chosen < 0:
                status = NO_BALANCED_CUT
            else:
                v = chosen // 2
                orient = chosen % 2
                mark_subtree(order, parent, m, v, inside)
                same = True
                for i in range(m):
                    if inside[i]:
                        newlab[i] = a if orient == 0 else b
                    else:
                        newlab[i] = b if orient == 0 else a
                    if newlab[i] != assignment[nodes[i]]:
                        same = False
                if same:
                    status = SAME_PLAN
                else:
                    if reversible:
                        seam_old = pair_cut[a, b]
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
                        _apply_edges(indptr, indices, nodes, m, local, assignment,
                                     region_locked, pair_cut, state, -1)
                        for i in range(m):
                            u = nodes[i]
                            old = assignment[u]
                            oldlab[i] = old
                            new = newlab[i]
                            if old != new:
                                assignment[u] = new
                                region_hash[old] ^= zob[u]
                                region_hash[new] ^= zob[u]
                                if n_levels > 0:
                                    _move_admin(adm_codes, adm_offsets, adm_reg, adm_nz, state,
                                                u, old, new)
                        _apply_edges(indptr, indices, nodes, m, local, assignment,
                                     region_locked, pair_cut, state, 1)
                        _region_pops(nodes, m, assignment, pop, a, b, region_pop)
                        bad = False
                        for lev in range(n_levels):
                            if adm_caps[lev] >= 0 and state[S_SPLITS0 + lev] > adm_caps[lev]:
                                bad = True
                        if bad:  # undo
                            status = REJECTED_SPLITS
                            _apply_edges(indptr, indices, nodes, m, local, assignment,
                                         region_locked, pair_cut, state, -1)
                            for i in range(m):
                                u = nodes[i]
                                old = oldlab[i]
                                cur = assignment[u]
                                if old != cur:
                                    assignment[u] = old
                                    region_hash[cur] ^= zob[u]
                                    region_hash[old] ^= zob[u]
                                    _move_admin(adm_codes, adm_offsets, adm_reg, adm_nz, state,
                                                u, cur, old)
                            _apply_edges(indptr, indices, nodes, m, local, assignment,
                                         region_locked, pair_cut, state, 1)
                            _region_pops(nodes, m, assignment, pop, a, b, region_pop)
            for i in range(m):
                local[nodes[i]] = -1
        out_status[step] = status
        out_trees[step] = trees
        out_cut[step] = state[S_CUT]
        dev = 0.0
        for r in range(k):
            d = abs(region_pop[r] - ideal) / ideal if ideal > 0 else 0.0
            if d > dev:
                dev = d
        out_dev[step] = dev
        out_hash[step] = plan_hash(region_hash)
    return n_steps
