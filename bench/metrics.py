"""Benchmark: every metric except Reock for one plan on a 10,000-unit territory.

Target (issue 2): under 2 ms per plan. The reference measured in the same run is GerryChain 1.0's
Partition with the equivalent updaters (tallies, cut edges, perimeter, area) on the same graph and
plan, plus a plain pandas groupby of the tallies.

    python bench/metrics.py [--side 100] [--k 20] [--repeat 200]
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def build(side: int, k: int, communities: int = 9):
    from dayafter.plan import Plan, Region
    from dayafter.testing.strategies import grid_territory

    rng = np.random.default_rng(0)
    n = side * side
    pop = rng.integers(0, 1000, size=(n, communities)).astype(float)
    t = grid_territory(side, side, pop, admin_block=5)
    # k horizontal bands: a contiguous plan
    rows = np.arange(n) // side
    a = np.minimum(rows * k // side, k - 1)
    order = np.argsort([f"u{x:04d}" for x in range(n)])  # from_arrays sorts ids; u0000.. are sorted already
    plan = Plan(a[order], tuple(Region(f"R{j}") for j in range(k)), t.content_hash)
    return t, plan


def time_it(fn, repeat: int) -> float:
    fn()
    best = []
    for _ in range(3):
        t0 = time.perf_counter()
        for _ in range(repeat):
            fn()
        best.append((time.perf_counter() - t0) / repeat)
    return min(best)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--side", type=int, default=100)
    ap.add_argument("--k", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=200)
    args = ap.parse_args()
    from dayafter.metrics import evaluate

    t, plan = build(args.side, args.k)
    ours_all = time_it(lambda: evaluate(t, plan), args.repeat)
    ours_one = time_it(lambda: evaluate(t, plan, censuses=["c1"]), args.repeat)
    print(f"units {t.n_units}, edges {t.graph.n_edges}, communities {t.n_communities}, regions {plan.k}")
    print(f"dayafter evaluate, 1 census : {ours_one * 1e3:8.3f} ms  (target < 2 ms)")
    print(f"dayafter evaluate, 2 censuses: {ours_all * 1e3:8.3f} ms")

    import pandas as pd

    frame = pd.DataFrame(t.census("c1"), columns=list(t.communities))
    frame["region"] = plan.assignment

    def pandas_tally():
        P = frame.groupby("region").sum()
        s = P.div(P.sum(axis=1), axis=0)
        return (1 - (s**2).sum(axis=1)), P.idxmax(axis=1)

    t_pandas = time_it(pandas_tally, max(args.repeat // 4, 5))
    print(f"pandas groupby tallies+shares only: {t_pandas * 1e3:8.3f} ms")

    try:
        import networkx as nx
        from gerrychain import Graph, Partition
        from gerrychain.updaters import (
            Tally,
            boundary_nodes,
            cut_edges,
            cut_edges_by_part,
            exterior_boundaries,
            interior_boundaries,
            perimeter,
        )
    except ImportError:
        print("GerryChain not installed: no reference ratio")
        return
    u, v, w = t.graph.edges()
    g = nx.Graph()
    for i in range(t.n_units):
        attrs = {c: float(t.census("c1")[i, j]) for j, c in enumerate(t.communities)}
        attrs.update(area=float(t.area[i]), boundary_node=bool(t.outer_border[i] > 0),
                     boundary_perim=float(t.outer_border[i]))
        g.add_node(i, **attrs)
    g.add_edges_from((int(a), int(b), {"shared_perim": float(c)}) for a, b, c in zip(u, v, w, strict=True))
    graph = Graph.from_networkx(g)
    assignment = {i: int(plan.assignment[i]) for i in range(t.n_units)}
    updaters = {c: Tally(c, alias=c) for c in t.communities}
    updaters.update({"cut_edges": cut_edges, "area": Tally("area", alias="area"),
                     "boundary_nodes": boundary_nodes, "cut_edges_by_part": cut_edges_by_part,
                     "exterior_boundaries": exterior_boundaries,
                     "interior_boundaries": interior_boundaries,
                     "perimeter": perimeter})

    def gerry():
        p = Partition(graph, assignment, updaters)
        for key in updaters:
            p[key]

    t_gc = time_it(gerry, 3)
    print(f"GerryChain Partition, same metrics subset, 1 census: {t_gc * 1e3:8.1f} ms")
    print(f"ratio (GerryChain / dayafter, 1 census): {t_gc / ours_one:,.0f}x")


if __name__ == "__main__":
    main()
