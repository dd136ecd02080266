"""ReCom kernels against brute-force references: trees, cuts and enumeration counts."""

from __future__ import annotations

from collections import Counter

import networkx as nx
import numpy as np
import pytest
from scipy.stats import chisquare
from tests.reference import recom_ref as ref

from dayafter._kernels import recom as k
from dayafter.testing.grids import grid_territory


def _local(t, nodes):
    """Local CSR of the subgraph of ``t`` induced on ``nodes`` (kernel helpers)."""
    n = t.n_units
    lab = np.full(n, -7, dtype=np.int64)
    lab[nodes] = 3
    local = np.full(n, -1, dtype=np.int64)
    nd = np.empty(n, dtype=np.int64)
    m = k.gather(lab, 3, 3, local, nd)
    lptr = np.empty(n + 1, dtype=np.int64)
    lind = np.empty(t.graph.indices.size, dtype=np.int64)
    indptr = t.graph.indptr.astype(np.int64)
    indices = t.graph.indices.astype(np.int64)
    k.induced_csr(indptr, indices, nd, m, local, lptr, lind)
    return nd[:m].copy(), lptr, lind, m


def _tree_edges(parent, nd):
    return frozenset(tuple(sorted((int(nd[v]), int(nd[parent[v]]))))
                     for v in range(nd.size) if parent[v] >= 0)


def test_matrix_tree_matches_enumeration():
    g = nx.grid_2d_graph(3, 3)
    g = nx.convert_node_labels_to_integers(g, ordering="sorted")
    assert len(ref.spanning_trees(g, range(9))) == 192  # published: tau(P3 x P3) = 192
    assert ref.matrix_tree_count(g, range(9)) == 192
    g4 = nx.convert_node_labels_to_integers(nx.grid_2d_graph(4, 4), ordering="sorted")
    assert ref.matrix_tree_count(g4, range(16)) == 100352  # OEIS A007341
    for nodes in ([0, 1, 2, 3, 4, 5], [0, 1, 3, 4, 6, 7]):
        assert len(ref.spanning_trees(g, nodes)) == ref.matrix_tree_count(g, nodes)


def test_balanced_plan_counts_published():
    g4 = nx.convert_node_labels_to_integers(nx.grid_2d_graph(4, 4), ordering="sorted")
    plans4 = ref.balanced_partitions(g4, [1] * 16, 4, 4, 4)
    assert len(plans4) == len(set(plans4)) == 117
    g5 = nx.convert_node_labels_to_integers(nx.grid_2d_graph(5, 5), ordering="sorted")
    plans5 = ref.balanced_partitions(g5, [1] * 25, 5, 5, 5)
    assert len(plans5) == len(set(plans5)) == 4006


def test_wilson_kernel_is_uniform_on_3x3(global_seed):
    t = grid_territory(3, 3)
    nd, lptr, lind, m = _local(t, np.arange(9))
    rng = np.random.default_rng(global_seed)
    parent = np.empty(9, np.int64)
    in_tree = np.empty(9, np.bool_)
    nxt = np.empty(9, np.int64)
    n_draw = 192 * 60
    counts = Counter()
    tmod = k.below_table(8)
    root = int(rng.integers(9))  # any root gives the uniform distribution
    for _ in range(n_draw):
        k.wilson_tree_rooted(lptr, lind, m, rng, parent, in_tree, nxt, root, tmod)
        counts[_tree_edges(parent, nd)] += 1
    g = ref.graph_of(t)
    trees = {frozenset(tr) for tr in ref.spanning_trees(g, range(9))}
    assert set(counts) <= trees and len(counts) == 192
    p = chisquare([counts[tr] for tr in trees]).pvalue
    assert p > 1e-4
    # the same test sees the non-uniform random-weight MST
    uf = np.empty(9, np.int64)
    tptr = np.empty(10, np.int64)
    tind = np.empty(18, np.int64)
    queue = np.empty(9, np.int64)
    mst = Counter()
    for _ in range(n_draw):
        k.random_mst_tree(lptr, lind, m, rng, parent, uf, tptr, tind, queue)
        mst[_tree_edges(parent, nd)] += 1
    assert chisquare([mst[tr] for tr in trees]).pvalue < 1e-6


def test_wilson_ordered_gives_same_tree_and_a_parent_first_order(global_seed):
    t = grid_territory(5, 6)
    _nd, lptr, lind, m = _local(t, np.arange(30))
    tmod = k.below_table(4)
    for rep in range(20):
        root = (global_seed + rep) % 30
        p1, p2, order = np.empty(30, np.int64), np.empty(30, np.int64), np.empty(30, np.int64)
        w1 = k.wilson_tree_rooted(lptr, lind, m, np.random.default_rng(rep), p1,
                                  np.empty(30, np.bool_), np.empty(30, np.int64), root, tmod)
        w2 = k.wilson_tree_ordered(lptr, lind, m, np.random.default_rng(rep), p2,
                                   np.empty(30, np.bool_), np.empty(30, np.int64), root, tmod,
                                   order)
        assert w1 == w2 and np.array_equal(p1, p2)
        assert sorted(order.tolist()) == list(range(30)) and order[0] == root
        place = np.empty(30, np.int64)
        place[order] = np.arange(30)
        for v in range(30):
            if v != root:
                assert place[p2[v]] < place[v]


def test_legacy_wilson_kernel_is_uniform(global_seed):
    t = grid_territory(2, 3)
    nd, lptr, lind, m = _local(t, np.arange(6))
    rng = np.random.default_rng(global_seed)
    parent = np.empty(6, np.int64)
    trees = {frozenset(tr) for tr in ref.spanning_trees(ref.graph_of(t), range(6))}
    counts = Counter()
    for _ in range(len(trees) * 80):
        k.wilson_tree(lptr, lind, m, rng, parent, np.empty(6, np.bool_), np.empty(6, np.int64))
        counts[_tree_edges(parent, nd)] += 1
    assert set(counts) == trees
    assert chisquare([counts[tr] for tr in trees]).pvalue > 1e-4


def test_below_is_exactly_uniform(global_seed):
    from numba import njit

    @njit
    def draw(rng, d, tmod, n):
        out = np.zeros(d, np.int64)
        for _ in range(n):
            out[k.below(rng, d, tmod)] += 1
        return out

    tmod = k.below_table(13)
    assert tmod[3] == 2**53 % 3 and tmod[1] == 0
    rng = np.random.default_rng(global_seed)
    for d in (1, 2, 3, 7, 13):
        c = draw(rng, d, tmod, 70_000)
        assert c.sum() == 70_000
        if d > 1:
            assert chisquare(c).pvalue > 1e-4


def test_wilson_reference_is_uniform(global_seed):
    t = grid_territory(2, 3)
    g = ref.graph_of(t)
    rng = np.random.default_rng(global_seed)
    trees = {frozenset(tr) for tr in ref.spanning_trees(g, range(6))}
    counts = Counter(ref.wilson_tree(g, range(6), rng) for _ in range(len(trees) * 80))
    assert set(counts) == trees
    assert chisquare([counts[tr] for tr in trees]).pvalue > 1e-4


def test_mst_kernel_matches_networkx(global_seed):
    rng = np.random.default_rng(global_seed)
    for _ in range(30):
        g = nx.gnm_random_graph(12, 30, seed=int(rng.integers(1 << 30)))
        if not nx.is_connected(g):
            continue
        from dayafter.graph import UnitGraph
        from dayafter.territory import Territory

        u, v = np.array(list(g.edges())).T
        ug = UnitGraph.from_edges(12, u, v, np.ones(u.size))
        t = Territory.from_arrays([f"x{i:02d}" for i in range(12)], ["p"],
                                  {"c": np.ones((12, 1))}, ug)
        nd, lptr, lind, m = _local(t, np.arange(12))
        weights = np.zeros(lptr[m])
        wdict = {}
        for i in range(m):
            for p in range(lptr[i], lptr[i + 1]):
                if i < lind[p]:
                    weights[p] = rng.random()
                    wdict[(int(nd[i]), int(nd[lind[p]]))] = weights[p]
        parent = np.empty(12, np.int64)
        n_tree = k.mst_tree(lptr, lind, m, weights, parent, np.empty(12, np.int64),
                            np.empty(13, np.int64), np.empty(24, np.int64),
                            np.empty(12, np.int64))
        assert n_tree == 11
        assert _tree_edges(parent, nd) == ref.mst_edges(ref.graph_of(t), range(12), wdict)


@pytest.mark.parametrize("with_locks", [False, True])
def test_balanced_cuts_match_reference(global_seed, with_locks):
    rng = np.random.default_rng(global_seed)
    t = grid_territory(3, 4)
    nd, lptr, lind, m = _local(t, np.arange(12))
    parent = np.empty(12, np.int64)
    order = np.empty(12, np.int64)
    for _ in range(40):
        k.wilson_tree_rooted(lptr, lind, m, rng, parent, np.empty(12, np.bool_),
                             np.empty(12, np.int64), k.max_degree_node(lptr, m), k.below_table(4))
        k.tree_order(parent, m, np.empty(13, np.int64), np.empty(12, np.int64), order)
        pop = rng.integers(0, 6, size=12).astype(float)
        total = pop.sum()
        lo = np.array([0.0, 0, total * rng.uniform(0.2, 0.45), total * rng.uniform(0.1, 0.45)])
        hi = np.array([0.0, 0, total * rng.uniform(0.5, 0.8), total * rng.uniform(0.5, 0.9)])
        lock = np.full(12, -1)
        if with_locks:
            lock[rng.integers(12)] = 2
            lock[rng.integers(12)] = 3
        la = (lock[nd] == 2).astype(np.int64)
        lb = (lock[nd] == 3).astype(np.int64)
        cand = np.empty(24, np.int64)
        cnt = k.balanced_cuts(parent, order, m, pop[nd], la, lb, lo[2], hi[2], lo[3], hi[3],
                              np.empty(12), np.empty(12, np.int64), np.empty(12, np.int64), cand)
        got = set()
        inside = np.empty(12, np.bool_)
        for c in cand[:cnt]:
            k.mark_subtree(order, parent, m, c // 2, inside)
            lab = {}
            for i in range(m):
                lab[int(nd[i])] = (2 if c % 2 == 0 else 3) if inside[i] else (3 if c % 2 == 0
                                                                                else 2)
            got.add(tuple(sorted(lab.items())))
        want = {tuple(sorted(d.items()))
                for d in ref.tree_cuts(_tree_edges(parent, nd), list(range(12)), pop, 2, 3, lo,
                                       hi, lock if with_locks else None)}
        assert got == want and cnt == len(want)
