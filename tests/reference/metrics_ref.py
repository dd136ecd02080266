"""Slow pure-Python/networkx references for the metric kernels."""

from __future__ import annotations

import networkx as nx
import numpy as np


def pieces(graph, assignment, k):
    g = graph.to_networkx()
    out = []
    for r in range(k):
        nodes = [i for i, a in enumerate(assignment) if a == r]
        out.append(nx.number_connected_components(g.subgraph(nodes)) if nodes else 0)
    return out


def boundary(graph, outer, assignment, k):
    per = [0.0] * k
    cut = 0
    for u, v, w in zip(*graph.edges(), strict=True):
        a, b = assignment[u], assignment[v]
        if a != b:
            if a >= 0:
                per[a] += w
            if b >= 0:
                per[b] += w
            if a >= 0 and b >= 0:
                cut += 1
    for i, a in enumerate(assignment):
        if a >= 0:
            per[a] += outer[i]
    return np.array(per), cut


def splits(codes, assignment):
    regions = {}
    for c, a in zip(codes, assignment, strict=True):
        if a >= 0:
            regions.setdefault(c, set()).add(a)
    return sum(1 for s in regions.values() if len(s) > 1)
