"""What a disputed unit is worth to each party, in money, by named components.

The value of unit ``u`` to party ``P`` (in ``currency`` per year) is the sum of

- **people**: ``people_weight`` per resident of ``P``'s constituency communities in ``u`` (the
  worth to a party of governing its own people; no market price exists, so the weight is a
  stated assumption);
- **budget**: ``budget_weight`` per resident of ``u``, whoever they are (the share of public
  spending the holder of a unit administers: the federal budget per resident);
- **resources**: the net revenue of the oil fields in ``u``, ``barrels per day x 365 x price x
  net_share``, to whoever holds the unit;
- **symbolic**: ``symbolic_factor`` times the people value, for the units a party names as its
  symbolic claims (a homeland, a holy place, a contested city).

Every weight is a :class:`Parameter` with its basis (a source, or the words "assumption") and a
range for sensitivity runs; :func:`values_from_model` derives the values from the territory and
returns a :class:`~dayafter.settle.problem.ClaimsProblem` whose ``components`` keep the four
parts apart, so a party's valuation can be explained line by line.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from dayafter.errors import InputDataError
from dayafter.settle.problem import ClaimsProblem

if TYPE_CHECKING:
    from dayafter.plan import Plan
    from dayafter.territory import Territory

__all__ = ["COMPONENTS", "OilField", "Parameter", "PartySpec", "ValuationModel",
           "holdings_from_plan", "model_from_spec", "values_from_model"]

COMPONENTS = ("people", "budget", "resources", "symbolic")
"""The named components of a valuation, in report order."""


@dataclass(frozen=True)
class Parameter:
    """A number with its unit, basis and range.

    Parameters
    ----------
    value
        The value used.
    unit
        What it measures (``"USD per resident per year"``).
    basis
        Where it comes from: a citation, or ``"assumption: ..."``.
    sources
        Source ids cited by ``basis``.
    low, high
        Range for sensitivity runs (default: the value).
    """

    value: float
    unit: str = ""
    basis: str = ""
    sources: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None

    def __post_init__(self) -> None:
        v = float(self.value)
        if not math.isfinite(v) or v < 0:
            raise InputDataError(f"a valuation parameter must be finite and >= 0, got {self.value!r}",
                                 hint="give a non-negative number")
        lo = v if self.low is None else float(self.low)
        hi = v if self.high is None else float(self.high)
        if not (0 <= lo <= v <= hi < math.inf):
            raise InputDataError(f"range [{self.low}, {self.high}] must contain the value {v}",
                                 hint="give low <= value <= high")
        object.__setattr__(self, "value", v)
        object.__setattr__(self, "low", lo)
        object.__setattr__(self, "high", hi)
        object.__setattr__(self, "sources", tuple(self.sources))

    @property
    def is_assumption(self) -> bool:
        """True when the basis says the number is an assumption."""
        return "assumption" in self.basis.lower()

    def at(self, where: str) -> Parameter:
        """The parameter at ``"low"``, ``"value"`` or ``"high"``."""
        v = {"low": self.low, "value": self.value, "high": self.high}[where]
        return replace(self, value=float(v))  # type: ignore[arg-type]


@dataclass(frozen=True)
class OilField:
    """Oil fields in some units, with production and its sources.

    ``units`` lists unit ids or ``*`` prefixes (a district); the production is shared equally among
    the territory's units that match (a stated rule where the data gives a district only).
    """

    name: str
    units: tuple[str, ...]
    barrels_per_day: Parameter
    year: str = ""

    def unit_mask(self, unit_ids: Sequence[str]) -> NDArray[np.bool_]:
        """Which of ``unit_ids`` the field lies in."""
        def hit(u: str) -> bool:
            return any(u.startswith(p[:-1]) if p.endswith("*") else u == p for p in self.units)
        return np.array([hit(u) for u in unit_ids], dtype=bool)


@dataclass(frozen=True)
class PartySpec:
    """A party: its constituency communities, its authority and its symbolic claims."""

    name: str
    constituency: tuple[str, ...]
    authority: str = ""
    label: str = ""
    symbolic_units: tuple[str, ...] = ()
    symbolic_basis: str = ""


@dataclass(frozen=True)
class ValuationModel:
    """Parameters of the valuation (see the module docstring).

    Parameters
    ----------
    parties
        The parties.
    people_weight, budget_weight
        Money per constituency resident, and per resident, per year.
    oil_price, oil_net_share
        Price per barrel and the share of it that is net revenue to the holder.
    symbolic_factor
        Premium on the people value of a party's symbolic units (1: the value doubles).
    fields
        The oil fields.
    currency, period
        ``"USD"``, ``"per year"``.
    holders
        Control label to ``{party: share}``: who holds a unit of that control (``joint``: shared).
    """

    parties: tuple[PartySpec, ...]
    people_weight: Parameter
    budget_weight: Parameter
    oil_price: Parameter
    oil_net_share: Parameter
    symbolic_factor: Parameter
    fields: tuple[OilField, ...] = ()
    currency: str = "USD"
    period: str = "per year"
    holders: Mapping[str, Mapping[str, float]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        names = [p.name for p in self.parties]
        if len(names) < 2 or len(set(names)) != len(names):
            raise InputDataError(f"a valuation needs two or more parties with distinct names, got "
                                 f"{names}")
        if self.oil_net_share.value > 1 or (self.oil_net_share.high or 0) > 1:
            raise InputDataError("oil_net_share is a share: keep it in [0, 1]")
        for label, row in self.holders.items():
            bad = sorted(set(row) - set(names))
            if bad:
                raise InputDataError(f"holders of control {label!r} name unknown parties {bad}",
                                     hint=f"use the parties {names}")
            tot = sum(float(x) for x in row.values())
            if row and abs(tot - 1.0) > 1e-9:
                raise InputDataError(f"holders of control {label!r} have shares summing to {tot}",
                                     hint="shares of one control label must sum to 1")

    @property
    def party_names(self) -> tuple[str, ...]:
        """Party names in order."""
        return tuple(p.name for p in self.parties)

    @property
    def value_unit(self) -> str:
        """``"USD per year"``."""
        return f"{self.currency} {self.period}".strip()

    def parameters(self) -> dict[str, Parameter]:
        """The weights by name (fields as ``oil:<name>``), for sensitivity runs."""
        out = {"people_weight": self.people_weight, "budget_weight": self.budget_weight,
               "oil_price": self.oil_price, "oil_net_share": self.oil_net_share,
               "symbolic_factor": self.symbolic_factor}
        for f in self.fields:
            out[f"oil:{f.name}"] = f.barrels_per_day
        return out

    def with_parameter(self, name: str, where: str) -> ValuationModel:
        """The model with one parameter at ``"low"``, ``"value"`` or ``"high"``."""
        if name.startswith("oil:"):
            fname = name[4:]
            return replace(self, fields=tuple(
                replace(f, barrels_per_day=f.barrels_per_day.at(where)) if f.name == fname else f
                for f in self.fields))
        if name not in self.parameters():
            raise InputDataError(f"unknown valuation parameter {name!r}",
                                 hint=f"use one of {sorted(self.parameters())}")
        return replace(self, **{name: getattr(self, name).at(where)})

    def holders_of(self, control: str) -> dict[str, float]:
        """``{party: share}`` holding a unit of ``control`` (default: the party of that authority)."""
        if control in self.holders:
            return {k: float(v) for k, v in self.holders[control].items()}
        for p in self.parties:
            if (p.authority or p.name) == control:
                return {p.name: 1.0}
        return {}


def values_from_model(
    territory: Territory,
    model: ValuationModel,
    units: Sequence[str],
    *,
    census: str | None = None,
    census_table: ArrayLike | None = None,
    budget: float = 0.0,
) -> ClaimsProblem:
    """Each party's value for each disputed unit, in money, with its components.

    Parameters
    ----------
    territory
        The territory.
    model
        The valuation model.
    units
        Disputed unit ids.
    census, census_table
        The population the people and budget components count (a census name, or a
        ``float64[n, g]`` array such as one census draw).
    budget
        Outside compensation fund, in the model's currency.

    Returns
    -------
    ClaimsProblem
        ``values`` in ``model.value_unit``; ``components`` holds the people, budget, resources
        and symbolic parts (each ``float64[p, m]``).

    Examples
    --------
    >>> import numpy as np
    >>> from dayafter.graph import UnitGraph
    >>> from dayafter.territory import Territory
    >>> t = Territory.from_arrays(["a", "b"], ["x", "y"],
    ...     {"now": np.array([[100.0, 0.0], [50.0, 50.0]])}, UnitGraph.from_edges(2, [0], [1]))
    >>> m = ValuationModel((PartySpec("X", ("x",)), PartySpec("Y", ("y",))),
    ...     people_weight=Parameter(10.0), budget_weight=Parameter(1.0), oil_price=Parameter(0.0),
    ...     oil_net_share=Parameter(0.0), symbolic_factor=Parameter(0.0))
    >>> values_from_model(t, m, ["a", "b"]).values.tolist()
    [[1100.0, 600.0], [100.0, 600.0]]
    """
    idx = territory.index(list(units), source="disputed units")
    if census_table is None:
        table = territory.census(census)
    else:
        table = np.asarray(census_table, dtype=np.float64)
        if table.shape != (territory.n_units, territory.n_communities):
            raise InputDataError(f"census_table has shape {table.shape}, expected "
                                 f"({territory.n_units}, {territory.n_communities})")
    tab = table[idx]
    pop = tab.sum(axis=1)
    names = model.party_names
    p, m = len(names), len(idx)
    people = np.zeros((p, m))
    symbolic = np.zeros((p, m))
    ids = [str(u) for u in units]
    for i, party in enumerate(model.parties):
        unknown = sorted(set(party.constituency) - set(territory.communities))
        if unknown:
            raise InputDataError(f"party {party.name!r} names unknown communities {unknown}",
                                 hint=f"use some of {list(territory.communities)}")
        cols = [territory.community_index(c) for c in party.constituency]
        if cols:
            people[i] = tab[:, cols].sum(axis=1) * model.people_weight.value
        if party.symbolic_units:
            mask = np.array([any(u.startswith(s[:-1]) if s.endswith("*") else u == s
                                 for s in party.symbolic_units) for u in ids], dtype=bool)
            symbolic[i] = np.where(mask, people[i] * model.symbolic_factor.value, 0.0)
    budget_c = np.repeat((pop * model.budget_weight.value)[None, :], p, axis=0)
    oil = np.zeros(m)
    all_ids = territory.unit_ids.tolist()
    per_barrel = model.oil_price.value * model.oil_net_share.value
    for f in model.fields:
        mask_all = f.unit_mask(all_ids)
        if not mask_all.any():
            continue
        revenue = f.barrels_per_day.value * 365.0 * per_barrel / float(mask_all.sum())
        oil += np.where(mask_all[idx], revenue, 0.0)
    resources = np.repeat(oil[None, :], p, axis=0)
    comps = {"people": people, "budget": budget_c, "resources": resources, "symbolic": symbolic}
    values = people + budget_c + resources + symbolic
    return ClaimsProblem(
        names, tuple(ids), values, budget=budget, value_unit=model.value_unit,
        meta={"rule": "people + budget + resources + symbolic (dayafter.settle.valuation)",
              "census": "table" if census_table is not None else (
                  census or territory.census_names[0]),
              "constituencies": {pt.name: list(pt.constituency) for pt in model.parties},
              "parameters": {k: {"value": v.value, "unit": v.unit, "basis": v.basis,
                                 "low": v.low, "high": v.high, "sources": list(v.sources)}
                             for k, v in model.parameters().items()}},
        components=comps,
    )


def holdings_from_plan(
    problem: ClaimsProblem,
    plan: Plan,
    territory: Territory,
    holders: Mapping[str, Mapping[str, float]] | ValuationModel,
) -> tuple[NDArray[np.float64], list[str]]:
    """Who holds each disputed unit under a plan: shares read from the plan's control layer.

    Parameters
    ----------
    problem
        The claims problem (its parties and units).
    plan
        A plan of ``territory``; its :meth:`~dayafter.plan.Plan.control_of_units` says who holds
        each unit.
    territory
        The territory.
    holders
        Control label to ``{party: share}`` (a :class:`ValuationModel` supplies its own).

    Returns
    -------
    shares, unheld
        ``float64[p, m]``: the share of each unit each party holds (a jointly held unit is split);
        and the unit ids that no party holds (their control has no holder, e.g. ``contested``),
        whose column is all zero.
    """
    plan.check_territory(territory)
    idx = territory.index(list(problem.unit_ids), source="claims")
    control = plan.control_of_units()[idx]
    shares = np.zeros((problem.n_parties, problem.n_units))
    unheld = []
    for j, c in enumerate(control.tolist()):
        row = (holders.holders_of(str(c)) if isinstance(holders, ValuationModel)
               else {k: float(v) for k, v in holders.get(str(c), {}).items()})
        if not row:
            unheld.append(problem.unit_ids[j])
            continue
        for party, sh in row.items():
            shares[problem.party_index(party), j] = sh
    return shares, unheld


def _param(d: Mapping[str, Any], key: str, source: str) -> Parameter:
    try:
        x = d[key]
    except KeyError:
        raise InputDataError(f"the valuation has no {key!r}", source=source,
                             hint="see the case's settle/parties.json") from None
    if not isinstance(x, Mapping):
        raise InputDataError(f"valuation {key!r} must be an object with value, unit, basis",
                             source=source)
    try:
        return Parameter(value=float(x["value"]), unit=str(x.get("unit", "")),
                         basis=str(x.get("basis", "")),
                         sources=tuple(str(s) for s in x.get("sources", ())),
                         low=None if x.get("low") is None else float(x["low"]),
                         high=None if x.get("high") is None else float(x["high"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise InputDataError(f"valuation {key!r}: {exc}", source=source,
                             hint="give value (and optionally low, high) as numbers") from None


def model_from_spec(spec: Mapping[str, Any], *, source: str = "") -> ValuationModel:
    """A :class:`ValuationModel` from a parties specification (version 2, see the case's file)."""
    val = spec.get("valuation")
    if not isinstance(val, Mapping):
        raise InputDataError("the parties file has no 'valuation' object", source=source,
                             hint="add a valuation (version 2 of dayafter.settle.parties)")
    try:
        parties = tuple(
            PartySpec(name=str(p["name"]), constituency=tuple(str(c) for c in p.get("constituency", [])),
                      authority=str(p.get("authority", p["name"])), label=str(p.get("label", "")),
                      symbolic_units=tuple(str(u) for u in p.get("symbolic_units", [])),
                      symbolic_basis=str(p.get("symbolic_basis", "")))
            for p in spec["parties"])
        fields = tuple(
            OilField(name=str(f["name"]), units=tuple(str(u) for u in f["units"]),
                     barrels_per_day=_param(f, "barrels_per_day", source), year=str(f.get("year", "")))
            for f in val.get("oil_fields", []))
    except (KeyError, TypeError) as exc:
        raise InputDataError(f"malformed parties specification: {exc!r}", source=source,
                             hint="each party needs name and constituency; each field name, "
                                  "units, barrels_per_day") from None
    holders = val.get("holders") or {}
    if not isinstance(holders, Mapping):
        raise InputDataError("'holders' must map control labels to {party: share}", source=source)
    return ValuationModel(
        parties=parties,
        people_weight=_param(val, "people_weight", source),
        budget_weight=_param(val, "budget_weight", source),
        oil_price=_param(val, "oil_price", source),
        oil_net_share=_param(val, "oil_net_share", source),
        symbolic_factor=_param(val, "symbolic_factor", source),
        fields=fields,
        currency=str(val.get("currency", "USD")),
        period=str(val.get("period", "per year")),
        holders={str(k): {str(p): float(s) for p, s in dict(v).items()} for k, v in holders.items()},
    )
