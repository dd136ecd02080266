"""Plans: an immutable assignment of units to regions, with per-region attributes.

>>> import numpy as np
>>> from dayafter.plan import Plan, Region
>>> p = Plan(np.array([0, 0, 1]), (Region("North", "krg"), Region("South", "federal")),
...          territory_hash="abc")
>>> p.k, p.region_sizes().tolist()
(2, [2, 1])
>>> q = p.with_moves([1], 1)
>>> q.assignment.tolist(), p.assignment.tolist()
([0, 1, 1], [0, 0, 1])
>>> q.authority_of_units().tolist()
['krg', 'federal', 'federal']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from dayafter.errors import InputDataError, PlanMismatchError, first_ids

if TYPE_CHECKING:
    from dayafter.territory import Territory

__all__ = ["UNASSIGNED", "Plan", "Region"]

UNASSIGNED = -1
"""Assignment value of a unit that belongs to no region yet."""


@dataclass(frozen=True)
class Region:
    """Attributes of one region of a plan.

    Parameters
    ----------
    name
        Display name, unique within a plan (e.g. ``"Nineveh Plains"``).
    authority
        Who governs it, e.g. ``"federal"``, ``"krg"`` or ``"self-administered"``.
    status
        Free text: ``"governorate"``, ``"autonomous province"``, ``"shared administration"``.
    """

    name: str
    authority: str = ""
    status: str = ""

    def to_dict(self) -> dict[str, str]:
        """Plain dictionary form."""
        return {"name": self.name, "authority": self.authority, "status": self.status}


@dataclass(frozen=True, eq=False)
class Plan:
    """An assignment of every unit to one of ``k`` regions (immutable).

    Parameters
    ----------
    assignment
        ``int32[n]`` region index per unit in the territory's unit order; ``-1`` = unassigned.
    regions
        ``k`` :class:`Region` rows; region ``j`` is ``regions[j]``.
    territory_hash
        :attr:`Territory.content_hash` of the data the plan was made for.
    name, notes
        Label and free text (sources, assumptions).
    meta
        Extra provenance (e.g. ``{"sources": ["PS1"]}``, optimizer certificates).
    """

    assignment: NDArray[np.int32]
    regions: tuple[Region, ...]
    territory_hash: str
    name: str = ""
    notes: str = ""
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        a = np.array(self.assignment, dtype=np.int64, copy=True)
        if a.ndim != 1:
            raise InputDataError("a plan's assignment must be one-dimensional")
        regions = tuple(r if isinstance(r, Region) else Region(**r) for r in self.regions)
        k = len(regions)
        if a.size and (a.min() < UNASSIGNED or a.max() >= k):
            bad = np.flatnonzero((a < UNASSIGNED) | (a >= k))
            raise InputDataError(
                f"plan {self.name!r} assigns units to regions outside 0..{k - 1} "
                f"(unit positions {first_ids(bad.tolist())})",
                hint="add the missing regions or fix the assignment",
            )
        names = [r.name for r in regions]
        if len(set(names)) != len(names):
            dup = sorted({x for x in names if names.count(x) > 1})
            raise InputDataError(f"plan {self.name!r} has duplicate region names {dup}",
                                 hint="give every region its own name")
        a32 = a.astype(np.int32)
        a32.setflags(write=False)
        object.__setattr__(self, "assignment", a32)
        object.__setattr__(self, "regions", regions)
        object.__setattr__(self, "meta", MappingProxyType(dict(self.meta)))

    # ------------------------------------------------------------------ facts
    @property
    def k(self) -> int:
        """Number of regions."""
        return len(self.regions)

    @property
    def n_units(self) -> int:
        """Number of units."""
        return int(self.assignment.size)

    @property
    def is_complete(self) -> bool:
        """True when every unit belongs to a region."""
        return bool(np.all(self.assignment >= 0))

    @property
    def region_names(self) -> list[str]:
        """Region names in index order."""
        return [r.name for r in self.regions]

    def region_sizes(self) -> NDArray[np.int64]:
        """Number of units in each region."""
        a = self.assignment
        return np.bincount(a[a >= 0], minlength=self.k)

    def authority_of_units(self) -> NDArray[np.object_]:
        """Authority of each unit's region (``""`` when unassigned)."""
        auth = np.array([r.authority for r in self.regions] + [""], dtype=object)
        return auth[self.assignment]  # -1 picks the trailing ""

    def region_index(self, name: str) -> int:
        """Index of the region called ``name``."""
        for j, r in enumerate(self.regions):
            if r.name == name:
                return j
        raise InputDataError(f"plan {self.name!r} has no region {name!r}",
                             hint=f"use one of {self.region_names}")

    # ------------------------------------------------------------------ checks
    def check_territory(self, territory: Territory, *, source: str = "") -> None:
        """Raise :class:`PlanMismatchError` unless the plan was made for ``territory``."""
        if self.n_units != territory.n_units:
            raise PlanMismatchError(
                f"plan {self.name!r} has {self.n_units} units but territory "
                f"{territory.name or '(unnamed)'} has {territory.n_units}",
                hint="load the plan with the territory it was made for",
                source=source,
            )
        if self.territory_hash and self.territory_hash != territory.content_hash:
            raise PlanMismatchError(
                f"plan {self.name!r} was made for territory data with hash "
                f"{self.territory_hash[:12]}, not {territory.content_hash[:12]} "
                f"({territory.name or 'unnamed'})",
                hint="re-import the plan from its assignment CSV to attach it to the new data",
                source=source,
            )

    # ------------------------------------------------------------------ edits
    def with_moves(self, units: ArrayLike, to: ArrayLike) -> Plan:
        """A new plan with ``units`` (indices) moved to region(s) ``to`` (``-1`` unassigns)."""
        a = self.assignment.copy()
        a.setflags(write=True)
        units = np.asarray(units, dtype=np.int64)
        to_arr = np.broadcast_to(np.asarray(to, dtype=np.int64), units.shape)
        if units.size and (units.min() < 0 or units.max() >= a.size):
            raise InputDataError("unit index out of range in with_moves")
        if to_arr.size and (to_arr.min() < UNASSIGNED or to_arr.max() >= self.k):
            raise InputDataError(f"target region outside 0..{self.k - 1} in with_moves")
        a[units] = to_arr
        return replace(self, assignment=a.astype(np.int32))

    def with_regions(self, regions: Sequence[Region]) -> Plan:
        """A new plan with new region attributes (same number of regions or more)."""
        return replace(self, regions=tuple(regions))

    def with_region(self, index: int, **changes: str) -> Plan:
        """A new plan with region ``index`` changed (``name``, ``authority`` or ``status``)."""
        regs = list(self.regions)
        regs[index] = replace(regs[index], **changes)
        return replace(self, regions=tuple(regs))

    def add_region(self, region: Region) -> Plan:
        """A new plan with one more (empty) region at the end."""
        return replace(self, regions=(*self.regions, region))

    def renamed(self, name: str, notes: str | None = None) -> Plan:
        """A copy with another name (and notes)."""
        return replace(self, name=name, notes=self.notes if notes is None else notes)

    def relabeled(self, order: Sequence[int]) -> Plan:
        """The same plan with regions renumbered: new region ``j`` is old region ``order[j]``."""
        order_arr = np.asarray(order, dtype=np.int64)
        if sorted(order_arr.tolist()) != list(range(self.k)):
            raise InputDataError("relabeled needs a permutation of the region indices")
        inv = np.empty(self.k + 1, dtype=np.int64)
        inv[order_arr] = np.arange(self.k)
        inv[-1] = UNASSIGNED
        return replace(self, assignment=inv[self.assignment].astype(np.int32),
                       regions=tuple(self.regions[j] for j in order_arr))

    # ------------------------------------------------------------------ comparison
    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Plan):
            return NotImplemented
        return (
            np.array_equal(self.assignment, other.assignment)
            and self.regions == other.regions
            and self.territory_hash == other.territory_hash
            and self.name == other.name
            and self.notes == other.notes
            and dict(self.meta) == dict(other.meta)
        )

    def __hash__(self) -> int:
        return hash((self.assignment.tobytes(), self.regions, self.territory_hash, self.name))

    @classmethod
    def from_unit_map(
        cls,
        territory: Territory,
        mapping: Mapping[str, int | str],
        regions: Sequence[Region] | None = None,
        *,
        name: str = "",
        notes: str = "",
        meta: Mapping[str, Any] | None = None,
        source: str = "",
        allow_unassigned: bool = True,
    ) -> Plan:
        """Build from ``{unit_id: region}`` where region is an index or a region name.

        Unknown unit ids raise an error naming them; units absent from the mapping are left
        unassigned (or raise when ``allow_unassigned`` is False).
        """
        if regions is None:
            seen: list[str] = []
            for r in mapping.values():
                if isinstance(r, str) and r not in seen:
                    seen.append(r)
            regions = [Region(r) for r in seen]
        regions = tuple(regions)
        by_name = {r.name: j for j, r in enumerate(regions)}
        idx = territory.index(list(mapping), source=source)
        a = np.full(territory.n_units, UNASSIGNED, dtype=np.int64)
        bad = []
        for i, (uid, r) in zip(idx, mapping.items(), strict=True):
            if isinstance(r, str):
                if r not in by_name:
                    bad.append(uid)
                    continue
                a[i] = by_name[r]
            else:
                a[i] = int(r)
        if bad:
            raise InputDataError(
                f"{len(bad)} units are assigned to regions the plan does not define: "
                f"{first_ids(bad)}", unit_ids=bad, source=source,
                hint="list every region in the plan's regions table")
        if not allow_unassigned and np.any(a < 0):
            missing = territory.unit_ids[a < 0].tolist()
            raise InputDataError(
                f"{len(missing)} units of the territory are missing from the plan: "
                f"{first_ids(missing)}", unit_ids=missing, source=source,
                hint="assign them or allow unassigned units")
        return cls(a.astype(np.int32), regions, territory.content_hash, name=name, notes=notes,
                   meta=meta or {})
