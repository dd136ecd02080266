"""Benchmark of the optimizers on the built-in case: heuristics against the MIP's bound.

Usage::

    python bench/optimize.py [--regions 7] [--tolerance 0.5] [--heuristic-time 60]
                             [--mip-time 600] [--small-only] [--seed 0]
    python bench/optimize.py --negotiation-only [--negotiation-time 120]

Three parts, run in the same process:

0. the negotiation over Nineveh (``src/dayafter/optimize/specs/nineveh-negotiation.yaml``: a start
   plan, Nineveh's units movable, at most six of them, the worst of both censuses), as
   ``dayafter optimize run`` runs it: short bursts for a quarter of ``--negotiation-time``, then
   the MIP warm-started from the best plan (here the composition model of
   ``dayafter.optimize.budget``: one connected composition per region within the budget).
   Target (issue 19): a certified gap <= 5% within 120 s; prints when the gap first reached 5%
   and when the optimum was proved (wall and CPU seconds).
   For comparison, the issue's failing run: Nineveh alone with five fresh regions (no start plan)
   for the same time.

1. small instances (governorates of the case, on which the MIP proves optimality): the objective
   each heuristic reaches and the time it took, against the proven optimum;
2. the whole case: short bursts and annealing for ``--heuristic-time`` seconds each, then the MIP
   warm-started from the best heuristic plan for ``--mip-time`` seconds; prints the MIP's status,
   best bound and gap, and last the heuristic's gap to the bound (target: within 1% in 60 s).

The objective is the empowerment (plurality) of the minorities of the Nineveh Plains and Sinjar
(Yazidis, Christians, Turkmen, Shabak, Kakai) minus the stranded share of Sunni Arabs, on census
``current``.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from pathlib import Path

import yaml

from dayafter import cases
from dayafter.optimize import (
    AnnealingOptimizer,
    MIPOptimizer,
    Problem,
    ShortBurstOptimizer,
    optimize,
    subset_territory,
)
from dayafter.optimize.problem import split_start

SPEC = Path(__file__).resolve().parents[1] / "src" / "dayafter" / "optimize" / "specs" / \
    "nineveh-negotiation.yaml"

MINORITIES = ["yazidi", "christian", "turkmen", "shabak", "kakai"]


def spec(territory, k: int, tolerance: float) -> dict:
    tot = territory.census("current").sum(axis=0)
    present = [c for c in MINORITIES if tot[territory.community_index(c)] > 0]
    return {"census": "current", "regions": k, "name": f"bench-k{k}",
            "maximize": [{"metric": "empowerment_plurality", "communities": present}],
            "minimize": [{"metric": "stranded", "communities": ["sunni_arab"]}],
            "constraints": {"tolerance": tolerance}}


def small(territory, seed: int) -> None:
    print("== small instances: heuristics against the proven optimum ==")
    rows = [("IQG13", 2, 0.5), ("IQG09", 3, 0.8), ("IQG15", 3, 0.7), ("IQG13,IQG16", 3, 0.6)]
    for codes, k, tol in rows:
        t = subset_territory(territory, level="governorate", codes=codes.split(","))
        p = Problem.from_dict(spec(t, k, tol))
        t0 = time.perf_counter()
        exact = MIPOptimizer(time_limit=300, mip_rel_gap=0.0).run(p, t)
        t_mip = time.perf_counter() - t0
        line = (f"{codes:12s} n={t.n_units:3d} k={k}  MIP {exact.status} {exact.objective:.6f} "
                f"(bound {exact.bound:.6f}) in {t_mip:6.1f}s")
        for cls in (ShortBurstOptimizer, AnnealingOptimizer):
            t0 = time.perf_counter()
            res = cls(steps=20_000, restarts=4, seed=seed).run(p, t)
            dt = time.perf_counter() - t0
            hit = "=" if abs(res.objective - exact.objective) <= 1e-9 else "<"
            line += f" | {cls.method} {res.objective:.6f} {hit} in {dt:5.1f}s"
        print(line, flush=True)


def whole(territory, k: int, tol: float, h_time: float, m_time: float, seed: int,
          lp_solver: str) -> None:
    print(f"== whole case: {territory.n_units} units, {k} regions, tolerance {tol} ==")
    p = Problem.from_dict(spec(territory, k, tol))
    best = None
    for cls in (ShortBurstOptimizer, AnnealingOptimizer):
        t0 = time.perf_counter()
        res = cls(steps=2_000_000, restarts=4, time_limit=h_time, seed=seed).run(p, territory)
        dt = time.perf_counter() - t0
        first = next((h for h in res.history if h[2] >= res.objective - 1e-12), None)
        print(f"{cls.method:7s} objective {res.objective:.6f} feasible {res.feasible} "
              f"({res.stats['steps']:,} steps in {dt:.1f}s; best first reached at "
              f"{first[0] if first else float('nan'):.1f}s)", flush=True)
        if best is None or res.objective > best.objective:
            best = res
    t0 = time.perf_counter()
    exact = MIPOptimizer(time_limit=m_time, warm_start=best.plan, lp_solver=lp_solver).run(
        p, territory)
    dt = time.perf_counter() - t0
    print(f"MIP     status {exact.status}, objective {exact.objective:.6f}, bound "
          f"{exact.bound if exact.bound is not None else float('nan'):.6f}, gap "
          f"{exact.gap if exact.gap is not None else float('nan'):.2%}, {exact.stats['nodes']} "
          f"nodes, {exact.stats['variables']} variables, {exact.stats['rows']} rows, "
          f"{dt:.1f}s", flush=True)
    dec = exact.stats.get("decomposition")
    if dec:
        print(f"        decomposition bound ({dec['elapsed']:.1f}s): "
              f"{dec['bound']:.6f}; HiGHS's own bound "
              f"{exact.stats['highs_bound'] if exact.stats['highs_bound'] is not None else float('nan'):.6f}")
        for d in dec["terms"]:
            print(f"          {d['community']:10s} <= {d['bound']:.6f} ({d['status']}, at most "
                  f"{d['regions']} regions, {d['nodes']} nodes, {d['elapsed']:.1f}s)")
        print(f"        their sum {dec['sum']:.6f}; branching on shared units "
              f"({', '.join(dec['joint']) or 'none'}): {dec['branches']} branches, "
              f"{dec['open']} open")
        for tie in dec["ties"]:
            print(f"        plans where {' and '.join(tie['communities'])} tie for largest: "
                  f"<= {tie['bound']:.6f}")
    if exact.bound is not None:
        gap = (exact.bound - best.objective) / max(abs(best.objective), 1e-9)
        print(f"heuristic ({best.method}, {h_time:g}s) gap to the MIP bound: {gap:.2%} "
              f"(target 1%); heuristic/bound ratio {best.objective / exact.bound:.4f}")


def negotiation(case, seconds: float, seed: int) -> bool:
    """The bench spec: returns True when the certified gap is at most 5% within ``seconds``."""
    t = case.territory
    d = yaml.safe_load(SPEC.read_text())
    st = d.pop("start")
    start = split_start(case.plans[st["from"]], t, st["split"])
    p = Problem.from_dict(d, start=start)
    print(f"== negotiation ({SPEC.name}): {t.n_units} units, {int(p.compile(t).movable.sum())} "
          f"movable, budget {p.budget_units} units, {p.k} regions, the worst of "
          f"{list(p.objective.census_list)} ==", flush=True)
    load0 = os.getloadavg()[0]
    t0 = time.perf_counter()
    c0 = time.process_time()
    first5: list[tuple[float, float]] = []  # (wall, CPU) seconds when the certified gap <= 5%

    def watch(ev) -> None:
        best, bound = ev.extra.get("best"), ev.extra.get("bound")
        if not first5 and best is not None and bound is not None and \
                bound - best <= 0.05 * max(abs(best), 1e-9):
            first5.append((time.perf_counter() - t0, time.process_time() - c0))

    res = optimize(p, t, method="auto", time_limit=seconds, seed=seed, progress=watch)
    dt = time.perf_counter() - t0
    cpu = time.process_time() - c0
    gap = res.gap if res.gap is not None else float("inf")
    if not first5 and gap <= 0.05:
        first5.append((dt, cpu))
    print(f"negotiation: {res.method} status {res.status}, objective {res.objective:.6f}, bound "
          f"{res.bound if res.bound is not None else float('nan'):.6f}, certified gap {gap:.2%} "
          f"in {dt:.1f}s ({cpu:.1f} CPU-s, load {load0:.1f} at the start); by census "
          f"{res.census_objectives}; changed {res.change['units']} "
          f"units ({res.change['people']:,.0f} people); bound by census alone "
          f"{res.stats.get('census_bounds')}; MIP {res.stats.get('variables')} variables on "
          f"{res.stats.get('units_in_model')} merged units", flush=True)
    heur = res.stats.get("heuristic_elapsed")
    print(f"  heuristic phase {heur if heur is not None else float('nan'):.1f}s; certified gap "
          f"<= 5% first at " + (f"{first5[0][0]:.1f}s ({first5[0][1]:.1f} CPU-s)" if first5
                                else "never") +
          (f"; proved optimal at {dt:.1f}s ({cpu:.1f} CPU-s)" if res.status == "optimal"
           else ""), flush=True)
    comp = res.stats.get("compositions")
    if comp:
        print(f"  composition model: {comp['enumerated']:,} subsets enumerated, "
              f"{comp['feasible']:,} connected compositions within the bounds, "
              f"{comp['kept']:,} kept by the reduced costs (LP bound "
              f"{comp['lp_bound'] if comp['lp_bound'] is not None else float('nan'):.6f}), "
              f"{res.stats.get('nodes')} nodes, {comp['elapsed']:.1f}s", flush=True)
    ok = gap <= 0.05 and dt <= seconds * 1.05 + 5
    # the failing run: Nineveh alone, five fresh regions, the same objective, one census
    sub = subset_territory(t, level="governorate", codes=["IQG15"])
    fresh = Problem.from_dict({"census": "current", "threshold": 0.1, "regions": 5,
                               "name": "nineveh-5", "maximize": d["maximize"],
                               "minimize": d["minimize"], "constraints": {"tolerance": None}})
    t0 = time.perf_counter()
    old = optimize(fresh, sub, method="auto", time_limit=seconds, seed=seed)
    dt = time.perf_counter() - t0
    print(f"for comparison, Nineveh alone in five fresh regions (the issue's run): objective "
          f"{old.objective:.6f}, bound {old.bound if old.bound is not None else float('nan'):.6f}, "
          f"gap {old.gap if old.gap is not None else float('nan'):.2%} in {dt:.1f}s", flush=True)
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print(f"negotiation target (certified gap <= 5% within {seconds:g} s): "
          f"{'PASS' if ok else 'FAIL'}")
    return ok


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--regions", type=int, default=7)
    ap.add_argument("--tolerance", type=float, default=0.5)
    ap.add_argument("--heuristic-time", type=float, default=60.0)
    ap.add_argument("--mip-time", type=float, default=600.0)
    ap.add_argument("--lp-solver", default="ipm", choices=["choose", "simplex", "ipm"])
    ap.add_argument("--small-only", action="store_true")
    ap.add_argument("--whole-only", action="store_true")
    ap.add_argument("--negotiation-only", action="store_true")
    ap.add_argument("--negotiation-time", type=float, default=120.0)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    print(f"machine: {platform.processor() or platform.machine()}, python "
          f"{platform.python_version()}")
    case = cases.load("northern-iraq")
    territory = case.territory
    if not (args.small_only or args.whole_only):
        negotiation(case, args.negotiation_time, args.seed)
    if args.negotiation_only:
        return
    if not args.whole_only:
        small(territory, args.seed)
    if not args.small_only:
        whole(territory, args.regions, args.tolerance, args.heuristic_time, args.mip_time,
              args.seed, args.lp_solver)


if __name__ == "__main__":
    main()
