"""The unit adjacency graph as CSR arrays, and pure graph utilities (no geometry).

>>> import numpy as np
>>> g = UnitGraph.from_edges(4, [0, 1, 2], [1, 2, 3], [5.0, 5.0, 2.0])   # a path 0-1-2-3
>>> g.indptr.tolist(), g.indices.tolist()
([0, 1, 3, 5, 6], [1, 0, 2, 1, 3, 2])
>>> g.components(np.array([0, 0, 1, 0])).tolist()   # pieces when only same-label edges count
[0, 0, 1, 2]
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from dayafter._kernels.graph import component_labels as _component_labels
from dayafter.errors import InputDataError

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["UnitGraph"]


def _readonly(a: NDArray[Any]) -> NDArray[Any]:
    a = np.ascontiguousarray(a)
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class UnitGraph:
    """Undirected graph of units in compressed sparse row form.

    Every undirected edge ``{u, v}`` appears twice, once in the row of ``u`` and once in the row of
    ``v``, with the same ``border_length`` (metres of shared border). Rows are sorted by neighbour.

    Attributes
    ----------
    indptr
        ``int64[n + 1]``: the neighbours of unit ``i`` are ``indices[indptr[i]:indptr[i + 1]]``.
    indices
        ``int32[2 m]``.
    border_length
        ``float64[2 m]``: shared border length in metres (0 for links added by hand, such as an
        island linked to its nearest unit).
    """

    indptr: NDArray[np.int64]
    indices: NDArray[np.int32]
    border_length: NDArray[np.float64]

    def __post_init__(self) -> None:
        indptr = np.asarray(self.indptr, dtype=np.int64)
        indices = np.asarray(self.indices, dtype=np.int32)
        border = np.asarray(self.border_length, dtype=np.float64)
        if indptr.ndim != 1 or indptr.size < 1 or indptr[0] != 0 or indptr[-1] != indices.size:
            raise InputDataError("CSR indptr must start at 0 and end at len(indices)")
        if border.shape != indices.shape:
            raise InputDataError("border_length must have one value per CSR entry")
        object.__setattr__(self, "indptr", _readonly(indptr))
        object.__setattr__(self, "indices", _readonly(indices))
        object.__setattr__(self, "border_length", _readonly(border))

    @property
    def n_units(self) -> int:
        """Number of units (nodes)."""
        return int(self.indptr.size - 1)

    @property
    def n_edges(self) -> int:
        """Number of undirected edges."""
        return int(self.indices.size // 2)

    @property
    def degree(self) -> NDArray[np.int64]:
        """Number of neighbours of each unit."""
        return np.diff(self.indptr)

    def neighbors(self, i: int) -> NDArray[np.int32]:
        """Neighbours of unit ``i`` (sorted)."""
        return self.indices[self.indptr[i] : self.indptr[i + 1]]

    def sources(self) -> NDArray[np.int32]:
        """Row index of every CSR entry (the ``u`` of each directed entry ``u -> v``)."""
        return np.repeat(np.arange(self.n_units, dtype=np.int32), self.degree)

    def edges(self) -> tuple[NDArray[np.int32], NDArray[np.int32], NDArray[np.float64]]:
        """Undirected edges once each, as ``(u, v, border_length)`` with ``u < v``."""
        src = self.sources()
        keep = src < self.indices
        return src[keep], self.indices[keep], self.border_length[keep]

    def components(self, labels: NDArray[np.integer] | None = None) -> NDArray[np.int32]:
        """Connected component of each unit.

        With ``labels`` (for example a plan's assignment), only edges joining units with the same
        label are followed, so the result gives the pieces of each region.
        """
        if labels is None:
            labels = np.zeros(self.n_units, dtype=np.int32)
        out: NDArray[np.int32] = _component_labels(self.indptr, self.indices, np.asarray(labels, dtype=np.int32))
        return out

    @classmethod
    def from_edges(
        cls,
        n_units: int,
        u: NDArray[np.integer],
        v: NDArray[np.integer],
        border_length: NDArray[np.floating] | None = None,
    ) -> UnitGraph:
        """Build from undirected edges (each listed once, in either direction).

        Duplicate edges are merged (their border lengths added); self-loops are rejected.
        """
        u = np.asarray(u, dtype=np.int64)
        v = np.asarray(v, dtype=np.int64)
        w = (
            np.zeros(u.size, dtype=np.float64)
            if border_length is None
            else np.asarray(border_length, dtype=np.float64)
        )
        if u.shape != v.shape or w.shape != u.shape:
            raise InputDataError("edge arrays u, v and border_length must have the same length")
        if u.size and (min(u.min(), v.min()) < 0 or max(u.max(), v.max()) >= n_units):
            raise InputDataError(f"edge endpoints must lie in 0..{n_units - 1}")
        if np.any(u == v):
            raise InputDataError("the adjacency graph cannot have self-loops")
        a = np.minimum(u, v)
        b = np.maximum(u, v)
        key = a * n_units + b
        uniq, inverse = np.unique(key, return_inverse=True)
        wsum = np.bincount(inverse, weights=w, minlength=uniq.size)
        a = uniq // n_units
        b = uniq % n_units
        src = np.concatenate([a, b])
        dst = np.concatenate([b, a])
        ww = np.concatenate([wsum, wsum])
        order = np.lexsort((dst, src))
        src, dst, ww = src[order], dst[order], ww[order]
        indptr = np.zeros(n_units + 1, dtype=np.int64)
        np.cumsum(np.bincount(src, minlength=n_units), out=indptr[1:])
        return cls(indptr, dst.astype(np.int32), ww)

    def to_networkx(self) -> nx.Graph:
        """A ``networkx.Graph`` with ``border_length`` edge attributes (for tests and small jobs)."""
        import networkx as nx

        g = nx.Graph()
        g.add_nodes_from(range(self.n_units))
        u, v, w = self.edges()
        g.add_weighted_edges_from(zip(u.tolist(), v.tolist(), w.tolist(), strict=True),
                                  weight="border_length")
        return g
