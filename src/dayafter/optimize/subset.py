"""Sub-territories: the units of some admin units (e.g. one or two governorates) as a territory.

Small instances on which the MIP proves optimality quickly, to check heuristics against.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

from dayafter.errors import ConfigError, InputDataError
from dayafter.graph import UnitGraph
from dayafter.territory import Territory

__all__ = ["subset_territory"]


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
