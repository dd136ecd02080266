"""The territory: units, censuses, adjacency and admin levels, as arrays.

Geometry is only needed to *build* a territory (see :func:`dayafter.geo.build_territory`); once
built, everything here is plain NumPy so engines never touch geopandas.

>>> import numpy as np
>>> from dayafter.graph import UnitGraph
>>> t = Territory.from_arrays(["b", "a"], ["kurd", "arab"], {"2014": np.array([[5.0, 1], [2, 8]])},
...                           UnitGraph.from_edges(2, [0], [1], [100.0]))
>>> t.unit_ids.tolist(), t.population("2014").tolist()    # rows sorted by unit id
(['a', 'b'], [10.0, 6.0])
>>> t.index(["b"]).tolist()
[1]
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from types import MappingProxyType
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from dayafter.errors import ConfigError, InputDataError, first_ids
from dayafter.graph import UnitGraph

__all__ = ["CensusRange", "Territory", "select_units"]


def _ro(a: ArrayLike, dtype: Any = None) -> NDArray[Any]:
    a = np.array(a, dtype=dtype, copy=True)
    a.setflags(write=False)
    return a


@dataclass(frozen=True, eq=False)
class CensusRange:
    """The stated range of every figure of one census: ``low`` and ``high`` per unit and community.

    A range is optional data carried beside a census; the uncertainty model
    (:class:`dayafter.uncertainty.CensusModel`) turns it into draws. NaN means "no range stated
    for this figure" (the model then applies its stated default for the figure's ``status``).

    Attributes
    ----------
    low, high
        ``float64[n, g]`` range of each community's count in each unit.
    total_low, total_high
        ``float64[n]`` range of each unit's total population (its size).
    status
        ``str[n, g]`` status of each community figure (e.g. ``sourced``, ``derived``, ``imputed``;
        ``""`` when unknown); picks the default error where a range is missing.
    total_status
        ``str[n]`` status of each unit's total.
    source
        The file the ranges came from (named in error messages).
    notes
        What was done to the ranges on reading (e.g. inconsistent rows set aside).
    community_ranges
        How the community ranges were made: ``"composition"`` (the spread of a community's count
        at the unit's point total; the size's spread comes from the total's range) or ``"joint"``
        (a community's low is the unit's low total times its low share, its high the high total
        times its high share, as the built-in case builds them).

    Examples
    --------
    >>> r = CensusRange.empty(2, 3)
    >>> r.n_stated
    0
    """

    low: NDArray[np.float64]
    high: NDArray[np.float64]
    total_low: NDArray[np.float64]
    total_high: NDArray[np.float64]
    status: NDArray[np.object_] | None = None
    total_status: NDArray[np.object_] | None = None
    source: str = ""
    notes: tuple[str, ...] = ()
    community_ranges: str = "composition"

    def __post_init__(self) -> None:
        if self.community_ranges not in ("composition", "joint"):
            raise InputDataError(f"community_ranges must be 'composition' or 'joint', got "
                                 f"{self.community_ranges!r}", source=self.source)
        low = _ro(self.low, np.float64)
        high = _ro(self.high, np.float64)
        if low.ndim != 2 or high.shape != low.shape:
            raise InputDataError(f"census ranges need low and high tables of one shape, got {low.shape} "
                                 f"and {high.shape}", source=self.source)
        n, g = low.shape
        tl = _ro(self.total_low, np.float64)
        th = _ro(self.total_high, np.float64)
        if tl.shape != (n,) or th.shape != (n,):
            raise InputDataError(f"census ranges need one total low and high per unit ({n})",
                                 source=self.source)
        st = np.full((n, g), "", dtype=object) if self.status is None else np.array(self.status, dtype=object)
        ts = np.full(n, "", dtype=object) if self.total_status is None else np.array(self.total_status,
                                                                                       dtype=object)
        if st.shape != (n, g) or ts.shape != (n,):
            raise InputDataError("census range statuses need one entry per figure", source=self.source)
        st.setflags(write=False)
        ts.setflags(write=False)
        for name, val in (("low", low), ("high", high), ("total_low", tl), ("total_high", th),
                          ("status", st), ("total_status", ts)):
            object.__setattr__(self, name, val)
        object.__setattr__(self, "notes", tuple(str(x) for x in self.notes))

    @classmethod
    def empty(cls, n: int, g: int, *, source: str = "") -> CensusRange:
        """No stated range for any figure (every entry NaN)."""
        return cls(np.full((n, g), np.nan), np.full((n, g), np.nan), np.full(n, np.nan),
                   np.full(n, np.nan), source=source)

    @property
    def n_stated(self) -> int:
        """Number of figures (unit totals and community counts) with both ends stated."""
        both = np.isfinite(self.low) & np.isfinite(self.high)
        tot = np.isfinite(self.total_low) & np.isfinite(self.total_high)
        return int(both.sum() + tot.sum())

    def take(self, order: NDArray[np.int64]) -> CensusRange:
        """The same ranges with units reordered (``order`` as in ``array[order]``)."""
        return CensusRange(self.low[order], self.high[order], self.total_low[order],
                           self.total_high[order], None if self.status is None else self.status[order],
                           None if self.total_status is None else self.total_status[order],
                           source=self.source, notes=self.notes,
                           community_ranges=self.community_ranges)

    def check(self, values: NDArray[np.float64], unit_ids: NDArray[np.object_], census: str) -> None:
        """Check the ranges against the census they describe.

        Raises :class:`~dayafter.errors.InputDataError` naming the file (``source``), the census,
        the units and the fix when a low lies above its high, an end is negative or infinite, or a
        figure lies outside its own range (beyond rounding: half a person per community).
        """
        n, g = values.shape
        if self.low.shape != (n, g):
            raise InputDataError(f"ranges of census {census!r} have shape {self.low.shape}, the census "
                                 f"has {(n, g)}", source=self.source)
        tot = values.sum(axis=1)
        tol_c = 0.5 + 1e-9 * values
        tol_t = 0.5 * g + 1e-9 * tot
        checks = (
            ("low", self.low, self.total_low),
            ("high", self.high, self.total_high),
        )
        for end, comm, total in checks:
            for field_name, arr in (("community", comm), ("total", total)):
                bad = np.isinf(arr) | (arr < 0)
                if bad.any():
                    rows = np.flatnonzero(bad.reshape(n, -1).any(axis=1))
                    raise InputDataError(
                        f"census {census!r}: negative or infinite {end} for the {field_name} figure of "
                        f"{rows.size} units ({first_ids(unit_ids[rows].tolist())})",
                        hint=f"give every {end} as a population of at least 0, or leave it empty "
                        "for the default error", unit_ids=unit_ids[rows].tolist(), source=self.source)
        for label, lo, hi in (("community", self.low, self.high), ("total", self.total_low, self.total_high)):
            bad = lo > hi  # NaN compares False: a missing end is never "above"
            if bad.any():
                rows = np.flatnonzero(bad.reshape(n, -1).any(axis=1))
                i = rows[0]
                j = int(np.flatnonzero(bad.reshape(n, -1)[i])[0])
                raise InputDataError(
                    f"census {census!r}: low above high for the {label} figure of {rows.size} units "
                    f"({first_ids(unit_ids[rows].tolist())}; first: low {lo.reshape(n, -1)[i, j]:g} > "
                    f"high {hi.reshape(n, -1)[i, j]:g})",
                    hint="swap low and high, or correct the row", unit_ids=unit_ids[rows].tolist(),
                    source=self.source)
        outside = (values < self.low - tol_c) | (values > self.high + tol_c)
        out_t = (tot < self.total_low - tol_t) | (tot > self.total_high + tol_t)
        bad_rows = np.flatnonzero(outside.any(axis=1) | out_t)
        if bad_rows.size:
            raise InputDataError(
                f"census {census!r}: {bad_rows.size} units have a figure outside its own range "
                f"({first_ids(unit_ids[bad_rows].tolist())})",
                hint="widen the range so low <= value <= high, or correct the census value",
                unit_ids=unit_ids[bad_rows].tolist(), source=self.source)

    def digest(self) -> str:
        """SHA-256 of the ranges and statuses (for manifests: draws depend on them)."""
        h = hashlib.sha256(self.community_ranges.encode())
        for arr in (self.low, self.high, self.total_low, self.total_high):
            h.update(np.round(arr, 6).tobytes())
        for labels in (self.status, self.total_status):
            h.update("\x1f".join(str(x) for x in np.asarray(labels).ravel().tolist()).encode())
        return h.hexdigest()


@dataclass(frozen=True, eq=False)
class Territory:
    """Units with population by community, adjacency and admin levels (immutable).

    Attributes
    ----------
    unit_ids
        ``n`` unit ids as strings, sorted; array index ``i`` is unit ``unit_ids[i]`` everywhere.
    communities
        ``g`` community names (column order of every census).
    censuses
        Census name to ``float64[n, g]`` population table (read-only).
    graph
        Rook adjacency with shared border lengths in metres.
    area
        ``float64[n]`` unit areas in square metres (in ``crs``).
    outer_border
        ``float64[n]`` length in metres of each unit's border on the territory's outer edge.
    admin
        Admin level name (e.g. ``"governorate"``) to ``str[n]`` codes of the unit's admin unit.
    labels
        Extra per-unit text columns such as ``name_en`` or ``name_ar``.
    crs
        The projected coordinate system the measures were taken in.
    name
        A short name for the territory.
    geometry
        Optional GeoSeries (original coordinates, same order as ``unit_ids``); used for maps and
        Reock only, never hashed.
    meta
        Free-form provenance (source files, imputation flags).
    ranges
        Optional census name to :class:`CensusRange`: the stated range of every figure (used by
        :mod:`dayafter.uncertainty`; not part of :attr:`content_hash`, so plans keep attaching).
    """

    unit_ids: NDArray[np.object_]
    communities: tuple[str, ...]
    censuses: Mapping[str, NDArray[np.float64]]
    graph: UnitGraph
    area: NDArray[np.float64]
    outer_border: NDArray[np.float64]
    admin: Mapping[str, NDArray[np.object_]] = field(default_factory=dict)
    labels: Mapping[str, NDArray[np.object_]] = field(default_factory=dict)
    crs: str = ""
    name: str = ""
    geometry: Any = field(default=None, repr=False)
    meta: Mapping[str, Any] = field(default_factory=dict, repr=False)
    ranges: Mapping[str, CensusRange] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        ids = np.array([str(u) for u in self.unit_ids], dtype=object)
        n = ids.size
        if n == 0:
            raise InputDataError("a territory needs at least one unit")
        if len(set(ids.tolist())) != n:
            raise InputDataError("unit ids must be unique")
        if np.any(ids[1:] < ids[:-1]):
            raise InputDataError(
                "unit ids must be sorted; build territories with dayafter.geo.build_territory"
            )
        ids.setflags(write=False)
        object.__setattr__(self, "unit_ids", ids)
        comms = tuple(str(c) for c in self.communities)
        if not comms or len(set(comms)) != len(comms):
            raise InputDataError(f"communities must be non-empty and unique, got {comms!r}")
        object.__setattr__(self, "communities", comms)
        if not self.censuses:
            raise InputDataError("a territory needs at least one census")
        cens = {}
        for name, table in self.censuses.items():
            arr = np.asarray(table, dtype=np.float64)
            if arr.shape != (n, len(comms)):
                raise InputDataError(
                    f"census {name!r} has shape {arr.shape}, expected ({n}, {len(comms)})"
                )
            bad = ~np.isfinite(arr).all(axis=1) | (arr < 0).any(axis=1)
            if bad.any():
                raise InputDataError(
                    f"census {name!r} has missing, negative or infinite values for units "
                    f"{first_ids(ids[bad].tolist())}",
                    unit_ids=ids[bad].tolist(),
                )
            cens[str(name)] = _ro(arr)
        object.__setattr__(self, "censuses", MappingProxyType(cens))
        if self.graph.n_units != n:
            raise InputDataError(f"graph has {self.graph.n_units} units, territory has {n}")
        object.__setattr__(self, "area", _ro(self.area, np.float64))
        object.__setattr__(self, "outer_border", _ro(self.outer_border, np.float64))
        if self.area.shape != (n,) or self.outer_border.shape != (n,):
            raise InputDataError("area and outer_border need one value per unit")
        adm = {}
        for level, codes in self.admin.items():
            arr = np.array([str(c) for c in codes], dtype=object)
            if arr.size != n:
                raise InputDataError(f"admin level {level!r} needs one code per unit")
            arr.setflags(write=False)
            adm[str(level)] = arr
        object.__setattr__(self, "admin", MappingProxyType(adm))
        labs = {}
        for key, vals in self.labels.items():
            arr = np.array(["" if v is None else str(v) for v in vals], dtype=object)
            if arr.size != n:
                raise InputDataError(f"label column {key!r} needs one value per unit")
            arr.setflags(write=False)
            labs[str(key)] = arr
        object.__setattr__(self, "labels", MappingProxyType(labs))
        object.__setattr__(self, "meta", MappingProxyType(dict(self.meta)))
        rng_map = {}
        for cname, r in self.ranges.items():
            if not isinstance(r, CensusRange):
                raise InputDataError(f"ranges of census {cname!r} must be a CensusRange, got "
                                     f"{type(r).__name__}")
            if cname not in cens:
                raise InputDataError(
                    f"ranges given for census {cname!r}, which the territory does not have",
                    hint=f"name one of {list(cens)} in the ranges (census column or file)",
                    source=r.source)
            r.check(cens[cname], ids, cname)
            rng_map[str(cname)] = r
        object.__setattr__(self, "ranges", MappingProxyType(rng_map))

    # ------------------------------------------------------------------ basic facts
    @property
    def n_units(self) -> int:
        """Number of units."""
        return int(self.unit_ids.size)

    @property
    def n_communities(self) -> int:
        """Number of communities."""
        return len(self.communities)

    @property
    def census_names(self) -> tuple[str, ...]:
        """Names of the censuses, in the order they were given."""
        return tuple(self.censuses)

    def census(self, name: str | None = None) -> NDArray[np.float64]:
        """The ``(n, g)`` table of census ``name`` (the first census when ``None``)."""
        if name is None:
            name = self.census_names[0]
        try:
            return self.censuses[name]
        except KeyError:
            raise InputDataError(
                f"unknown census {name!r}", hint=f"use one of {list(self.censuses)}"
            ) from None

    def population(self, census: str | None = None) -> NDArray[np.float64]:
        """Total population of each unit on a census."""
        out: NDArray[np.float64] = self.census(census).sum(axis=1)
        return out

    def community_index(self, community: str) -> int:
        """Column of ``community`` in the census tables."""
        try:
            return self.communities.index(community)
        except ValueError:
            raise InputDataError(
                f"unknown community {community!r}", hint=f"use one of {list(self.communities)}"
            ) from None

    @cached_property
    def _id_lookup(self) -> dict[str, int]:
        return {u: i for i, u in enumerate(self.unit_ids.tolist())}

    def index(self, unit_ids: Sequence[str] | str, *, source: str = "") -> NDArray[np.int64]:
        """Array indices of the given unit ids; unknown ids raise an error naming them."""
        if isinstance(unit_ids, str):
            unit_ids = [unit_ids]
        look = self._id_lookup
        out = np.empty(len(unit_ids), dtype=np.int64)
        missing = []
        for j, u in enumerate(unit_ids):
            i = look.get(str(u), -1)
            if i < 0:
                missing.append(str(u))
            out[j] = i
        if missing:
            raise InputDataError(
                f"{len(missing)} unit ids are not in territory {self.name or '(unnamed)'}: "
                f"{first_ids(missing)}",
                hint="check the id column and leading zeros (ids are compared as text)",
                unit_ids=missing,
                source=source,
                key="plan.unknown_ids", args={"n": len(missing), "ids": missing[:5]},
                hint_key="plan.check_ids", hint_args={},
            )
        return out

    def admin_codes(self, level: str) -> tuple[NDArray[np.int32], NDArray[np.object_]]:
        """Integer codes ``int32[n]`` and the sorted names of the admin units at ``level``."""
        try:
            codes = self.admin[level]
        except KeyError:
            raise InputDataError(
                f"unknown admin level {level!r}", hint=f"use one of {list(self.admin)}"
            ) from None
        names, inv = np.unique(codes.astype(str), return_inverse=True)
        return inv.astype(np.int32), names.astype(object)

    def with_ranges(self, ranges: Mapping[str, CensusRange], *, replace: bool = False) -> Territory:
        """A copy carrying census ranges (added to the existing ones unless ``replace``).

        The content hash is unchanged: ranges describe the censuses, they do not change them.
        """
        import dataclasses

        merged = dict(ranges) if replace else {**self.ranges, **ranges}
        return dataclasses.replace(self, ranges=merged)

    @property
    def perimeter(self) -> NDArray[np.float64]:
        """Perimeter of each unit: outer border plus shared borders (metres)."""
        shared = np.bincount(self.graph.sources(), weights=self.graph.border_length,
                             minlength=self.n_units)
        return self.outer_border + shared

    def unit_label(self, i: int) -> str:
        """Readable label of unit ``i``: its English name if known, with the id."""
        for key in ("name_en", "name"):
            if key in self.labels and self.labels[key][i]:
                return f"{self.labels[key][i]} ({self.unit_ids[i]})"
        return str(self.unit_ids[i])

    # ------------------------------------------------------------------ identity
    @cached_property
    def content_hash(self) -> str:
        """SHA-256 of everything a plan's meaning depends on.

        Covers unit ids, communities, censuses, adjacency, areas, borders and admin codes, so a plan
        made for one territory refuses to attach to different data. Geometry and labels are not
        hashed (they do not change any metric except Reock).
        """
        h = hashlib.sha256()

        def feed(tag: str, data: bytes) -> None:
            h.update(tag.encode())
            h.update(len(data).to_bytes(8, "little"))
            h.update(data)

        feed("ids", "\x1f".join(self.unit_ids.tolist()).encode())
        feed("communities", "\x1f".join(self.communities).encode())
        for name in sorted(self.censuses):
            feed(f"census:{name}", np.round(self.censuses[name], 6).tobytes())
        feed("indptr", self.graph.indptr.tobytes())
        feed("indices", self.graph.indices.tobytes())
        feed("border", np.round(self.graph.border_length, 3).tobytes())
        feed("area", np.round(self.area, 1).tobytes())
        feed("outer", np.round(self.outer_border, 3).tobytes())
        for level in sorted(self.admin):
            feed(f"admin:{level}", "\x1f".join(self.admin[level].tolist()).encode())
        return h.hexdigest()

    def summary(self) -> dict[str, Any]:
        """Small dictionary describing the territory (for CLI and manifests)."""
        comps = self.graph.components()
        return {
            "name": self.name,
            "units": self.n_units,
            "edges": self.graph.n_edges,
            "components": int(comps.max() + 1) if comps.size else 0,
            "communities": list(self.communities),
            "censuses": {
                name: float(tab.sum()) for name, tab in self.censuses.items()
            },
            "admin_levels": {lvl: int(np.unique(c).size) for lvl, c in self.admin.items()},
            "area_km2": float(self.area.sum() / 1e6),
            "crs": self.crs,
            "content_hash": self.content_hash,
        }

    @classmethod
    def from_arrays(
        cls,
        unit_ids: Sequence[str],
        communities: Sequence[str],
        censuses: Mapping[str, NDArray[np.float64]],
        graph: UnitGraph,
        *,
        area: NDArray[np.float64] | None = None,
        outer_border: NDArray[np.float64] | None = None,
        **kwargs: Any,
    ) -> Territory:
        """Build from arrays given in any unit order; rows are reordered by sorted unit id.

        Missing ``area`` defaults to 1 per unit and missing ``outer_border`` to 0.
        """
        ids = np.array([str(u) for u in unit_ids], dtype=object)
        n = ids.size
        order = np.argsort(ids.astype(str), kind="stable")
        inv = np.empty(n, dtype=np.int64)
        inv[order] = np.arange(n)
        u, v, w = graph.edges()
        g2 = UnitGraph.from_edges(n, inv[u], inv[v], w)
        area = np.ones(n) if area is None else np.asarray(area, dtype=np.float64)
        outer = np.zeros(n) if outer_border is None else np.asarray(outer_border, dtype=np.float64)
        admin = {k: np.asarray(c, dtype=object)[order] for k, c in kwargs.pop("admin", {}).items()}
        labels = {k: np.asarray(c, dtype=object)[order] for k, c in kwargs.pop("labels", {}).items()}
        ranges = {k: r.take(order) for k, r in kwargs.pop("ranges", {}).items()}
        geometry = kwargs.pop("geometry", None)
        if geometry is not None:
            geometry = geometry.iloc[order].reset_index(drop=True)
        return cls(
            unit_ids=ids[order],
            communities=tuple(communities),
            censuses={k: np.asarray(t, dtype=np.float64)[order] for k, t in censuses.items()},
            graph=g2,
            area=area[order],
            outer_border=outer[order],
            admin=admin,
            labels=labels,
            geometry=geometry,
            ranges=ranges,
            **kwargs,
        )


def select_units(territory: Territory, spec: Any, *, what: str = "subset"
                 ) -> tuple[NDArray[np.bool_], str]:
    """The units a selection names, as a mask, with a short label for messages and manifests.

    Parameters
    ----------
    territory
        The territory.
    spec
        ``"LEVEL=CODE[,CODE...]"`` (the units whose admin code at ``LEVEL`` is one of the codes,
        e.g. ``"governorate=IQG15"``); several such filters joined by ``";"`` select their union;
        a list of unit ids (or one string of comma-separated ids); or a boolean mask.
    what
        Name of the selection in error messages (``"subset"``, ``"movable"``).

    Returns
    -------
    mask, label
        ``bool[n]`` and the canonical text of the selection (``"governorate=IQG15"`` or
        ``"12 units"``).

    Raises
    ------
    ConfigError
        An unknown admin level, code or unit id (named), an empty selection.
    Examples
    --------
    >>> from dayafter.testing.grids import grid_territory
    >>> t = grid_territory(2, 2)
    >>> mask, label = select_units(t, ["u00000", "u00003"])
    >>> mask.tolist(), label
    ([True, False, False, True], '2 units')
    """
    n = territory.n_units
    if isinstance(spec, np.ndarray) and spec.dtype == bool:
        if spec.shape != (n,):
            raise InputDataError(f"the {what} mask needs {n} values, got {spec.size}")
        mask = spec.copy()
        label = f"{int(mask.sum())} units"
    elif isinstance(spec, str) and "=" in spec:
        mask = np.zeros(n, dtype=bool)
        parts = []
        for part in spec.split(";"):
            level, _, codes = part.partition("=")
            level = level.strip()
            wanted = [c.strip() for c in codes.split(",") if c.strip()]
            if level not in territory.admin:
                raise ConfigError(f"{what} {spec!r}: unknown admin level {level!r}",
                                  hint=f"use one of {list(territory.admin)}, e.g. "
                                       f"{next(iter(territory.admin), 'governorate')}=CODE")
            have = territory.admin[level].astype(str)
            unknown = [c for c in wanted if c not in set(have.tolist())]
            if unknown or not wanted:
                raise ConfigError(f"{what} {spec!r}: unknown or missing {level} codes "
                                  f"{unknown or wanted}",
                                  hint=f"use some of {sorted(set(have.tolist()))[:12]}")
            mask |= np.isin(have, wanted)
            parts.append(f"{level}={','.join(wanted)}")
        label = ";".join(parts)
    else:
        ids = [u.strip() for u in spec.split(",") if u.strip()] if isinstance(spec, str) \
            else [str(u) for u in spec]
        known = set(territory.unit_ids.tolist())
        unknown = [u for u in ids if u not in known]
        if unknown:
            raise ConfigError(
                f"{what} {spec if isinstance(spec, str) else ids[:5]!r}: {len(unknown)} unit ids "
                f"are not in territory {territory.name or '(unnamed)'}: {first_ids(unknown)}",
                hint="write LEVEL=CODE[,CODE...] (e.g. governorate=IQG15) or the units' ids")
        mask = np.zeros(n, dtype=bool)
        mask[territory.index(ids, source=what)] = True
        label = f"{int(mask.sum())} units"
    if not mask.any():
        raise ConfigError(f"the {what} selects no unit", hint="check the codes or ids")
    return mask, label
