"""Plans: an immutable assignment of units to regions, with per-region attributes, and control.

A plan has two layers:

- **polities**: ``assignment`` puts every unit in a region (a governorate, a new province, a
  region) that elects a council and whose composition defines empowerment; each
  :class:`Region` carries the ``authority`` the polity belongs to (``"federal"``, ``"krg"``,
  ``"self-administered"``);
- **control**: who holds administration and security in each unit (``"federal"``, ``"krg"``,
  ``"joint"``, ``"self-administered"``, ``"contested"``), stored as ``control`` (``int8[n]``
  codes into ``control_labels``). A unit without a control entry (code ``-1``) follows its
  polity's authority, so a plan that never states control reads as "control = polity".

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
>>> c = q.with_control([1], "krg")               # KRG-held unit inside the federal polity
>>> c.control_of_units().tolist(), c.authority_of_units().tolist()
(['krg', 'krg', 'federal'], ['krg', 'federal', 'federal'])
>>> c.with_moves([2], 0).control_of_units().tolist()  # moving a polity keeps stated control
['krg', 'krg', 'krg']
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

__all__ = [
    "CONTROL_ALIASES",
    "CONTROL_VALUES",
    "NO_CONTROL",
    "UNASSIGNED",
    "Plan",
    "Region",
    "normalize_control",
]

UNASSIGNED = -1
"""Assignment value of a unit that belongs to no region yet."""

NO_CONTROL = -1
"""Control code of a unit whose control follows its polity's authority."""

CONTROL_VALUES = ("federal", "krg", "joint", "self-administered", "contested")
"""The control vocabulary of the built-in case (any non-empty label is accepted):

- ``federal``: federal administration and security forces (Baghdad);
- ``krg``: Kurdistan Regional Government administration and Peshmerga/Asayish;
- ``joint``: both present side by side (e.g. Kirkuk district before June 2014);
- ``self-administered``: a local administration with its own security (PS1's province);
- ``contested``: no authority holds it (front lines, rival administrations).
"""

CONTROL_ALIASES = {"shared": "joint"}
"""Authority words read as control labels (a ``shared`` polity is ``joint`` control)."""


def normalize_control(label: str) -> str:
    """The control label an authority word stands for (``"shared"`` -> ``"joint"``).

    >>> normalize_control("shared"), normalize_control("krg")
    ('joint', 'krg')
    """
    s = str(label).strip()
    return CONTROL_ALIASES.get(s, s)


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
    control
        ``int8[n]`` control code per unit, an index into ``control_labels``; ``-1`` (or
        ``None`` for every unit) means the unit's control follows its polity's authority.
    control_labels
        The control vocabulary the codes index (default :data:`CONTROL_VALUES`; labels in use
        outside it are appended).

    Notes
    -----
    Metrics of composition (empowerment, stranded population, councils) read the polity layer
    (``assignment``); who governs and secures a unit (security rules, compensation of released
    holdings, change in control) reads the control layer (:meth:`control_of_units`).
    """

    assignment: NDArray[np.int32]
    regions: tuple[Region, ...]
    territory_hash: str
    name: str = ""
    notes: str = ""
    meta: Mapping[str, Any] = field(default_factory=dict)
    control: NDArray[np.int8] | None = None
    control_labels: tuple[str, ...] = CONTROL_VALUES

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
        labels = tuple(str(x) for x in self.control_labels)
        if any(not x.strip() for x in labels) or len(set(labels)) != len(labels):
            raise InputDataError(f"plan {self.name!r}: control labels must be unique and non-empty, "
                                 f"got {list(labels)}", hint="use labels such as 'federal', 'krg'")
        if len(labels) > 127:
            raise InputDataError(f"plan {self.name!r} has {len(labels)} control labels (at most 127)")
        if self.control is None:
            ctl = np.full(a.size, NO_CONTROL, dtype=np.int8)
        else:
            c = np.array(self.control, dtype=np.int64, copy=True)
            if c.shape != a.shape:
                raise InputDataError(
                    f"plan {self.name!r}: control has shape {c.shape}, the assignment {a.shape}",
                    hint="give one control code per unit (-1: follows the polity)")
            if c.size and (c.min() < NO_CONTROL or c.max() >= len(labels)):
                bad = np.flatnonzero((c < NO_CONTROL) | (c >= len(labels)))
                raise InputDataError(
                    f"plan {self.name!r}: control codes outside -1..{len(labels) - 1} "
                    f"(unit positions {first_ids(bad.tolist())})",
                    hint="codes index control_labels; -1 means the unit follows its polity")
            ctl = c.astype(np.int8)
        ctl.setflags(write=False)
        object.__setattr__(self, "assignment", a32)
        object.__setattr__(self, "regions", regions)
        object.__setattr__(self, "meta", MappingProxyType(dict(self.meta)))
        object.__setattr__(self, "control", ctl)
        object.__setattr__(self, "control_labels", labels)

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
        """Polity layer: the authority of each unit's region (``""`` when unassigned)."""
        auth = np.array([r.authority for r in self.regions] + [""], dtype=object)
        return auth[self.assignment]  # -1 picks the trailing ""

    @property
    def has_control(self) -> bool:
        """True when some unit has a stated control (else control follows the polities)."""
        assert self.control is not None
        return bool(np.any(self.control >= 0))

    def control_of_units(self) -> NDArray[np.object_]:
        """Control layer: who holds each unit (``object[n]`` labels).

        A unit with a stated control gets its label; any other unit gets its polity's authority
        read as a control label (:func:`normalize_control`), ``""`` when it is unassigned.
        """
        assert self.control is not None
        auth = np.array([normalize_control(r.authority) for r in self.regions] + [""], dtype=object)
        out = auth[self.assignment]
        stated = self.control >= 0
        if stated.any():
            labels = np.array(self.control_labels, dtype=object)
            out[stated] = labels[self.control[stated]]
        return out

    def control_codes(self, vocabulary: Sequence[str] = CONTROL_VALUES) -> NDArray[np.int8]:
        """``int8[n]``: each unit's control as an index into ``vocabulary`` (-1: not in it).

        The flat form engines use (security rules, returns models): one look-up per unit.
        """
        pos = {v: i for i, v in enumerate(vocabulary)}
        labels = self.control_of_units()
        return np.array([pos.get(x, -1) for x in labels.tolist()], dtype=np.int8)

    def control_by_region(self) -> list[dict[str, int]]:
        """Per region (polity), the number of its units held by each control label."""
        labels = self.control_of_units().tolist()
        out: list[dict[str, int]] = [{} for _ in range(self.k)]
        for r, x in zip(self.assignment.tolist(), labels, strict=True):
            if r >= 0 and x:
                out[r][x] = out[r].get(x, 0) + 1
        return [dict(sorted(d.items())) for d in out]

    def control_summary(self) -> dict[str, int]:
        """Units per control label (unassigned units without stated control are left out)."""
        labels = [x for x in self.control_of_units().tolist() if x]
        out: dict[str, int] = {}
        for x in labels:
            out[x] = out.get(x, 0) + 1
        return dict(sorted(out.items()))

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

    def with_control(self, units: ArrayLike, label: str | None) -> Plan:
        """A new plan in which ``units`` (indices) are held by ``label`` (``None``: follow the polity).

        A label outside :attr:`control_labels` is appended to them.
        """
        units = np.asarray(units, dtype=np.int64)
        if units.size and (units.min() < 0 or units.max() >= self.n_units):
            raise InputDataError("unit index out of range in with_control")
        assert self.control is not None
        labels = self.control_labels
        if label is None:
            code = NO_CONTROL
        else:
            lab = normalize_control(label)
            if not lab:
                raise InputDataError("a control label must be non-empty",
                                     hint="use e.g. 'federal', 'krg', 'joint' (None clears it)")
            if lab not in labels:
                labels = (*labels, lab)
            code = labels.index(lab)
        c = self.control.astype(np.int8, copy=True)
        c[units] = code
        return replace(self, control=c, control_labels=labels)

    def with_control_of(self, mapping: Mapping[int, str | None]) -> Plan:
        """A new plan with the control of several units set (``{unit index: label or None}``)."""
        new = self
        for label in dict.fromkeys(mapping.values()):
            new = new.with_control([u for u, v in mapping.items() if v == label], label)
        return new

    def without_control(self) -> Plan:
        """The same polities with control following them everywhere (no stated control)."""
        return replace(self, control=None, control_labels=CONTROL_VALUES)

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
            and np.array_equal(self._stated_control(), other._stated_control())
        )

    def _stated_control(self) -> NDArray[np.object_]:
        """Stated control labels per unit (``None`` where control follows the polity)."""
        assert self.control is not None
        labels = np.array([*self.control_labels, None], dtype=object)
        return labels[self.control]  # -1 picks the trailing None

    def __hash__(self) -> int:
        assert self.control is not None
        return hash((self.assignment.tobytes(), self.regions, self.territory_hash, self.name,
                     self.control.tobytes()))

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
        control: Mapping[str, str] | None = None,
    ) -> Plan:
        """Build from ``{unit_id: region}`` where region is an index or a region name.

        Unknown unit ids raise an error naming them; units absent from the mapping are left
        unassigned (or raise when ``allow_unassigned`` is False). ``control`` maps unit ids to
        control labels (units not listed follow their polity).
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
        plan = cls(a.astype(np.int32), regions, territory.content_hash, name=name, notes=notes,
                   meta=meta or {})
        if control:
            cidx = territory.index(list(control), source=source)
            plan = plan.with_control_of(dict(zip(cidx.tolist(), control.values(), strict=True)))
        return plan
