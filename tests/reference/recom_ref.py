"""Slow pure-Python / networkx oracles for the ReCom kernels (small graphs only).

Plans are tuples of region labels in unit order. Everything is brute force: spanning trees are
enumerated from edge subsets, balanced partitions by growing connected sets, and the exact one-step
transition row of each proposal by summing over every pair and every spanning tree.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from fractions import Fraction

import networkx as nx
import numpy as np


# ----------------------------------------------------------------------------- graphs and trees
def graph_of(territory) -> nx.Graph:
    """networkx graph of a territory (nodes are unit indices)."""
    return territory.graph.to_networkx()


def spanning_trees(g: nx.Graph, nodes) -> list[tuple[tuple[int, int], ...]]:
    """Every spanning tree of the subgraph induced on ``nodes`` (brute force over edge subsets)."""
    nodes = sorted(nodes)
    sub = g.subgraph(nodes)
    edges = sorted(tuple(sorted(e)) for e in sub.edges())
    out = []
    for combo in itertools.combinations(edges, len(nodes) - 1):
        t = nx.Graph()
        t.add_nodes_from(nodes)
        t.add_edges_from(combo)
        if nx.is_connected(t):
            out.append(combo)
    return out


def matrix_tree_count(g: nx.Graph, nodes) -> int:
    """Number of spanning trees by Kirchhoff's matrix-tree theorem (exact, with fractions)."""
    nodes = sorted(nodes)
    if len(nodes) == 1:
        return 1
    lap = nx.laplacian_matrix(g.subgraph(nodes), nodelist=nodes).toarray()
    m = [[Fraction(int(x)) for x in row[1:]] for row in lap[1:]]
    det = Fraction(1)
    size = len(m)
    for c in range(size):
        piv = next((r for r in range(c, size) if m[r][c] != 0), None)
        if piv is None:
            return 0
        if piv != c:
            m[c], m[piv] = m[piv], m[c]
            det = -det
        det *= m[c][c]
        for r in range(c + 1, size):
            f = m[r][c] / m[c][c]
            if f:
                for j in range(c, size):
                    m[r][j] -= f * m[c][j]
    return int(det)


def mst_edges(g: nx.Graph, nodes, weights: dict) -> frozenset:
    """Minimum spanning tree edges of the induced subgraph for the given edge weights."""
    sub = nx.Graph()
    sub.add_nodes_from(nodes)
    for u, v in g.subgraph(nodes).edges():
        sub.add_edge(u, v, weight=weights[tuple(sorted((u, v)))])
    return frozenset(tuple(sorted(e)) for e in nx.minimum_spanning_tree(sub).edges())


def wilson_tree(g: nx.Graph, nodes, rng) -> frozenset:
    """Uniform spanning tree by Wilson's algorithm, written plainly over networkx."""
    nodes = sorted(nodes)
    inside = set(nodes)
    in_tree = {nodes[0]}
    nxt = {}
    edges = set()
    for start in nodes[1:]:
        u = start
        while u not in in_tree:
            nb = sorted(w for w in g[u] if w in inside)
            nxt[u] = nb[int(rng.integers(len(nb)))]
            u = nxt[u]
        u = start
        while u not in in_tree:
            in_tree.add(u)
            edges.add(tuple(sorted((u, nxt[u]))))
            u = nxt[u]
    return frozenset(edges)


# ----------------------------------------------------------------------------- cuts and plans
def tree_cuts(tree_edges, nodes, pop, a, b, lo, hi, lock=None):
    """Balanced (edge, orientation) cuts of a tree: list of ``{unit: new label}`` dicts.

    A piece given to region ``r`` must have population in ``[lo[r], hi[r]]`` and contain every
    unit locked to ``r`` (``lock[u] == r``).
    """
    t = nx.Graph()
    t.add_nodes_from(nodes)
    t.add_edges_from(tree_edges)
    out = []
    for e in sorted(tree_edges):
        t.remove_edge(*e)
        side = nx.node_connected_component(t, e[0])
        other = set(nodes) - side
        t.add_edge(*e)
        for x, y in ((a, b), (b, a)):
            ok = (lo[x] <= sum(pop[u] for u in side) <= hi[x]
                  and lo[y] <= sum(pop[u] for u in other) <= hi[y])
            if ok and lock is not None:
                ok = all(lock[u] in (-1, x) for u in side) and all(lock[u] in (-1, y) for u in other)
            if ok:
                lab = {u: x for u in side}
                lab.update({u: y for u in other})
                out.append(lab)
    return out


def canonical(plan) -> tuple:
    """Relabel regions by first appearance (a partition, ignoring labels)."""
    seen: dict[int, int] = {}
    return tuple(seen.setdefault(r, len(seen)) for r in plan)


def connected_sets(g: nx.Graph, v, allowed: set, pop, lo, hi):
    """Connected sets containing ``v`` inside ``allowed`` with population in [lo, hi] (no repeats).

    Populations must be non-negative (growing a set never lowers its population).
    """
    def rec(s, p, cand, excl):
        if lo <= p <= hi:
            yield frozenset(s)
        excl = set(excl)
        for i, w in enumerate(cand):
            if p + pop[w] <= hi:
                new = [x for x in g[w] if x in allowed and x not in s and x not in excl
                       and x not in cand]
                yield from rec(s | {w}, p + pop[w], cand[i + 1:] + sorted(set(new)), excl)
            excl.add(w)

    first = sorted(x for x in g[v] if x in allowed)
    yield from rec({v}, pop[v], first, set())


def balanced_partitions(g: nx.Graph, pop, k, lo, hi):
    """Every partition into ``k`` connected parts with population in ``[lo, hi]`` (canonical)."""
    n = g.number_of_nodes()
    out = []

    def rec(free: set, parts):
        if len(parts) == k:
            if not free:
                lab = [0] * n
                for j, s in enumerate(parts):
                    for u in s:
                        lab[u] = j
                out.append(canonical(lab))
            return
        if not free:
            return
        v = min(free)
        for s in connected_sets(g, v, free, pop, lo, hi):
            rest = free - s
            rec(rest, [*parts, s])

    rec(set(range(n)), [])
    return out


def tree_weight(g: nx.Graph, plan) -> int:
    """Product over regions of their spanning-tree counts (the reversible chain's target)."""
    w = 1
    for r in set(plan):
        w *= matrix_tree_count(g, [u for u, x in enumerate(plan) if x == r])
    return w


# ----------------------------------------------------------------------------- exact rows
def _cut_pairs(g, plan):
    cnt: dict[tuple[int, int], int] = defaultdict(int)
    for u, v in g.edges():
        if plan[u] != plan[v]:
            cnt[tuple(sorted((plan[u], plan[v])))] += 1
    return cnt


def exact_recom_row(g, pop, plan, k, lo, hi, *, pair_rule="cut_edge", attempts=1, lock=None,
                    locked_regions=()):
    """Exact one-step distribution of ReCom with uniform spanning trees from a labeled plan."""
    plan = tuple(plan)
    cnt = {p: c for p, c in _cut_pairs(g, plan).items()
           if p[0] not in locked_regions and p[1] not in locked_regions}
    total = sum(cnt.values())
    row: dict[tuple, float] = defaultdict(float)
    for (a, b), c in cnt.items():
        p_pair = c / total if pair_rule == "cut_edge" else 1 / len(cnt)
        nodes = [u for u, x in enumerate(plan) if x in (a, b)]
        trees = spanning_trees(g, nodes)
        p1: dict[tuple, float] = defaultdict(float)
        has = 0
        for tr in trees:
            cuts = tree_cuts(tr, nodes, pop, a, b, lo, hi, lock)
            if cuts:
                has += 1
                for lab in cuts:
                    new = list(plan)
                    for u, x in lab.items():
                        new[u] = x
                    p1[tuple(new)] += 1 / (len(trees) * len(cuts))
        p_has = has / len(trees)
        if p_has == 0:
            row[plan] += p_pair
            continue
        scale = (1 - (1 - p_has) ** attempts) / p_has
        for q, p in p1.items():
            row[q] += p_pair * p * scale
        row[plan] += p_pair * (1 - p_has) ** attempts
    return dict(row)


def exact_reversible_row(g, pop, plan, k, lo, hi, m_bound):
    """Exact one-step distribution of reversible ReCom (Cannon, Duchin, Randall, Rule)."""
    plan = tuple(plan)
    cnt = _cut_pairs(g, plan)
    row: dict[tuple, float] = defaultdict(float)
    n_pairs = k * (k - 1) // 2
    for a, b in itertools.combinations(range(k), 2):
        if (a, b) not in cnt:
            row[plan] += 1 / n_pairs
            continue
        seam_old = cnt[(a, b)]
        nodes = [u for u, x in enumerate(plan) if x in (a, b)]
        trees = spanning_trees(g, nodes)
        moved = 0.0
        for tr in trees:
            cuts = tree_cuts(tr, nodes, pop, a, b, lo, hi)
            assert len(cuts) <= m_bound
            for lab in cuts:
                new = list(plan)
                for u, x in lab.items():
                    new[u] = x
                new = tuple(new)
                seam_new = sum(1 for u, v in g.subgraph(nodes).edges() if new[u] != new[v])
                p = (1 / n_pairs) / len(trees) / m_bound * min(1.0, seam_old / seam_new)
                row[new] += p
                moved += p
        row[plan] += 1 / n_pairs - moved
    return dict(row)


def pooled_chisquare(observed: dict, expected_p: dict, n: int, min_expected: float = 5.0):
    """Chi-square p-value of counts against exact probabilities, pooling cells with small
    expectation (and any observed outcome the row gives probability 0 fails at once)."""
    from scipy.stats import chisquare

    for key in observed:
        if expected_p.get(key, 0.0) <= 0:
            return 0.0
    keys = sorted(expected_p, key=lambda q: expected_p[q])
    obs, exp = [], []
    pool_o, pool_e = 0.0, 0.0
    for q in keys:
        e = expected_p[q] * n
        o = observed.get(q, 0)
        if e < min_expected:
            pool_o += o
            pool_e += e
        else:
            obs.append(o)
            exp.append(e)
    if pool_e > 0:
        if pool_e < min_expected and exp:
            obs[0] += pool_o
            exp[0] += pool_e
        else:
            obs.append(pool_o)
            exp.append(pool_e)
    if len(obs) < 2:
        return 1.0
    exp_arr = np.asarray(exp)
    exp_arr *= sum(obs) / exp_arr.sum()
    return float(chisquare(obs, exp_arr).pvalue)


def binom(n: int, r: int) -> int:
    """Binomial coefficient (kept here so tests read plainly)."""
    return math.comb(n, r)
