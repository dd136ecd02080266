"""Constraints of a ReCom chain: population bounds, a subset, locked units and regions, splits.

Population bounds and locks are part of the proposal itself (a cut that breaks them is never
balanced), so the chain targets the constrained distribution exactly. The cap on admin splits is a
rejection constraint: a proposal over the cap is a self-loop, counted as ``rejected_splits``.

A *subset* (``"governorate=IQG15"``, or unit ids) is the part of the territory a chain may change:
every unit outside it keeps its region (it is locked), and regions without a unit in it never
change. The bounds then read the regions that take part (``balance``): ``"equal"`` shares their
population equally (within ``tolerance``), ``"plan"`` keeps each between the smallest and the
largest of them in the reference plan (widened by ``tolerance``), ``"wide"`` bounds nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dayafter.errors import ConfigError, InfeasibleError, first_ids
from dayafter.territory import Territory, select_units
from dayafter.validation import DEFAULT_TOLERANCE, PARAMETERS

__all__ = ["ChainConstraints", "CompiledConstraints"]

_KEYS = ("census", "tolerance", "pop_min", "pop_max", "locked_units", "locked_regions",
         "max_splits", "subset", "balance")
BALANCES = ("equal", "plan", "wide")


@dataclass(frozen=True)
class CompiledConstraints:
    """Constraint arrays for the kernels (see :mod:`dayafter._kernels.recom`)."""

    pop: NDArray[np.float64]
    lo: NDArray[np.float64]
    hi: NDArray[np.float64]
    lock: NDArray[np.int64]
    region_locked: NDArray[np.bool_]
    adm_codes: NDArray[np.int64]
    adm_offsets: NDArray[np.int64]
    adm_caps: NDArray[np.int64]
    adm_levels: tuple[str, ...]
    subset: NDArray[np.bool_] | None = None
    part: NDArray[np.bool_] | None = None


@dataclass(frozen=True)
class ChainConstraints:
    """What every plan of a chain must satisfy.

    Parameters
    ----------
    census
        Census whose total population is balanced (``None``: the territory's first census).
    tolerance
        Allowed relative deviation from the ideal population ``total / k`` (``0.05`` = 5%), in
        ``[0, 1]``; default :data:`dayafter.validation.DEFAULT_TOLERANCE`, as every engine.
        Ignored for a side given by ``pop_min`` or ``pop_max``.
    pop_min, pop_max
        Absolute bounds: one number for every region, or one per region.
    locked_units
        Unit ids that keep the region they have in the starting plan.
    locked_regions
        Regions (index or name) that never change.
    max_splits
        Admin level to the largest number of its units that may be split among regions.
    subset
        The units the chain may change (see the module docstring): ``"LEVEL=CODE[,CODE]"`` or
        unit ids; ``None`` for all.
    balance
        ``"equal"`` (default), ``"plan"`` or ``"wide"``: how the population bounds of the regions
        that take part are set (see the module docstring).

    Examples
    --------
    >>> c = ChainConstraints.from_dict({"tolerance": 0.02, "max_splits": {"governorate": 3}})
    >>> c.to_dict()["max_splits"]
    {'governorate': 3}
    """

    census: str | None = None
    tolerance: float | None = DEFAULT_TOLERANCE
    pop_min: float | tuple[float, ...] | None = None
    pop_max: float | tuple[float, ...] | None = None
    locked_units: tuple[str, ...] = ()
    locked_regions: tuple[int | str, ...] = ()
    max_splits: Mapping[str, int] = field(default_factory=dict)
    subset: str | tuple[str, ...] | None = None
    balance: str = "equal"

    def __post_init__(self) -> None:
        PARAMETERS["tolerance"].check(self.tolerance, "ChainConstraints")

    @classmethod
    def from_dict(cls, spec: Mapping[str, Any] | ChainConstraints | None) -> ChainConstraints:
        """Build from a plain mapping; unknown keys raise :class:`ConfigError`."""
        if isinstance(spec, ChainConstraints):
            return spec
        if spec is not None and not isinstance(spec, Mapping):
            raise ConfigError(f"constraints must be a mapping, got {type(spec).__name__}",
                              hint='e.g. {"tolerance": 0.05}')
        spec = dict(spec or {})
        unknown = sorted(set(spec) - set(_KEYS))
        if unknown:
            raise ConfigError(f"unknown constraint keys {unknown}",
                              hint=f"use only {list(_KEYS)}")
        kw: dict[str, Any] = {}
        if "census" in spec:
            kw["census"] = None if spec["census"] is None else str(spec["census"])
        if "tolerance" in spec:
            tol = PARAMETERS["tolerance"].check(spec["tolerance"], "ChainConstraints")
            kw["tolerance"] = None if tol is None else float(tol)
        for key in ("pop_min", "pop_max"):
            if spec.get(key) is not None:
                val = spec[key]
                kw[key] = (tuple(float(x) for x in val) if isinstance(val, (list, tuple))
                           else float(val))
        if "locked_units" in spec:
            kw["locked_units"] = tuple(str(u) for u in spec["locked_units"] or ())
        if "locked_regions" in spec:
            kw["locked_regions"] = tuple(spec["locked_regions"] or ())
        if "max_splits" in spec:
            caps = spec["max_splits"] or {}
            if not isinstance(caps, Mapping):
                raise ConfigError("max_splits must map an admin level to a number",
                                  hint='e.g. {"governorate": 2}')
            for lvl, cap in caps.items():
                if not isinstance(cap, int) or cap < 0:
                    raise ConfigError(f"max_splits[{lvl!r}] must be a non-negative integer")
            kw["max_splits"] = {str(k): int(v) for k, v in caps.items()}
        if spec.get("subset") is not None:
            sub = spec["subset"]
            if isinstance(sub, str):
                kw["subset"] = sub.strip()
            elif isinstance(sub, (list, tuple)) and all(isinstance(u, str) for u in sub):
                kw["subset"] = tuple(sub)
            else:
                raise ConfigError("subset must be 'LEVEL=CODE[,CODE...]' or a list of unit ids",
                                  hint='e.g. {"subset": "governorate=IQG15"}')
        if spec.get("balance") is not None:
            if spec["balance"] not in BALANCES:
                raise ConfigError(f"unknown balance {spec['balance']!r}",
                                  hint=f"use one of {list(BALANCES)}")
            kw["balance"] = str(spec["balance"])
        return cls(**kw)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form (every field, for the run manifest)."""
        def plain(v: Any) -> Any:
            return list(v) if isinstance(v, tuple) else v

        return {
            "census": self.census,
            "tolerance": self.tolerance,
            "pop_min": plain(self.pop_min),
            "pop_max": plain(self.pop_max),
            "locked_units": list(self.locked_units),
            "locked_regions": list(self.locked_regions),
            "max_splits": dict(self.max_splits),
            "subset": plain(self.subset),
            "balance": self.balance,
        }

    def subset_mask(self, territory: Territory) -> NDArray[np.bool_] | None:
        """The units of the subset as a mask (``None`` when there is no subset)."""
        if self.subset is None:
            return None
        spec = self.subset if isinstance(self.subset, str) else list(self.subset)
        return select_units(territory, spec, what="subset")[0]

    def bounds(self, territory: Territory, k: int, *,
               assignment: NDArray[np.integer] | None = None,
               taking_part: NDArray[np.bool_] | None = None,
               reference: tuple[NDArray[np.integer], int] | None = None
               ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Lower and upper population bound of each region.

        Parameters
        ----------
        territory, k
            The territory and the number of regions.
        assignment
            The starting plan (needed with a subset: the regions that take part share the
            population of the units they hold).
        taking_part
            ``bool[k]`` regions that take part (default all); the others get no bounds.
        reference
            ``(assignment, k)`` of the plan whose regions set the ``"plan"`` balance (default the
            starting plan).
        """
        pop = territory.population(self.census)
        part = np.ones(k, dtype=bool) if taking_part is None else np.asarray(taking_part, bool)
        n_part = int(part.sum())
        if assignment is not None:
            a = np.asarray(assignment, dtype=np.int64)
            rp = np.bincount(a[a >= 0], weights=pop[a >= 0], minlength=k)
            share = float(rp[part].sum())
        else:
            share = float(pop.sum())
        ideal = share / max(n_part, 1)
        tol = self.tolerance
        if self.balance == "plan":
            ref_a, ref_k = reference if reference is not None else (assignment, k)
            if ref_a is None:
                raise ConfigError("balance 'plan' needs a plan to read the regions' populations")
            ra = np.asarray(ref_a, dtype=np.int64)
            mask = self.subset_mask(territory)
            rpop = np.bincount(ra[ra >= 0], weights=pop[ra >= 0], minlength=ref_k)
            inside = np.ones(ref_k, bool) if mask is None else \
                np.bincount(ra[mask & (ra >= 0)], minlength=ref_k) > 0
            small, large = float(rpop[inside].min()), float(rpop[inside].max())
            t = 0.0 if tol is None else tol
            lo_v, hi_v = small * (1.0 - t), large * (1.0 + t)
        elif self.balance == "wide" or tol is None:
            lo_v, hi_v = 0.0, np.inf
        else:
            lo_v, hi_v = ideal * (1.0 - tol), ideal * (1.0 + tol)

        def side(val: float | tuple[float, ...] | None, default: float) -> NDArray[np.float64]:
            if val is None:
                return np.full(k, default)
            arr = np.broadcast_to(np.asarray(val, dtype=np.float64), (k,)) \
                if np.ndim(val) == 0 else np.asarray(val, dtype=np.float64)
            if arr.shape != (k,):
                raise ConfigError(f"population bounds need 1 or {k} values, got {arr.size}")
            return arr.copy()

        lo = side(self.pop_min, lo_v if self.balance != "wide" else 0.0)
        hi = side(self.pop_max, hi_v if self.balance != "wide" else np.inf)
        lo[~part] = -np.inf
        hi[~part] = np.inf
        return lo, hi

    def compile(self, territory: Territory, assignment: NDArray[np.integer], k: int,
                region_names: Sequence[str] = (), *,
                reference: tuple[NDArray[np.integer], int] | None = None
                ) -> CompiledConstraints:
        """Check the starting plan against the constraints and return kernel arrays.

        ``reference`` is the plan whose regions set the ``"plan"`` balance (default: the starting
        plan; a run that starts from seeded plans passes the user's plan).

        Raises
        ------
        ConfigError
            A census, admin level, region or unit named here does not exist.
        InfeasibleError
            The starting plan breaks a constraint (named with the regions or units concerned).
        """
        a = np.asarray(assignment, dtype=np.int64)
        n = territory.n_units
        if a.shape != (n,) or (a.size and (a.min() < 0 or a.max() >= k)):
            raise ConfigError(f"the starting plan must assign all {n} units to regions 0..{k - 1}",
                              hint="assign the unassigned units first")
        try:
            pop = np.ascontiguousarray(territory.population(self.census), dtype=np.float64)
        except Exception as exc:
            raise ConfigError(str(exc), hint=f"use one of {list(territory.census_names)}") from exc
        names = list(region_names)

        def name(j: int) -> str:
            return names[j] if j < len(names) else str(j)

        lock = np.full(n, -1, dtype=np.int64)
        region_locked = np.zeros(k, dtype=np.bool_)
        part = np.ones(k, dtype=np.bool_)
        subset = self.subset_mask(territory)
        if subset is not None:
            lock[~subset] = a[~subset]
            part = np.bincount(a[subset], minlength=k) > 0
            region_locked |= ~part
            if int(part.sum()) < 2:
                raise InfeasibleError(
                    f"the subset {self.subset!r} lies in {int(part.sum())} region of "
                    "the plan; a chain needs at least two regions to recombine",
                    hint="use a plan that divides the subset, or a wider subset")
        if self.locked_units:
            idx = territory.index(list(self.locked_units), source="locked_units")
            lock[idx] = a[idx]
        for r in self.locked_regions:
            if isinstance(r, str) and not r.lstrip("-").isdigit():
                if r not in names:
                    raise ConfigError(f"locked region {r!r} is not a region of the plan",
                                      hint=f"use one of {names}")
                region_locked[names.index(r)] = True
            else:
                j = int(r)
                if not 0 <= j < k:
                    raise ConfigError(f"locked region {j} is outside 0..{k - 1}")
                region_locked[j] = True
        lo, hi = self.bounds(territory, k, assignment=a, taking_part=part, reference=reference)
        rp = np.bincount(a, weights=pop, minlength=k)
        bad = np.flatnonzero((rp < lo - 1e-9) | (rp > hi + 1e-9))
        if bad.size:
            raise InfeasibleError(
                f"the starting plan breaks the population bounds in regions "
                f"{[name(j) for j in bad.tolist()]} (populations {np.round(rp[bad], 1).tolist()}, bounds "
                f"{np.round(lo[bad], 1).tolist()}..{np.round(hi[bad], 1).tolist()})",
                hint="start from a balanced plan (see dayafter.ensemble.seed_plan), widen "
                     "the tolerance, or use balance 'plan' or 'wide'")
        levels = tuple(self.max_splits)
        codes_rows = []
        offsets = [0]
        caps = []
        for lvl in levels:
            if lvl not in territory.admin:
                raise ConfigError(f"max_splits names unknown admin level {lvl!r}",
                                  hint=f"use one of {list(territory.admin)}")
            codes, anames = territory.admin_codes(lvl)
            codes_rows.append(codes.astype(np.int64))
            offsets.append(offsets[-1] + anames.size)
            caps.append(int(self.max_splits[lvl]))
            # the starting plan must respect the cap
            seen = np.unique(np.stack([codes, a]), axis=1)
            per = np.bincount(seen[0], minlength=anames.size)
            split = anames[per > 1]
            if split.size > caps[-1]:
                raise InfeasibleError(
                    f"the starting plan splits {split.size} units of admin level {lvl!r} "
                    f"({first_ids(split.tolist())}), more than max_splits={caps[-1]}",
                    hint="raise the cap or start from a plan that splits fewer")
        adm_codes = (np.stack(codes_rows) if codes_rows else np.zeros((0, n), dtype=np.int64))
        return CompiledConstraints(
            pop=pop,
            lo=np.ascontiguousarray(lo),
            hi=np.ascontiguousarray(hi),
            lock=lock,
            region_locked=region_locked,
            adm_codes=np.ascontiguousarray(adm_codes, dtype=np.int64),
            adm_offsets=np.asarray(offsets, dtype=np.int64),
            adm_caps=np.asarray(caps, dtype=np.int64),
            adm_levels=levels,
            subset=subset,
            part=part,
        )
