"""Starting plans: recursive spanning-tree partition into ``k`` balanced contiguous regions."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from dayafter._kernels import recom as _k
from dayafter.ensemble.constraints import ChainConstraints
from dayafter.errors import ConfigError, InfeasibleError, InputDataError, first_ids
from dayafter.plan import Plan, Region
from dayafter.territory import Territory

__all__ = ["seed_plan"]


def seed_plan(territory: Territory, k: int, *, rng: np.random.Generator,
              constraints: ChainConstraints | Mapping[str, Any] | None = None,
              max_attempts: int = 10_000, region_names: Sequence[str] | None = None,
              name: str = "seed") -> Plan:
    """A random contiguous plan into ``k`` regions within the population bounds.

    Regions are cut off one at a time: draw a uniform spanning tree of the units not yet
    assigned, and cut a tree edge chosen uniformly among those that leave a piece within the
    region's bounds and a remainder that the other regions can still share. A failure to cut
    draws a new tree; after a few failures for the same region the whole plan starts over.

    Parameters
    ----------
    territory
        The territory (its graph must be connected).
    k
        Number of regions.
    rng
        The random generator.
    constraints
        Population bounds (tolerance, or absolute min/max); other constraints are not used here.
    max_attempts
        Spanning trees drawn in all before giving up.
    region_names
        Names of the regions (default ``R1..Rk``).
    name
        Name of the plan.

    Returns
    -------
    Plan
        A complete plan whose regions are contiguous and within the bounds.

    Raises
    ------
    InfeasibleError
        The bounds cannot be met (total population outside what ``k`` regions can hold, a unit
        larger than a region may be) or no plan was found within ``max_attempts`` trees.
    InputDataError
        The adjacency graph is not connected.

    Notes
    -----
    Each attempt costs O(n) (Wilson's algorithm on a grid-like graph is close to linear).
    """
    if not 1 <= k <= territory.n_units:
        raise ConfigError(f"the number of regions must lie in 1..{territory.n_units} (the territory has "
                          f"{territory.n_units} units), got {k}", hint="ask for fewer regions (--regions)")
    if not 1 <= max_attempts <= 10**7:
        raise ConfigError(f"max_attempts must lie in 1..10,000,000, got {max_attempts}",
                          hint="the default is enough; a larger number only takes longer to fail")
    cons = constraints if isinstance(constraints, ChainConstraints) else \
        ChainConstraints.from_dict(constraints)
    lo, hi = cons.bounds(territory, k)
    pop = np.ascontiguousarray(territory.population(cons.census), dtype=np.float64)
    n = territory.n_units
    names = list(region_names) if region_names is not None else [f"R{j + 1}" for j in range(k)]
    if len(names) != k:
        raise ConfigError(f"{len(names)} region names given for {k} regions")
    comps = territory.graph.components()
    if comps.max() > 0:
        small = np.flatnonzero(comps != np.bincount(comps).argmax())
        raise InputDataError(
            f"the adjacency graph has {int(comps.max()) + 1} components; units "
            f"{first_ids(territory.unit_ids[small].tolist())} are cut off",
            unit_ids=territory.unit_ids[small].tolist(),
            hint="link islands to a neighbour when building the territory")
    total = float(pop.sum())
    if total < lo.sum() - 1e-9 or total > hi.sum() + 1e-9:
        raise InfeasibleError(
            f"total population {total:g} cannot be shared by {k} regions with bounds "
            f"{lo.min():g}..{hi.max():g}", hint="widen the tolerance or change k")
    if pop.max() > hi.max() + 1e-9:
        big = np.flatnonzero(pop > hi.max())
        raise InfeasibleError(
            f"units {first_ids(territory.unit_ids[big].tolist())} hold more people than a "
            f"region may ({hi.max():g})", unit_ids=territory.unit_ids[big].tolist(),
            hint="widen the tolerance or use fewer regions")
    if k == 1:
        return Plan(np.zeros(n, np.int32), (Region(names[0]),), territory.content_hash, name=name)
    indptr = np.ascontiguousarray(territory.graph.indptr, dtype=np.int64)
    indices = np.ascontiguousarray(territory.graph.indices, dtype=np.int64)
    local = np.full(n, -1, np.int64)
    nodes = np.empty(n, np.int64)
    lptr = np.empty(n + 1, np.int64)
    lind = np.empty(indices.size, np.int64)
    parent = np.empty(n, np.int64)
    in_tree = np.empty(n, np.bool_)
    nxt = np.empty(n, np.int64)
    cptr = np.empty(n + 1, np.int64)
    cind = np.empty(n, np.int64)
    order = np.empty(n, np.int64)
    zeros = np.zeros(n, np.int64)
    sub = np.empty(n, np.float64)
    sla = np.empty(n, np.int64)
    slb = np.empty(n, np.int64)
    cand = np.empty(2 * n, np.int64)
    inside = np.empty(n, np.bool_)
    tmod = _k.below_table(int(np.diff(indptr).max()) if n else 1)
    per_region = 20
    attempts = 0
    while attempts < max_attempts:
        assign = np.full(n, -1, np.int64)
        ok = True
        for r in range(k - 1):
            rest_lo, rest_hi = float(lo[r + 1:].sum()), float(hi[r + 1:].sum())
            cut = False
            for _ in range(per_region):
                if attempts >= max_attempts:
                    break
                attempts += 1
                m = _k.gather(assign, -1, -1, local, nodes)
                _k.induced_csr(indptr, indices, nodes, m, local, lptr, lind)
                _k.wilson_tree_rooted(lptr, lind, m, rng, parent, in_tree, nxt,
                                      _k.max_degree_node(lptr, m), tmod)
                _k.tree_order(parent, m, cptr, cind, order)
                count = _k.balanced_cuts(parent, order, m, pop[nodes[:m]], zeros, zeros,
                                         lo[r], hi[r], rest_lo, rest_hi, sub, sla, slb, cand)
                if count:
                    c = int(cand[rng.integers(0, count)])
                    _k.mark_subtree(order, parent, m, c // 2, inside)
                    piece = inside[:m] if c % 2 == 0 else ~inside[:m]
                    assign[nodes[:m][piece]] = r
                    cut = True
                local[nodes[:m]] = -1
                if cut:
                    break
            if not cut:
                ok = False
                break
        if ok:
            assign[assign < 0] = k - 1
            return Plan(assign.astype(np.int32), tuple(Region(x) for x in names),
                        territory.content_hash, name=name,
                        meta={"seed_attempts": attempts})
    raise InfeasibleError(
        f"no plan into {k} regions within population bounds {lo.min():g}..{hi.max():g} was "
        f"found after {max_attempts} spanning trees",
        hint="widen the tolerance, use fewer regions, or raise max_attempts")
