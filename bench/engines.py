"""Benchmarks of the settle and security engines, each against an independent solver.

    .venv/bin/python bench/engines.py [--seeds 5]

1. Maximum Nash welfare, 3 parties x 40 units (target < 2 s): dayafter's outer-approximation MILP
   against the textbook MILP with a tangent at every integer utility (Caragiannis et al. 2016),
   on integer values; both optima must agree.
2. Security LP, 20 forces x 1,000 units (target < 1 s): dayafter's HiGHS LP (``balance=False``:
   least weighted shortfall with its prices) against networkx's min-cost flow on the same
   instance (integer data); objectives must agree. The default second stage that spreads the gaps
   (``balance=True``) is timed too, and so is the worst case for the grouping of
   interchangeable units (every unit with its own shortfall weight, so no two units group).

The last line prints the speed ratios (reference time / dayafter time).
"""

from __future__ import annotations

import argparse
import math
import statistics
import time

import networkx as nx
import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from dayafter.graph import UnitGraph
from dayafter.security import Force, ForceCatalog, allocate_forces
from dayafter.settle import ClaimsProblem, max_nash_welfare
from dayafter.territory import Territory


def mnw_integer_tangents(v: np.ndarray) -> float:
    """Reference MNW: one tangent per integer utility level (exact for integer values)."""
    p, m = v.shape
    nx_ = p * m
    nvar = nx_ + p
    rows = np.repeat(np.arange(m), p)
    cols = (np.arange(p)[None, :] * m + np.arange(m)[:, None]).ravel()
    a_assign = sparse.csr_matrix((np.ones(nx_), (rows, cols)), shape=(m, nvar))
    r, c, d, ub = [], [], [], []
    k = 0
    for i in range(p):
        for level in range(1, int(v[i].sum()) + 1):
            # W_i <= log(level) + (log(level + 1) - log(level)) * (u_i - level)
            slope = math.log(level + 1) - math.log(level)
            r += [k] * (m + 1)
            c += [*range(i * m, (i + 1) * m), nx_ + i]
            d += [*(-slope * v[i]).tolist(), 1.0]
            ub.append(math.log(level) - slope * level)
            k += 1
    a_cut = sparse.csr_matrix((d, (r, c)), shape=(k, nvar))
    a_pos = sparse.csr_matrix(
        (v.ravel(), (np.repeat(np.arange(p), m), np.arange(nx_))), shape=(p, nvar))
    res = milp(np.concatenate([np.zeros(nx_), -np.ones(p)]),
               constraints=[LinearConstraint(a_assign, 1, 1), LinearConstraint(a_pos, 1, np.inf),
                            LinearConstraint(a_cut, -np.inf, np.array(ub))],
               integrality=np.concatenate([np.ones(nx_), np.zeros(p)]),
               bounds=Bounds(np.concatenate([np.zeros(nx_), np.full(p, -1.0)]),
                             np.concatenate([np.ones(nx_), np.log(v.sum(axis=1)) + 1])),
               options={"mip_rel_gap": 1e-9})
    x = np.round(res.x[:nx_]).reshape(p, m)
    return float(np.log((v * x).sum(axis=1)).sum())


def bench_mnw(seeds: int, p: int, m: int) -> tuple[list[float], list[float]]:
    ours, ref = [], []
    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        v = rng.integers(1, 100, size=(p, m)).astype(float)
        pr = ClaimsProblem(tuple(f"P{i}" for i in range(p)), tuple(f"u{j}" for j in range(m)), v)
        t0 = time.perf_counter()
        s = max_nash_welfare(pr)
        ours.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        best = mnw_integer_tangents(v)
        ref.append(time.perf_counter() - t0)
        assert abs(s.log_nash_welfare - best) <= 1e-6, (seed, s.log_nash_welfare, best)
        print(f"  MNW seed {seed}: dayafter {ours[-1]:.3f} s ({s.meta['iterations']} rounds), "
              f"integer tangents {ref[-1]:.3f} s, log NW {best:.6f} (equal)")
    return ours, ref


def lp_instance(seed: int, nf: int, n: int) -> tuple[Territory, ForceCatalog]:
    rng = np.random.default_rng(seed)
    comms = [f"c{k}" for k in range(6)]
    table = np.floor(rng.gamma(0.6, 1.0, size=(n, 6)) * rng.integers(500, 50_000, size=(n, 1)))
    ids = [f"U{i:05d}" for i in range(n)]
    g = UnitGraph.from_edges(n, np.arange(n - 1), np.arange(1, n), np.ones(n - 1))
    t = Territory.from_arrays(ids, comms, {"now": table}, g)
    total = 20 / 1000 * table.sum()
    forces = tuple(
        Force(f"f{k}", f"F{k}", float(int(total / nf * rng.uniform(0.3, 1.2))),
              accepted_by=tuple(c for c in comms if rng.random() < 0.5) or ("c0",))
        for k in range(nf))
    return t, ForceCatalog(forces, min_accept_share=0.4)


def flow_reference(a) -> float:
    """Min weighted shortfall by networkx min-cost flow on integer requirements."""
    g = nx.DiGraph()
    nf, n = a.allocation.shape
    for f in range(nf):
        g.add_edge("s", ("f", f), capacity=int(a.strength[f]), weight=0)
    allowed = a.allowed
    for f, u in zip(*np.nonzero(allowed), strict=True):
        g.add_edge(("f", int(f)), ("u", int(u)), capacity=int(a.requirement[u]), weight=0)
    for u in range(n):
        g.add_edge(("u", u), "t", capacity=int(a.requirement[u]), weight=-1)
    flow = nx.max_flow_min_cost(g, "s", "t")
    return float(a.requirement.sum() + nx.cost_of_flow(g, flow))


def bench_lp(seeds: int, nf: int, n: int) -> tuple[list[float], list[float], list[float]]:
    ours, ref, bal = [], [], []
    ungrouped: list[float] = []
    for seed in range(seeds):
        t, cat = lp_instance(seed, nf, n)
        req = np.floor(t.population() / 1000 * 20)
        t0 = time.perf_counter()
        a = allocate_forces(t, cat, requirement=req, balance=False)
        ours.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        b = allocate_forces(t, cat, requirement=req)
        bal.append(time.perf_counter() - t0)
        assert abs(b.total_shortfall - a.total_shortfall) <= 1e-6 * max(1.0, a.total_shortfall)
        t0 = time.perf_counter()
        best = flow_reference(a)
        ref.append(time.perf_counter() - t0)
        assert abs(a.objective - best) <= 1e-6 * max(1.0, best), (seed, a.objective, best)
        # worst case for the grouping of interchangeable units: every unit its own weight
        wts = 1.0 + np.arange(n) * 1e-9
        t0 = time.perf_counter()
        allocate_forces(t, cat, requirement=req, weights=wts, balance=False)
        ungrouped.append(time.perf_counter() - t0)
        worst = float((b.shortfall / np.maximum(req, 1)).max())
        print(f"  LP seed {seed}: dayafter {ours[-1]:.3f} s (with balancing {bal[-1]:.3f} s, "
              f"largest uncovered share {worst:.0%}; no unit grouping {ungrouped[-1]:.3f} s), "
              f"networkx flow {ref[-1]:.3f} s, shortfall {best:,.0f} of {req.sum():,.0f} (equal)")
    return ours, ref, bal


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--parties", type=int, default=3)
    ap.add_argument("--units", type=int, default=40)
    ap.add_argument("--forces", type=int, default=20)
    ap.add_argument("--lp-units", type=int, default=1000)
    args = ap.parse_args()
    # warm up imports and HiGHS once
    max_nash_welfare(ClaimsProblem(("a", "b"), ("x", "y"), [[1.0, 2.0], [2.0, 1.0]]))
    print(f"MNW, {args.parties} parties x {args.units} units (target < 2 s):")
    mo, mr = bench_mnw(args.seeds, args.parties, args.units)
    print(f"SECURITY LP, {args.forces} forces x {args.lp_units} units (target < 1 s):")
    lo, lr, lb = bench_lp(args.seeds, args.forces, args.lp_units)
    print(f"MNW: median {statistics.median(mo):.3f} s, max {max(mo):.3f} s; "
          f"LP: median {statistics.median(lo):.3f} s, max {max(lo):.3f} s; "
          f"LP + balancing: median {statistics.median(lb):.3f} s, max {max(lb):.3f} s")
    print(f"ratio reference/dayafter: MNW {statistics.median(mr) / statistics.median(mo):.2f}x, "
          f"LP {statistics.median(lr) / statistics.median(lo):.2f}x")


if __name__ == "__main__":
    main()
