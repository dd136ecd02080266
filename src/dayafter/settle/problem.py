"""Claims problems: parties, disputed units and each party's value for each unit."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from dayafter.errors import InputDataError, first_ids

if TYPE_CHECKING:
    from dayafter.territory import Territory

__all__ = ["ClaimsProblem", "claims_from_spec", "values_from_territory"]


@dataclass(frozen=True, eq=False)
class ClaimsProblem:
    """Competing claims of ``p`` parties on ``m`` disputed units (immutable).

    Parameters
    ----------
    parties
        Party names, e.g. ``("federal", "krg", "minority council")``.
    unit_ids
        Ids of the disputed units (any order; results keep this order).
    values
        ``float64[p, m]`` non-negative value of unit ``j`` to party ``i``. Values are additive over
        units and money is quasi-linear (utility = value of the units held + money received), so
        methods that pay transfers assume values are in one common unit (money or people).
    budget
        Outside money available for compensation (a donor fund); 0 when there is none.
    value_unit
        What a value of 1 means (``"points"``, ``"USD"``, ``"residents"``), for reports.
    meta
        Provenance (the rule that derived the values, the census used).
    components
        Optional named parts of the values (``{"people": float64[p, m], ...}``) that sum to
        ``values``, so each party's valuation can be explained.
    """

    parties: tuple[str, ...]
    unit_ids: tuple[str, ...]
    values: NDArray[np.float64]
    budget: float = 0.0
    value_unit: str = ""
    meta: Mapping[str, Any] = field(default_factory=dict)
    components: Mapping[str, NDArray[np.float64]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        parties = tuple(str(p) for p in self.parties)
        units = tuple(str(u) for u in self.unit_ids)
        if len(parties) < 2:
            raise InputDataError(
                f"a claims problem needs at least two parties, got {list(parties)}",
                hint="list every party that claims the disputed units",
            )
        if len(set(parties)) != len(parties):
            raise InputDataError(f"party names must be unique, got {list(parties)}")
        if not units:
            raise InputDataError("a claims problem needs at least one disputed unit")
        if len(set(units)) != len(units):
            dup = sorted({u for u in units if units.count(u) > 1})
            raise InputDataError(
                f"disputed units are listed twice: {first_ids(dup)}", unit_ids=dup
            )
        v = np.array(self.values, dtype=np.float64, copy=True)
        if v.shape != (len(parties), len(units)):
            raise InputDataError(
                f"values have shape {v.shape}, expected (parties, units) = "
                f"({len(parties)}, {len(units)})"
            )
        bad = ~np.isfinite(v) | (v < 0)
        if bad.any():
            cols = np.flatnonzero(bad.any(axis=0))
            ids = [units[j] for j in cols]
            raise InputDataError(
                f"values must be finite and non-negative; bad values for units {first_ids(ids)}",
                unit_ids=ids,
                hint="units are goods here: give a value of 0 to a unit a party does not want",
            )
        v.setflags(write=False)
        budget = float(self.budget)
        if not np.isfinite(budget) or budget < 0:
            raise InputDataError(f"the compensation budget must be >= 0, got {self.budget!r}")
        comps: dict[str, NDArray[np.float64]] = {}
        for name, arr in dict(self.components).items():
            c = np.array(arr, dtype=np.float64, copy=True)
            if c.shape != v.shape:
                raise InputDataError(f"component {name!r} has shape {c.shape}, expected {v.shape}")
            c.setflags(write=False)
            comps[str(name)] = c
        if comps:
            total = sum(comps.values())
            if not np.allclose(total, v, rtol=1e-9, atol=1e-9 * max(1.0, float(np.abs(v).max()))):
                raise InputDataError("the value components do not sum to the values",
                                     hint="give components that add up to the values")
        object.__setattr__(self, "parties", parties)
        object.__setattr__(self, "unit_ids", units)
        object.__setattr__(self, "values", v)
        object.__setattr__(self, "budget", budget)
        object.__setattr__(self, "meta", MappingProxyType(dict(self.meta)))
        object.__setattr__(self, "components", MappingProxyType(comps))

    def restricted(self, keep: ArrayLike) -> ClaimsProblem:
        """The problem on a subset of its units (a boolean mask or indices), components kept."""
        k = np.asarray(keep)
        if k.dtype == bool:
            k = np.flatnonzero(k)
        return ClaimsProblem(self.parties, tuple(self.unit_ids[j] for j in k), self.values[:, k],
                             budget=self.budget, value_unit=self.value_unit, meta=self.meta,
                             components={n: c[:, k] for n, c in self.components.items()})

    @property
    def n_parties(self) -> int:
        """Number of parties ``p``."""
        return len(self.parties)

    @property
    def n_units(self) -> int:
        """Number of disputed units ``m``."""
        return len(self.unit_ids)

    def party_index(self, party: str) -> int:
        """Row of ``party`` in :attr:`values`."""
        try:
            return self.parties.index(party)
        except ValueError:
            raise InputDataError(
                f"unknown party {party!r}", hint=f"use one of {list(self.parties)}"
            ) from None

    @classmethod
    def from_table(
        cls,
        table: Mapping[str, Mapping[str, float]],
        *,
        budget: float = 0.0,
        value_unit: str = "",
    ) -> ClaimsProblem:
        """Build from ``{unit_id: {party: value}}`` (rows as entered by a user).

        Parties missing from a row get value 0.
        """
        units = list(table)
        parties: list[str] = []
        for row in table.values():
            for p in row:
                if p not in parties:
                    parties.append(p)
        v = np.zeros((len(parties), len(units)))
        for j, u in enumerate(units):
            for p, x in table[u].items():
                v[parties.index(p), j] = float(x)
        return cls(tuple(parties), tuple(units), v, budget=budget, value_unit=value_unit)


def values_from_territory(
    territory: Territory,
    *,
    parties: Mapping[str, Sequence[str]],
    units: Sequence[str],
    census: str | None = None,
    resources: Mapping[str, Mapping[str, float]] | None = None,
    population_weight: float = 1.0,
    budget: float = 0.0,
) -> ClaimsProblem:
    """Derive each party's values from the data by a stated rule.

    The value of unit ``u`` to party ``P`` is::

        population_weight * (residents of u, on ``census``, in P's constituency communities)
        + resources[P][u]

    Parameters
    ----------
    territory
        The territory holding the censuses.
    parties
        Party name to its constituency communities (e.g. ``{"krg": ["kurd"]}``).
    units
        The disputed unit ids.
    census
        Census to count residents on (the territory's first census when ``None``).
    resources
        Optional extra value per party and unit (oil fields, crossings), in the same unit as the
        population term (people-equivalents); missing entries are 0.
    population_weight
        Value of one resident of the party's constituency.
    budget
        Outside compensation fund, in the same unit.

    Returns
    -------
    ClaimsProblem
        With ``value_unit="residents"`` and the rule recorded in ``meta``.

    Raises
    ------
    InputDataError
        Unknown units, communities or census.
    """
    idx = territory.index(list(units), source="disputed units")
    table = territory.census(census)
    names = list(parties)
    v = np.zeros((len(names), len(idx)))
    for i, name in enumerate(names):
        cols = [territory.community_index(c) for c in parties[name]]
        if cols:
            v[i] = table[np.ix_(idx, np.asarray(cols, dtype=np.int64))].sum(axis=1) * float(population_weight)
    if resources:
        unknown = [p for p in resources if p not in parties]
        if unknown:
            raise InputDataError(
                f"resource values given for unknown parties {unknown}",
                hint=f"use the party names {names}",
            )
        pos = {u: j for j, u in enumerate(units)}
        for p, row in resources.items():
            for u, x in row.items():
                if u not in pos:
                    raise InputDataError(
                        f"resource value for unit {u!r}, which is not a disputed unit",
                        unit_ids=[u],
                        hint="list the unit among the disputed units or drop the value",
                    )
                v[names.index(p), pos[u]] += float(x)
    cname = census if census is not None else territory.census_names[0]
    return ClaimsProblem(
        tuple(names),
        tuple(str(u) for u in units),
        v,
        budget=budget,
        value_unit="residents",
        meta={
            "rule": "population_weight * constituency residents + resources",
            "census": cname,
            "constituencies": {p: list(c) for p, c in parties.items()},
            "population_weight": float(population_weight),
        },
    )


def as_values(values: ArrayLike) -> NDArray[np.float64]:
    """Validated ``float64[p, m]`` copy of a value matrix (used by the method functions)."""
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 2 or v.shape[0] < 1 or v.shape[1] < 1:
        raise InputDataError(f"values must be a (parties, units) matrix, got shape {v.shape}")
    if not np.isfinite(v).all() or (v < 0).any():
        raise InputDataError("values must be finite and non-negative")
    return v


def claims_from_spec(
    territory: Territory,
    spec: Mapping[str, Any],
    *,
    census: str | None = None,
    budget: float = 0.0,
    population_weight: float | None = None,
    resources: Mapping[str, Mapping[str, float]] | None = None,
    source: str = "",
) -> tuple[ClaimsProblem, dict[str, str], list[str]]:
    """A claims problem from a parties specification (the JSON form the built-in case ships).

    Parameters
    ----------
    territory
        The territory.
    spec
        ``{"parties": [{"name", "constituency", "authority"}, ...], "disputed_units": [...],
        "census": ..., "resources": {party: {unit: value}}}`` (version 1: values in residents),
        or with a ``"valuation"`` object (version 2: values in money by components, see
        :mod:`dayafter.settle.valuation`).
    census
        Overrides the specification's census.
    budget
        Outside compensation fund.
    population_weight
        Value of one constituency resident; overrides the specification's ``population_weight``
        (default 1).
    resources
        Extra resource values ``{party: {unit_id: value}}``, added to the specification's.
    source
        Name of the file, for messages.

    Returns
    -------
    problem, authorities, skipped
        The problem (values by :func:`values_from_territory`), party name to authority, and the
        disputed unit ids not present in the territory (left out).
    """
    try:
        parties = {str(p["name"]): [str(c) for c in p.get("constituency", [])]
                   for p in spec["parties"]}
        authorities = {str(p["name"]): str(p.get("authority", p["name"])) for p in spec["parties"]}
        units = [str(u) for u in spec["disputed_units"]]
    except (KeyError, TypeError) as exc:
        raise InputDataError(f"malformed parties specification: missing {exc}", source=source,
                             hint="give 'parties' (name, constituency, authority) and "
                             "'disputed_units'") from None
    known = set(territory.unit_ids.tolist())
    skipped = [u for u in units if u not in known]
    kept = [u for u in units if u in known]
    if not kept:
        raise InputDataError(f"none of the {len(units)} disputed units is in the territory",
                             source=source, unit_ids=units[:5],
                             hint="check the unit ids against the territory")
    if isinstance(spec.get("valuation"), Mapping):
        if population_weight is not None or resources:
            raise InputDataError(
                "--population-weight and --resources apply to the people-only valuation of "
                "version 1 parties files; this file values units in money by components",
                hint="edit the valuation weights in the parties file instead", source=source)
        from dayafter.settle.valuation import model_from_spec, values_from_model

        model = model_from_spec(spec, source=source)
        problem = values_from_model(territory, model, kept,
                                    census=census if census is not None else spec.get("census"),
                                    budget=budget)
        return problem, authorities, skipped
    res: dict[str, dict[str, float]] = {}
    for extra in (spec.get("resources") or {}, resources or {}):
        for p, row in dict(extra).items():
            for u, x in dict(row).items():
                if u in known:
                    res.setdefault(str(p), {})
                    res[str(p)][str(u)] = res[str(p)].get(str(u), 0.0) + float(x)
    weight = population_weight if population_weight is not None else float(
        spec.get("population_weight", 1.0))
    problem = values_from_territory(
        territory, parties=parties, units=kept,
        census=census if census is not None else spec.get("census"),
        resources=res or None, population_weight=weight, budget=budget,
    )
    return problem, authorities, skipped
