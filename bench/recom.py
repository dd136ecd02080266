"""ReCom benchmark: dayafter against GerryChain 1.0 on the same graphs, proposal and tolerance.

    .venv/bin/python bench/recom.py                      # all graphs, default step counts
    .venv/bin/python bench/recom.py --graph pa --steps 20000 --gc-steps 300

Graphs (../shared/data/bench/ relative to the repository root): Pennsylvania VTDs with 18
districts at 2%, grids 40x40 (k=8) and 100x100 (k=10) at 5%, each from the seed plan in the file.
Proposal: ReCom with uniform cut-edge pair selection and uniform spanning trees (GerryChain's
``ReCom.cut_edges_ust``), population within epsilon of the ideal. Single core. Prints steps/s,
moves/s (steps that changed the plan), self-loop rate, peak memory and the ratio of moves/s;
then two chains on two processes against one.

On each graph it also runs the chain that records every community metric per step, in the
kernel, on two censuses (empowerment by plurality and by majority, stranded share of each
community, each region's largest share): the bench graphs carry population only, so each unit's
people are split among nine synthetic communities (a seeded Dirichlet draw per unit, with a
regional trend so that communities cluster) for a census ``baseline``, and a second census
``current`` moves a seeded share of each unit's people between communities. Targets (issue 19):
the metrics chain at >= 80% of the bare chain's moves/s, the bare chain >= 2,500 moves/s on PA
and >= 100x GerryChain 1.0, all measured in the same run. The chains alternate in short rounds
so that a change in the machine's load hits both alike.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "bench"
GRAPHS = {
    "pa": ("PA_VTD2010_k18.json", 0.02),
    "grid40": ("grid40x40_k8.json", 0.05),
    "grid100": ("grid100x100_k10.json", 0.05),
}


def load(name: str):
    """Territory, starting assignment and the raw networkx adjacency data of a bench graph."""
    from dayafter.graph import UnitGraph
    from dayafter.territory import Territory

    fname, eps = GRAPHS[name]
    data = json.loads((DATA / fname).read_text())
    nodes = data["nodes"]
    ids = [n["id"] for n in nodes]
    pos = {v: i for i, v in enumerate(ids)}
    u, v = [], []
    for i, nbrs in enumerate(data["adjacency"]):
        for e in nbrs:
            j = pos[e["id"]]
            if i < j:
                u.append(i)
                v.append(j)
    n = len(nodes)
    g = UnitGraph.from_edges(n, np.array(u), np.array(v), np.ones(len(u)))
    pop = np.array([float(x["TOTPOP"]) for x in nodes])
    labels = sorted({x["DISTRICT"] for x in nodes})
    a = np.array([labels.index(x["DISTRICT"]) for x in nodes], dtype=np.int32)
    t = Territory.from_arrays([f"{i:06d}" for i in range(n)], ["all"], {"pop": pop[:, None]}, g,
                              name=name)
    return t, a, len(labels), eps, data


N_COMMUNITIES = 9


def with_communities(t, seed: int = 2027):
    """The territory with two synthetic censuses of nine communities (see the module docstring).

    Each census's rows sum to the unit's population (up to rounding), so the balanced population
    is the same.
    """
    from dayafter.territory import Territory

    rng = np.random.default_rng(seed)
    n = t.n_units
    pop = t.population()
    # a smooth trend along the unit order (units of one district are close in the file)
    pos = np.linspace(0.0, 1.0, n)
    centre = rng.uniform(0, 1, N_COMMUNITIES)
    trend = np.exp(-((pos[:, None] - centre[None, :]) ** 2) / 0.02) + 0.05
    shares = np.stack([rng.dirichlet(0.6 + 4.0 * row) for row in trend])
    base = shares * pop[:, None]
    moved = rng.uniform(0, 0.3, n)[:, None] * base
    cur = base - moved + moved.sum(axis=1, keepdims=True) * rng.dirichlet(
        np.ones(N_COMMUNITIES), size=n)
    comms = [f"c{j}" for j in range(N_COMMUNITIES)]
    return Territory.from_arrays(t.unit_ids.tolist(), comms, {"baseline": base, "current": cur},
                                 t.graph, name=t.name)


def bench_dayafter(name: str, steps: int, seed: int = 0, *, metrics: bool = False,
                   rounds: int = 1) -> dict:
    """Steps/s and moves/s of one dayafter chain (after a short warm-up that compiles).

    With ``metrics`` the chain computes every community metric of both synthetic censuses at
    every step (:func:`with_communities`). With ``rounds > 1`` it returns a function that runs
    the next ``steps / rounds`` steps and accumulates the timings (see :func:`paired`).
    """
    from dayafter.ensemble.constraints import ChainConstraints
    from dayafter.ensemble.recom import ChainState, Proposal, run_steps

    t, a, k, eps, _ = load(name)
    censuses: tuple[str, ...] = ()
    if metrics:
        t = with_communities(t)
        censuses = ("baseline", "current")
    prop = Proposal(pair_rule="cut_edge", tree="uniform")
    cons = ChainConstraints(tolerance=eps, census="baseline" if metrics else None)
    chain = ChainState(t, a, k, proposal=prop, constraints=cons, censuses=censuses)
    rng = np.random.default_rng(seed)
    run_steps(chain, 20, rng)  # compiles (or loads the cache) outside the timing
    acc = {"steps": 0, "moved": 0, "trees": 0, "wall": 0.0, "cpu": 0.0}

    def go(n_steps: int) -> None:
        t0 = time.perf_counter()
        c0 = time.process_time()
        left = n_steps
        while left:
            b = min(left, 5000)
            rec = run_steps(chain, b, rng)
            acc["moved"] += int(np.sum(rec.status == 0))
            acc["trees"] += int(rec.trees.sum())
            left -= b
        acc["wall"] += time.perf_counter() - t0
        acc["cpu"] += time.process_time() - c0
        acc["steps"] += n_steps

    def result() -> dict:
        dt, cpu, n_steps, moved = acc["wall"], acc["cpu"], acc["steps"], acc["moved"]
        # memory in a separate short run: tracemalloc also sees numba's allocations
        tracemalloc.start()
        chain2 = ChainState(t, a, k, proposal=prop, constraints=cons, censuses=censuses)
        run_steps(chain2, 200, np.random.default_rng(seed + 1))
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return {"steps": n_steps, "seconds": dt, "steps_s": n_steps / dt,
                "moves_s": moved / dt, "cpu_moves_s": moved / cpu,
                "self_loops": 1 - moved / n_steps, "trees_per_step": acc["trees"] / n_steps,
                "chain_peak_mib": peak / 2**20,
                "process_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}

    if rounds > 1:
        return {"go": go, "result": result}
    go(steps)
    return result()


def paired(name: str, steps: int, rounds: int = 10) -> tuple[dict, dict]:
    """The bare chain and the metrics chain, alternating in ``rounds`` rounds (same load)."""
    bare = bench_dayafter(name, steps, metrics=False, rounds=rounds)
    full = bench_dayafter(name, steps, metrics=True, rounds=rounds)
    per = max(steps // rounds, 1)
    for _ in range(rounds):
        bare["go"](per)
        full["go"](per)
    return bare["result"](), full["result"]()


def bench_gerrychain(name: str, steps: int, seed: int = 0) -> dict:
    """Steps/s and moves/s of GerryChain 1.0's ``ReCom.cut_edges_ust`` on the same graph."""
    import networkx as nx
    from gerrychain import Graph, MarkovChain, Partition
    from gerrychain.accept import always_accept
    from gerrychain.constraints import within_percent_of_ideal_population
    from gerrychain.proposals import ReCom
    from gerrychain.updaters import Tally, cut_edges

    _, _, _, eps, data = load(name)
    graph = Graph.from_networkx(nx.adjacency_graph(data))
    part = Partition(graph, "DISTRICT", updaters={"population": Tally("TOTPOP", alias="population"),
                                                  "cut_edges": cut_edges})
    ideal = sum(part["population"].values()) / len(part)
    proposal = ReCom.cut_edges_ust(pop_col="TOTPOP", pop_target=ideal, epsilon=eps)
    chain = MarkovChain(proposal, [within_percent_of_ideal_population(part, eps)], always_accept,
                        part, total_steps=steps + 1, rng=random.Random(seed))
    t0 = time.perf_counter()
    c0 = time.process_time()
    moved = 0
    prev = None
    for p in chain:
        if prev is not None and any(p.assignment[u] != prev.assignment[u] for u in p.flips or ()):
            moved += 1
        prev = p
    dt = time.perf_counter() - t0
    cpu = time.process_time() - c0
    return {"steps": steps, "seconds": dt, "steps_s": steps / dt, "moves_s": moved / dt,
            "cpu_moves_s": moved / cpu, "self_loops": 1 - moved / steps}


def _one(args: tuple[str, int, int]) -> dict:
    return bench_dayafter(*args)


def parallel(name: str, steps: int) -> dict:
    """Two chains in two processes against one chain alone (wall-clock throughput)."""
    ctx = mp.get_context("spawn")
    with ctx.Pool(1) as pool:
        pool.map(_one, [(name, 200, 9)])  # start-up and cached compilation out of the timing
        t0 = time.perf_counter()
        pool.map(_one, [(name, steps, 1)])
        one = time.perf_counter() - t0
    with ctx.Pool(2) as pool:
        pool.map(_one, [(name, 200, 9), (name, 200, 8)])
        t0 = time.perf_counter()
        pool.map(_one, [(name, steps, 1), (name, steps, 2)])
        two = time.perf_counter() - t0
    return {"one_chain_s": one, "two_chains_s": two, "speedup": 2 * one / two}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--graph", choices=[*GRAPHS, "all"], default="all")
    ap.add_argument("--steps", type=int, default=20_000, help="dayafter steps per graph")
    ap.add_argument("--gc-steps", type=int, default=200, help="GerryChain steps per graph")
    ap.add_argument("--no-parallel", action="store_true", help="skip the two-process check")
    args = ap.parse_args(argv)
    names = list(GRAPHS) if args.graph == "all" else [args.graph]
    rows = []
    for name in names:
        ours, full = paired(name, args.steps)
        theirs = bench_gerrychain(name, args.gc_steps)
        rows.append((name, ours, theirs, full))
        print(f"{name:8s} dayafter   {ours['steps_s']:9.1f} steps/s {ours['moves_s']:9.1f} moves/s "
              f"self-loops {ours['self_loops']:.3f} trees/step {ours['trees_per_step']:.2f} chain peak {ours['chain_peak_mib']:.1f} MiB "
              f"(process RSS {ours['process_rss_mib']:.0f} MiB)", flush=True)
        print(f"{name:8s} +metrics   {full['steps_s']:9.1f} steps/s {full['moves_s']:9.1f} moves/s "
              f"self-loops {full['self_loops']:.3f} (community metrics of 9 communities on 2 "
              f"censuses every step; chain peak {full['chain_peak_mib']:.1f} MiB)", flush=True)
        print(f"{name:8s} gerrychain {theirs['steps_s']:9.1f} steps/s {theirs['moves_s']:9.1f} "
              f"moves/s self-loops {theirs['self_loops']:.3f}", flush=True)
        print(f"{name:8s} per CPU-second (the machine may be shared): dayafter "
              f"{ours['cpu_moves_s']:.1f} moves/s, gerrychain {theirs['cpu_moves_s']:.1f} moves/s",
              flush=True)
    if not args.no_parallel:
        par = parallel(names[0], args.steps)
        print(f"{names[0]:8s} two chains on two processes: {par['speedup']:.2f}x one chain "
              f"({par['one_chain_s']:.1f} s vs {par['two_chains_s']:.1f} s for twice the work)")
    print()
    print(f"load average at the end: {os.getloadavg()[0]:.2f} (1 min) on {os.cpu_count()} CPUs")
    print("graph     dayafter moves/s  gerrychain moves/s  ratio   (CPU-time ratio)   "
          "metrics/bare (CPU-time)")
    ok = True
    for name, ours, theirs, full in rows:
        ratio = ours["moves_s"] / theirs["moves_s"] if theirs["moves_s"] else float("inf")
        cratio = ours["cpu_moves_s"] / theirs["cpu_moves_s"] if theirs["cpu_moves_s"] else \
            float("inf")
        mratio = full["moves_s"] / ours["moves_s"]
        mcratio = full["cpu_moves_s"] / ours["cpu_moves_s"]
        print(f"{name:8s}  {ours['moves_s']:16.1f}  {theirs['moves_s']:18.1f}  {ratio:6.1f}x  "
              f"({cratio:.1f}x)  {mratio:10.2f} ({mcratio:.2f})")
        ok = ok and ratio >= 100 and mratio >= 0.8
        if name == "pa":
            ok = ok and ours["cpu_moves_s"] >= 2500
    print("targets (>= 100x GerryChain, metrics >= 0.80 of bare, PA bare >= 2,500 moves/s per "
          f"CPU-second): {'PASS' if ok else 'FAIL'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
