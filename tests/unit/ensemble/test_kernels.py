"""ReCom kernels against brute-force references: trees, cuts and enumeration counts."""

from __future__ import annotations

from collections import Counter

import networkx as nx
import numpy as np
import pytest
from scipy.stats import chisquare
from tests.reference import recom_ref as ref

from dayafter._kernels import tree as k
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


def _work(t, nodes):
    """A tree workspace loaded with the subgraph of ``t`` induced on ``nodes``."""
    n = t.n_units
    indptr = t.graph.indptr.astype(np.int64)
    ws = k.make_tree_work(n, t.graph.indices.size, int(np.diff(indptr).max()))
    lab = np.full(n, -7, dtype=np.int64)
    lab[nodes] = 3
    m = k.load_merged(indptr, t.graph.indices.astype(np.int64), lab, 3, 3, np.ones(n),
                      np.full(n, -1, np.int64), ws)
    return ws, m


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
    ws, m = _work(t, np.arange(9))
    nd = ws.nodes[:m]
    rng = np.random.default_rng(global_seed)
    n_draw = 192 * 60
    counts = Counter()
    root = int(rng.integers(9))  # any root gives the uniform distribution
    for _ in range(n_draw):
        k.wilson(ws, m, root, rng)
        counts[_tree_edges(ws.parent, nd)] += 1
    g = ref.graph_of(t)
    trees = {frozenset(tr) for tr in ref.spanning_trees(g, range(9))}
    assert set(counts) <= trees and len(counts) == 192
    p = chisquare([counts[tr] for tr in trees]).pvalue
    assert p > 1e-4
    # the same test sees the non-uniform random-weight MST
    mst = Counter()
    for _ in range(n_draw):
        k.random_mst(ws, m, rng)
        mst[_tree_edges(ws.parent, nd)] += 1
    assert chisquare([mst[tr] for tr in trees]).pvalue < 1e-6


def test_wilson_uniform_with_large_degrees(global_seed):
    """A wheel: the hub has six neighbours, so the exact bounded draws of several degrees are used
    (and a degree above the table's range falls back to the generator's own draw)."""
    from dayafter.graph import UnitGraph
    from dayafter.territory import Territory

    n = 7
    u = [0] * (n - 1) + list(range(1, n - 1)) + [n - 1]
    v = list(range(1, n)) + list(range(2, n)) + [1]
    ug = UnitGraph.from_edges(n, np.array(u), np.array(v), np.ones(len(u)))
    t = Territory.from_arrays([f"x{i}" for i in range(n)], ["p"], {"c": np.ones((n, 1))}, ug)
    g = ref.graph_of(t)
    trees = {frozenset(tr) for tr in ref.spanning_trees(g, range(n))}
    for small_table in (False, True):
        ws, m = _work(t, np.arange(n))
        if small_table:  # degrees above 3 use rng.integers
            ws = ws._replace(tmod=k.chunk_table(3))
        rng = np.random.default_rng(global_seed)
        counts = Counter()
        for _ in range(len(trees) * 40):
            k.wilson(ws, m, 3, rng)
            counts[_tree_edges(ws.parent, ws.nodes[:m])] += 1
        assert set(counts) == trees
        assert chisquare([counts[tr] for tr in trees]).pvalue > 1e-4


def test_wilson_order_puts_parents_first(global_seed):
    t = grid_territory(5, 6)
    ws, m = _work(t, np.arange(30))
    for rep in range(20):
        root = (global_seed + rep) % 30
        k.wilson(ws, m, root, np.random.default_rng(rep))
        order = ws.order[:m]
        assert sorted(order.tolist()) == list(range(30)) and order[0] == root
        place = np.empty(30, np.int64)
        place[order] = np.arange(30)
        for v in range(30):
            if v != root:
                assert place[ws.parent[v]] < place[v]


def test_chunk_table():
    tmod = k.chunk_table(13)
    assert tmod[3] == 2**17 % 3 and tmod[1] == 0 and tmod[13] == 2**17 % 13


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
    ws, m = _work(t, np.arange(12))
    nd = ws.nodes[:m].copy()
    for _ in range(40):
        k.wilson(ws, m, k.max_degree_node(ws.lptr, m), rng)
        pop = rng.integers(0, 6, size=12).astype(float)
        total = pop.sum()
        lo = np.array([0.0, 0, total * rng.uniform(0.2, 0.45), total * rng.uniform(0.1, 0.45)])
        hi = np.array([0.0, 0, total * rng.uniform(0.5, 0.8), total * rng.uniform(0.5, 0.9)])
        lock = np.full(12, -1)
        if with_locks:
            lock[rng.integers(12)] = 2
            lock[rng.integers(12)] = 3
        ws.lpop[:m] = pop[nd]
        ws.lock_a[:m] = (lock[nd] == 2).astype(np.int64)
        ws.lock_b[:m] = (lock[nd] == 3).astype(np.int64)
        cnt = k.balanced_cuts(ws, m, lo[2], hi[2], lo[3], hi[3])
        got = set()
        for c in ws.cand[:cnt]:
            k.cut_labels(ws, m, c, 2, 3)
            got.add(tuple(sorted((int(nd[i]), int(ws.newlab[i])) for i in range(m))))
        want = {tuple(sorted(d.items()))
                for d in ref.tree_cuts(_tree_edges(ws.parent, nd), list(range(12)), pop, 2, 3, lo,
                                       hi, lock if with_locks else None)}
        assert got == want and cnt == len(want)
