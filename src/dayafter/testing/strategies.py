"""Hypothesis strategies: small grid territories and plans (needs the ``hypothesis`` package)."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from dayafter.graph import UnitGraph
from dayafter.plan import Plan, Region
from dayafter.territory import Territory

__all__ = ["grid_territory", "plans_for", "territories_and_plans"]


def grid_territory(rows: int, cols: int, pop: np.ndarray, *, admin_block: int = 2) -> Territory:
    """A rows x cols grid of unit squares (side 1000 m) with population table ``pop``."""
    n = rows * cols
    u, v = [], []
    for i in range(rows):
        for j in range(cols):
            x = i * cols + j
            if j + 1 < cols:
                u.append(x)
                v.append(x + 1)
            if i + 1 < rows:
                u.append(x)
                v.append(x + cols)
    g = UnitGraph.from_edges(n, np.array(u), np.array(v), np.full(len(u), 1000.0))
    degree = np.diff(g.indptr)
    ids = [f"u{x:04d}" for x in range(n)]
    admin = [f"A{(x // cols) // admin_block}{(x % cols) // admin_block}" for x in range(n)]
    comms = [f"g{c}" for c in range(pop.shape[1])]
    return Territory.from_arrays(ids, comms, {"c1": pop, "c2": pop[::-1].copy()}, g,
                                 area=np.full(n, 1e6), outer_border=(4 - degree) * 1000.0,
                                 admin={"block": admin}, name=f"grid{rows}x{cols}")


@st.composite
def territories_and_plans(draw, max_side: int = 5, max_k: int = 5, max_g: int = 4):
    """A grid territory with random populations and a random (possibly unbalanced) plan."""
    rows = draw(st.integers(1, max_side))
    cols = draw(st.integers(2, max_side))
    g = draw(st.integers(1, max_g))
    n = rows * cols
    pop = np.array(draw(st.lists(st.integers(0, 1000), min_size=n * g, max_size=n * g)),
                   dtype=float).reshape(n, g)
    t = grid_territory(rows, cols, pop)
    plan = draw(plans_for(t, max_k=max_k))
    return t, plan


@st.composite
def plans_for(draw, t: Territory, max_k: int = 5):
    """A random plan (any assignment, including -1) for territory ``t``."""
    k = draw(st.integers(1, max_k))
    a = draw(st.lists(st.integers(-1, k - 1), min_size=t.n_units, max_size=t.n_units))
    regions = tuple(Region(f"R{j}", authority=draw(st.sampled_from(["federal", "krg", "self"])))
                    for j in range(k))
    return Plan(np.array(a), regions, t.content_hash, name="random")
