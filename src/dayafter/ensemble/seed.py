"""Starting plans: recursive spanning-tree partition into ``k`` balanced contiguous regions, of the
whole territory (:func:`seed_plan`) or of a subset with the rest kept (:func:`seed_subset`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dayafter._kernels import tree as _t
from dayafter.ensemble.constraints import ChainConstraints
from dayafter.errors import ConfigError, InfeasibleError, InputDataError, first_ids
from dayafter.plan import Plan, Region
from dayafter.territory import Territory

__all__ = ["seed_plan", "seed_subset"]


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
    ws = _t.make_tree_work(n, indices.size, int(np.diff(indptr).max()) if n else 1)
    assign = np.full(n, -1, np.int64)
    trees = _t.seed_partition(indptr, indices, pop, np.full(n, -1, np.int64), lo, hi, 0, k,
                              assign, ws, rng, 20, max_attempts)
    if trees > 0:
        return Plan(assign.astype(np.int32), tuple(Region(x) for x in names),
                    territory.content_hash, name=name, meta={"seed_attempts": int(trees)})
    raise InfeasibleError(
        f"no plan into {k} regions within population bounds {lo.min():g}..{hi.max():g} was "
        f"found after {max_attempts} spanning trees",
        hint="widen the tolerance, use fewer regions, or raise max_attempts")


def seed_subset(territory: Territory, plan: Plan, subset: NDArray[np.bool_], k: int, *,
                rng: np.random.Generator,
                constraints: ChainConstraints | Mapping[str, Any] | None = None,
                max_attempts: int = 10_000, label: str = "R") -> Plan:
    """A plan that keeps ``plan`` outside ``subset`` and splits the subset into ``k`` new regions.

    Units outside the subset keep their regions (names, authorities and statuses), renumbered in
    order; regions of ``plan`` lying wholly inside the subset disappear; the subset's units are
    split into ``k`` new contiguous regions (``"<label> 1"`` ...) by recursive spanning-tree
    cuts (:func:`dayafter._kernels.tree.seed_partition`), within the bounds that
    ``constraints`` give the regions taking part (``balance`` ``"equal"``, ``"plan"`` or
    ``"wide"``; see :class:`~dayafter.ensemble.ChainConstraints`).

    Raises
    ------
    InputDataError
        The subset's units are not connected.
    InfeasibleError
        No split was found within ``max_attempts`` spanning trees.
    """
    if k < 1:
        raise ConfigError(f"k must be at least 1, got {k}")
    cons = constraints if isinstance(constraints, ChainConstraints) else \
        ChainConstraints.from_dict(constraints)
    n = territory.n_units
    mask = np.asarray(subset, dtype=bool)
    ids = territory.unit_ids
    inside_graph = territory.graph.components(np.where(mask, 0, np.arange(1, n + 1)).astype(
        np.int32))
    pieces = np.unique(inside_graph[mask])
    if pieces.size != 1:
        first = mask & (inside_graph == pieces[0])
        rest = np.flatnonzero(mask & ~first)
        raise InputDataError(
            f"the subset's units are not connected ({pieces.size} pieces); units "
            f"{first_ids(ids[rest].tolist())} are cut off from the rest of it",
            unit_ids=ids[rest].tolist(),
            hint="choose a connected subset, or start the chains from the plan (no k range)")
    a0 = plan.assignment.astype(np.int64)
    keep = np.flatnonzero(np.bincount(a0[~mask & (a0 >= 0)], minlength=plan.k) > 0)
    f = int(keep.size)
    remap = np.full(plan.k + 1, -1, np.int64)
    remap[keep] = np.arange(f)
    assign = np.where(mask, -1, remap[a0]).astype(np.int64)
    # bounds of the k new regions: the subset's population shared among them
    provisional = np.where(mask, 0, -1)
    lo_k, hi_k = cons.bounds(territory, k, assignment=provisional,
                             reference=(a0, plan.k))
    lo = np.concatenate([np.full(f, -np.inf), lo_k])
    hi = np.concatenate([np.full(f, np.inf), hi_k])
    pop = np.ascontiguousarray(territory.population(cons.census), dtype=np.float64)
    share = float(pop[mask].sum())
    if share < lo_k.sum() - 1e-9 or share > hi_k.sum() + 1e-9:
        raise InfeasibleError(
            f"the subset's {share:g} people cannot be shared by {k} regions with bounds "
            f"{lo_k.min():g}..{hi_k.max():g}", hint="widen the tolerance, or change k")
    indptr = np.ascontiguousarray(territory.graph.indptr, dtype=np.int64)
    indices = np.ascontiguousarray(territory.graph.indices, dtype=np.int64)
    ws = _t.make_tree_work(n, indices.size, int(np.diff(indptr).max()) if n else 1)
    trees = _t.seed_partition(indptr, indices, pop, np.full(n, -1, np.int64), lo, hi, f, k,
                              assign, ws, rng, 20, max_attempts)
    if trees <= 0:
        raise InfeasibleError(
            f"no split of the subset into {k} regions within population bounds "
            f"{lo_k.min():g}..{hi_k.max():g} was found after {max_attempts} spanning trees",
            hint="widen the tolerance, use balance 'wide', or change k")
    taken = {plan.regions[j].name for j in keep}
    new_names = []
    for j in range(k):
        nm = f"{label} {j + 1}"
        while nm in taken:
            nm += "'"
        new_names.append(nm)
    regions = tuple(plan.regions[j] for j in keep) + tuple(Region(x) for x in new_names)
    return Plan(assign.astype(np.int32), regions, territory.content_hash,
                name=f"{plan.name or 'plan'} (subset split into {k})",
                meta={"seed_attempts": int(trees)})
