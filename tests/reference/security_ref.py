"""Slow, independent oracle for the force allocation: rules read unit by unit, optimum by flow.

Written from the definitions in ``dayafter.security.forces`` (not from ``allocate.py``): for each
force and unit, walk the rules, the acceptance and veto thresholds and the kind's cap with plain
Python; then solve the allocation as a min-cost flow (networkx) on integer data, where the LP's
optimum is integral.
"""

from __future__ import annotations

import itertools
import math

import networkx as nx
import numpy as np


def _matches(unit, patterns):
    return any(unit.startswith(p[:-1]) if p.endswith("*") else unit == p for p in patterns)


def allowed_and_caps(table, ids, communities, catalog, control, requirement):
    """``allowed[f][u]`` (bool) and ``cap[f][u]`` (float, inf: none) by the catalog's definitions."""
    n = len(ids)
    nf = len(catalog.forces)
    allowed = [[True] * n for _ in range(nf)]
    cap = [[math.inf] * n for _ in range(nf)]
    for fi, f in enumerate(catalog.forces):
        acc = set(communities) if "*" in f.accepted_by else set(f.accepted_by)
        for r in catalog.rules:
            if f.key in r.forces and r.kind == "not_accepted_by":
                acc -= set(r.communities)
            if f.key in r.forces and r.kind == "accepted_only_by":
                acc &= set(r.communities)
        for u in range(n):
            row = {c: float(table[u][j]) for j, c in enumerate(communities)}
            pop = sum(row.values())
            share = {c: (v / pop if pop > 0 else 0.0) for c, v in row.items()}
            ok = True
            for r in catalog.rules:
                if f.key not in r.forces:
                    continue
                if r.kind == "exclude_units" and _matches(ids[u], r.units):
                    ok = False
                if r.kind == "only_units" and not _matches(ids[u], r.units):
                    ok = False
                if r.kind == "only_control" and control[u] not in r.control:
                    ok = False
                if r.kind == "exclude_control" and control[u] in r.control:
                    ok = False
                if r.kind == "not_where_plurality" and pop > 0:
                    top = max(communities, key=lambda c: (row[c], -communities.index(c)))
                    if top in r.communities:
                        ok = False
            if f.kind == "pooled":
                thr = catalog.min_accept_share if f.min_share is None else f.min_share
                if sum(share[c] for c in acc) < thr - 1e-12:
                    ok = False
                if catalog.veto_share is not None and any(
                        share[c] > catalog.veto_share + 1e-12 for c in communities if c not in acc):
                    ok = False
            elif f.kind == "community":
                s = sum(share[c] for c in f.communities)
                if s <= 0:
                    ok = False
                cap[fi][u] = s * requirement[u]
            else:
                rec = sum(row[c] for c in (f.communities or communities)) * f.per_1000 / 1000.0
                if rec <= 0:
                    ok = False
                cap[fi][u] = rec
            if f.max_share is not None:
                cap[fi][u] = min(cap[fi][u], f.max_share * requirement[u])
            allowed[fi][u] = ok
    return allowed, cap


def strengths(catalog, table, communities):
    """Strength of each force; a local force without one recruits everywhere it can."""
    out = []
    for f in catalog.forces:
        if f.kind == "local":
            cols = [communities.index(c) for c in (f.communities or communities)]
            rec = float(np.asarray(table)[:, cols].sum()) * f.per_1000 / 1000.0
            out.append(rec if f.strength is None else min(rec, f.strength))
        else:
            out.append(float(f.strength))
    return out


def flow_optimum(req, strength, allowed, cap, weights, scale=1):
    """Least weighted shortfall as a min-cost flow.

    Capacities are multiplied by ``scale`` and must then be whole numbers (rational data with a
    common denominator dividing ``scale``); the optimum is divided back.
    """
    req = [x * scale for x in req]
    strength = [x * scale for x in strength]
    cap = [[x * scale for x in row] for row in cap]
    for x in [*req, *strength, *(c for row in cap for c in row if not math.isinf(c))]:
        if abs(x - round(x)) > 1e-6:
            raise ValueError(f"capacity {x} is not whole at scale {scale}")
    g = nx.DiGraph()
    nf, n = len(strength), len(req)
    g.add_node("s")
    g.add_node("t")
    for f in range(nf):
        g.add_edge("s", ("f", f), capacity=round(strength[f]), weight=0)
        for u in range(n):
            if allowed[f][u] and req[u] > 0:
                c = req[u] if math.isinf(cap[f][u]) else min(req[u], cap[f][u])
                g.add_edge(("f", f), ("u", u), capacity=round(c), weight=0)
    for u in range(n):
        g.add_edge(("u", u), "t", capacity=round(req[u]), weight=-int(weights[u]))
    flow = nx.max_flow_min_cost(g, "s", "t")
    return float(np.dot(weights, req) + nx.cost_of_flow(g, flow)) / scale


def brute_optimum(req, strength, allowed, cap, weights, limit=20000):
    """Enumerate integer allocations (tiny sizes only); ``None`` when there are too many."""
    nf, n = len(strength), len(req)
    pairs = [(f, u) for f in range(nf) for u in range(n) if allowed[f][u] and req[u] > 0]
    ranges = [range(int(min(req[u], strength[f], cap[f][u])) + 1) for f, u in pairs]
    if math.prod(len(r) for r in ranges) > limit:
        return None
    best = float(np.dot(weights, req))
    for xs in itertools.product(*ranges):
        used = np.zeros(nf)
        cov = np.zeros(n)
        for (f, u), x in zip(pairs, xs, strict=True):
            used[f] += x
            cov[u] += x
        if np.all(used <= np.asarray(strength) + 1e-9) and np.all(cov <= np.asarray(req) + 1e-9):
            best = min(best, float(np.dot(weights, np.asarray(req) - cov)))
    return best
