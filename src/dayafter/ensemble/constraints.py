"""Constraints of a ReCom chain: population bounds, locked units and regions, admin splits.

Population bounds and locks are part of the proposal itself (a cut that breaks them is never
balanced), so the chain targets the constrained distribution exactly. The cap on admin splits is a
rejection constraint: a proposal over the cap is a self-loop, counted as ``rejected_splits``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dayafter.errors import ConfigError, InfeasibleError, first_ids
from dayafter.territory import Territory
from dayafter.validation import DEFAULT_TOLERANCE, PARAMETERS

__all__ = ["ChainConstraints", "CompiledConstraints"]

_KEYS = ("census", "tolerance", "pop_min", "pop_max", "locked_units", "locked_regions",
         "max_splits")


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
        }

    def bounds(self, territory: Territory, k: int) -> tuple[NDArray[np.float64],
                                                           NDArray[np.float64]]:
        """Lower and upper population bound of each region."""
        pop = territory.population(self.census)
        ideal = float(pop.sum()) / k

        def side(val: float | tuple[float, ...] | None, sign: float) -> NDArray[np.float64]:
            if val is None:
                if self.tolerance is None:
                    return np.full(k, -np.inf if sign < 0 else np.inf)
                return np.full(k, ideal * (1.0 + sign * self.tolerance))
            arr = np.broadcast_to(np.asarray(val, dtype=np.float64), (k,)) \
                if np.ndim(val) == 0 else np.asarray(val, dtype=np.float64)
            if arr.shape != (k,):
                raise ConfigError(f"population bounds need 1 or {k} values, got {arr.size}")
            return arr.copy()

        return side(self.pop_min, -1.0), side(self.pop_max, 1.0)

    def compile(self, territory: Territory, assignment: NDArray[np.integer], k: int,
                region_names: Sequence[str] = ()) -> CompiledConstraints:
        """Check the starting plan against the constraints and return kernel arrays.

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
        lo, hi = self.bounds(territory, k)
        rp = np.bincount(a, weights=pop, minlength=k)
        bad = np.flatnonzero((rp < lo - 1e-9) | (rp > hi + 1e-9))
        if bad.size:
            names = [region_names[j] if j < len(region_names) else str(j) for j in bad]
            raise InfeasibleError(
                f"the starting plan breaks the population bounds in regions {names} "
                f"(populations {np.round(rp[bad], 1).tolist()}, bounds "
                f"{np.round(lo[bad], 1).tolist()}..{np.round(hi[bad], 1).tolist()})",
                hint="start from a balanced plan (see dayafter.ensemble.seed_plan) or widen "
                     "the tolerance")
        lock = np.full(n, -1, dtype=np.int64)
        if self.locked_units:
            idx = territory.index(list(self.locked_units), source="locked_units")
            lock[idx] = a[idx]
        region_locked = np.zeros(k, dtype=np.bool_)
        for r in self.locked_regions:
            if isinstance(r, str) and not r.lstrip("-").isdigit():
                if r not in region_names:
                    raise ConfigError(f"locked region {r!r} is not a region of the plan",
                                      hint=f"use one of {list(region_names)}")
                region_locked[list(region_names).index(r)] = True
            else:
                j = int(r)
                if not 0 <= j < k:
                    raise ConfigError(f"locked region {j} is outside 0..{k - 1}")
                region_locked[j] = True
        levels = tuple(self.max_splits)
        codes_rows = []
        offsets = [0]
        caps = []
        for lvl in levels:
            if lvl not in territory.admin:
                raise ConfigError(f"max_splits names unknown admin level {lvl!r}",
                                  hint=f"use one of {list(territory.admin)}")
            codes, names = territory.admin_codes(lvl)
            codes_rows.append(codes.astype(np.int64))
            offsets.append(offsets[-1] + names.size)
            caps.append(int(self.max_splits[lvl]))
            # the starting plan must respect the cap
            seen = np.unique(np.stack([codes, a]), axis=1)
            per = np.bincount(seen[0], minlength=names.size)
            split = names[per > 1]
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
        )
