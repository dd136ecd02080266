"""Small grid territories for tests, examples and benchmarks (no geometry needed)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from numpy.typing import NDArray

from dayafter.graph import UnitGraph
from dayafter.territory import Territory

__all__ = ["grid_territory", "stripes"]


def grid_territory(rows: int, cols: int, *, population: NDArray[np.float64] | None = None,
                   communities: NDArray[np.float64] | None = None,
                   admin: Mapping[str, NDArray[np.object_]] | None = None,
                   name: str = "") -> Territory:
    """A ``rows x cols`` rook-adjacency grid; unit ``r * cols + c`` has id ``u{index:05d}``.

    Parameters
    ----------
    population
        ``float64[rows * cols]`` population of a single community ``all`` (default 1 each).
    communities
        Alternatively a ``(rows * cols, 2)`` table of two communities ``a`` and ``b``.
    admin
        Admin codes per unit, in row-major order.

    Examples
    --------
    >>> t = grid_territory(2, 3)
    >>> t.n_units, t.graph.n_edges
    (6, 7)
    """
    n = rows * cols
    idx = np.arange(n).reshape(rows, cols)
    u = np.concatenate([idx[:, :-1].ravel(), idx[:-1, :].ravel()])
    v = np.concatenate([idx[:, 1:].ravel(), idx[1:, :].ravel()])
    g = UnitGraph.from_edges(n, u, v, np.ones(u.size))
    ids = [f"u{i:05d}" for i in range(n)]
    if communities is not None:
        table = np.asarray(communities, dtype=np.float64).reshape(n, -1)
        names = ["a", "b"][: table.shape[1]] if table.shape[1] <= 2 else \
            [f"c{j}" for j in range(table.shape[1])]
    else:
        pop = np.ones(n) if population is None else np.asarray(population, dtype=np.float64)
        table = pop.reshape(n, 1)
        names = ["all"]
    outer = np.zeros(n)
    outer[idx[0, :]] += 1
    outer[idx[-1, :]] += 1
    outer[idx[:, 0]] += 1
    outer[idx[:, -1]] += 1
    return Territory.from_arrays(ids, names, {"census": table}, g, outer_border=outer,
                                 admin=dict(admin or {}), name=name or f"grid{rows}x{cols}")


def stripes(rows: int, cols: int, k: int) -> NDArray[np.int32]:
    """Assignment of a grid into ``k`` vertical stripes of equal width (``cols % k == 0``)."""
    if cols % k:
        raise ValueError(f"{cols} columns cannot be cut into {k} equal stripes")
    c = np.tile(np.arange(cols), rows)
    return (c // (cols // k)).astype(np.int32)
