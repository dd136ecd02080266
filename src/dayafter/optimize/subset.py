"""Selections of units: ``governorate=IQG15``-style filters, id lists, and sub-territories.

:func:`select_units` turns what a user writes (an admin filter, unit ids) into a mask; the
ensembles use it for ``subset`` (the units a chain may change) and the optimizer for ``movable``.
:func:`subset_territory` cuts a territory down to some units (small instances on which the MIP
proves optimality quickly, to check heuristics against).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dayafter.errors import ConfigError, InputDataError
from dayafter.graph import UnitGraph
from dayafter.territory import Territory, select_units

__all__ = ["embed_plan", "select_units", "subset_territory"]

# select_units lives with the territory (the ensembles use it too); re-exported here


def subset_territory(territory: Territory, units: NDArray[np.bool_] | Sequence[str] | None = None,
                     *, level: str | None = None, codes: Sequence[str] = (),
                     name: str = "") -> Territory:
    """The territory restricted to some units, with the induced adjacency.

    Parameters
    ----------
    territory
        The full territory.
    units
        A boolean mask over the units, or unit ids.
    level, codes
        Alternatively: keep the units whose admin code at ``level`` is one of ``codes`` (e.g.
        ``level="governorate", codes=["IQG15"]``).
    name
        Name of the new territory (default: the old name with the codes).

    Returns
    -------
    Territory
        Censuses, areas, admin codes and labels of the kept units; a unit's border with a dropped
        unit becomes outer border, so perimeters (and Polsby-Popper) are unchanged.

    Examples
    --------
    >>> from dayafter.testing.grids import grid_territory
    >>> t = grid_territory(3, 3)
    >>> s = subset_territory(t, ["u00000", "u00001", "u00003"])
    >>> s.n_units, s.graph.n_edges, s.outer_border.tolist()
    (3, 2, [2.0, 3.0, 3.0])
    """
    n = territory.n_units
    if level is not None:
        if units is not None:
            raise ConfigError("give either units or level and codes, not both")
        if level not in territory.admin:
            raise ConfigError(f"unknown admin level {level!r}",
                              hint=f"use one of {list(territory.admin)}")
        have = set(territory.admin[level].tolist())
        unknown = [c for c in codes if c not in have]
        if unknown or not codes:
            raise ConfigError(f"unknown or missing {level} codes {unknown or list(codes)}",
                              hint=f"use some of {sorted(have)}")
        mask = np.isin(territory.admin[level].astype(str), list(codes))
    elif units is None:
        raise ConfigError("subset_territory needs units, or level and codes")
    else:
        arr = np.asarray(units)
        if arr.dtype == bool:
            if arr.shape != (n,):
                raise InputDataError(f"the unit mask needs {n} values, got {arr.size}")
            mask = arr.copy()
        else:
            mask = np.zeros(n, dtype=bool)
            mask[territory.index([str(u) for u in arr.tolist()], source="subset")] = True
    keep = np.flatnonzero(mask)
    if keep.size == 0:
        raise InputDataError("the subset has no units")
    new_index = np.full(n, -1, dtype=np.int64)
    new_index[keep] = np.arange(keep.size)
    g = territory.graph
    src = g.sources().astype(np.int64)
    dst = g.indices.astype(np.int64)
    inside = mask[src] & mask[dst]
    lost = mask[src] & ~mask[dst]
    outer = territory.outer_border[keep] + np.bincount(
        new_index[src[lost]], weights=g.border_length[lost], minlength=keep.size)
    once = inside & (src < dst)
    graph = UnitGraph.from_edges(keep.size, new_index[src[once]], new_index[dst[once]],
                                 g.border_length[once])
    suffix = f" ({level} {', '.join(codes)})" if level is not None else " (subset)"
    geometry = None
    if territory.geometry is not None:
        geometry = territory.geometry.iloc[keep].reset_index(drop=True)
    return Territory(
        unit_ids=territory.unit_ids[keep],
        communities=territory.communities,
        censuses={c: tab[keep] for c, tab in territory.censuses.items()},
        # the censuses' stated ranges go with their units (the census draws of a subset)
        ranges={c: r.take(keep) for c, r in territory.ranges.items()},
        graph=graph,
        area=territory.area[keep],
        outer_border=outer,
        admin={lvl: codes_[keep] for lvl, codes_ in territory.admin.items()},
        labels={k: v[keep] for k, v in territory.labels.items()},
        crs=territory.crs,
        name=name or f"{territory.name}{suffix}",
        geometry=geometry,
        meta={**dict(territory.meta), "subset_of": territory.content_hash},
    )


def embed_plan(territory: Territory, mask: NDArray[np.bool_], sub_plan: Any, base: Any,
               *, name: str = "") -> Any:
    """A plan of the whole territory: ``base`` outside ``mask``, ``sub_plan`` (a plan of
    :func:`subset_territory` on ``mask``) inside.

    Regions of ``base`` keep their names, authorities and statuses (those left with no unit
    disappear); the sub-plan's regions follow, renamed with a ``'`` where a name is taken. The
    control layer of ``base`` is kept. The result loads everywhere a plan of ``territory`` loads.

    Examples
    --------
    >>> from dayafter.testing.grids import grid_territory
    >>> from dayafter.plan import Plan, Region
    >>> t = grid_territory(1, 4)
    >>> base = Plan(np.array([0, 0, 1, 1]), (Region("W", "krg"), Region("E")), t.content_hash)
    >>> mask = np.array([False, False, True, True])
    >>> s = subset_territory(t, mask)
    >>> sub = Plan(np.array([0, 1]), (Region("W"), Region("F")), s.content_hash)
    >>> p = embed_plan(t, mask, sub, base)
    >>> p.assignment.tolist(), p.region_names, p.territory_hash == t.content_hash
    ([0, 0, 1, 2], ['W', "W'", 'F'], True)
    """
    from dataclasses import replace

    from dayafter.plan import Plan

    a0 = np.asarray(base.assignment, dtype=np.int64)
    keep = np.flatnonzero(np.bincount(a0[~mask & (a0 >= 0)], minlength=base.k) > 0)
    remap = np.full(base.k + 1, -1, dtype=np.int64)
    remap[keep] = np.arange(keep.size)
    a = np.where(mask, -1, remap[a0])
    a[np.flatnonzero(mask)] = keep.size + np.asarray(sub_plan.assignment, dtype=np.int64)
    taken = {base.regions[j].name for j in keep}
    regions = [base.regions[j] for j in keep]
    for r in sub_plan.regions:
        nm = r.name
        while nm in taken:
            nm += "'"
        taken.add(nm)
        regions.append(replace(r, name=nm))
    out = Plan(a.astype(np.int32), tuple(regions), territory.content_hash,
               name=name or sub_plan.name, notes=sub_plan.notes, meta=dict(sub_plan.meta),
               control=base.control, control_labels=base.control_labels)
    return out
