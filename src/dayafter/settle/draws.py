"""Settlements over census draws: ranges of the transfers, and how often the allocation changes.

A party's value for a disputed unit counts its people (and the unit's budget share), so every
census draw gives another claims problem (:func:`dayafter.settle.values_from_model` with the
draw's table). :func:`settle_draws` prices each draw the way the point settlement is priced:

* against a reference plan (``plan`` and ``reference``): the release rules of
  :func:`dayafter.settle.plan_against_reference` (arithmetic on the valuations; the allocation is
  the plan's, so only the transfers move);
* by allocation methods (``methods``, e.g. ``"max-nash-welfare"``): :func:`dayafter.settle.settle`
  on each draw's problem; the methods that solve a mixed-integer program cost up to a second per
  draw, so they run on the first ``max_solves`` draws only (default 100), the first draws of a run
  being a fixed sample of it.

The result holds, per rule or method, every solved draw's transfers and allocation; its summary
gives each party's transfer as point value and p05/p50/p95, the outside money, and the share of
draws in which the allocation differs from the one on the census as given (per unit too).

>>> import numpy as np
>>> from dayafter.settle.valuation import Parameter, PartySpec, ValuationModel
>>> from dayafter.testing.grids import grid_territory
>>> from dayafter.uncertainty import CensusModel, ErrorModel
>>> t = grid_territory(1, 2, communities=np.array([[100.0, 20.0], [40.0, 60.0]]))
>>> model = ValuationModel((PartySpec("A", ("a",)), PartySpec("B", ("b",))),
...     people_weight=Parameter(10.0), budget_weight=Parameter(1.0), oil_price=Parameter(0.0),
...     oil_net_share=Parameter(0.0), symbolic_factor=Parameter(0.0))
>>> draws = CensusModel(t, ErrorModel(unknown_error=0.5)).draw(40, seed=1)
>>> sd = settle_draws(t, model, list(t.unit_ids), draws, methods=["knaster"], max_solves=40)
>>> s = sd.summary()["settlements"]["knaster"]
>>> sorted(s["parties"]), 0.0 <= s["allocation_changes"] <= 1.0
(['A', 'B'], True)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dayafter.errors import ConfigError
from dayafter.plan import Plan
from dayafter.settle.methods import settle
from dayafter.settle.reference import RELEASE_RULES, plan_against_reference
from dayafter.settle.result import Settlement
from dayafter.settle.valuation import ValuationModel, values_from_model
from dayafter.territory import Territory
from dayafter.uncertainty import CensusDraws, quantiles

__all__ = ["SettleDraws", "settle_draws"]


@dataclass(frozen=True, eq=False)
class SettleDraws:
    """Settlements of a claims problem over census draws.

    Attributes
    ----------
    parties
        The parties.
    units
        Rule or method name to the units it priced (for release rules, those held by a party under
        both plans).
    transfers
        Rule or method name to ``float64[m, p]`` money each party receives in each solved draw.
    holders
        Rule or method name to ``int64[m, u]`` the party holding each unit (the largest share).
    point
        Rule or method name to the settlement on the census as given.
    draws, solved
        Draws available and draws solved (the first ``solved``).
    value_unit
        The money unit of the transfers.
    """

    parties: tuple[str, ...]
    units: Mapping[str, tuple[str, ...]]
    transfers: Mapping[str, NDArray[np.float64]]
    holders: Mapping[str, NDArray[np.int64]]
    point: Mapping[str, Settlement]
    draws: int
    solved: int
    value_unit: str = ""
    notes: tuple[str, ...] = field(default_factory=tuple)

    def summary(self) -> dict[str, Any]:
        """JSON-ready: per rule or method, each party's transfer range, the outside money and how
        often the allocation changes."""
        out: dict[str, Any] = {"draws": self.draws, "solved": self.solved,
                               "value_unit": self.value_unit, "notes": list(self.notes),
                               "settlements": {}}
        for name, T in self.transfers.items():
            pt = self.point[name]
            ph = _holders(pt.shares)
            q = quantiles(T.T)
            outside = T.sum(axis=1)
            oq = quantiles(outside)
            H = self.holders[name]
            changed = (H != ph[None, :])
            out["settlements"][name] = {
                "parties": {p: {"point": float(pt.transfers[i]), "p05": float(q[i, 0]),
                                "p50": float(q[i, 1]), "p95": float(q[i, 2])}
                            for i, p in enumerate(self.parties)},
                "outside_money": {"point": float(pt.transfers.sum()), "p05": float(oq[0]),
                                  "p50": float(oq[1]), "p95": float(oq[2])},
                "allocation_changes": float(np.mean(changed.any(axis=1))),
                "units_changing": {u: float(changed[:, j].mean())
                                   for j, u in enumerate(self.units[name]) if changed[:, j].any()},
            }
        return out


def _holders(shares: NDArray[np.float64]) -> NDArray[np.int64]:
    out: NDArray[np.int64] = np.argmax(np.asarray(shares), axis=0).astype(np.int64)
    return out


def settle_draws(
    territory: Territory,
    model: ValuationModel,
    units: Sequence[str],
    draws: CensusDraws,
    *,
    census: str | None = None,
    plan: Plan | None = None,
    reference: Plan | None = None,
    rules: Sequence[str] = RELEASE_RULES,
    methods: Sequence[str] = (),
    budget: float = 0.0,
    max_solves: int = 100,
    options: Mapping[str, Mapping[str, Any]] | None = None,
) -> SettleDraws:
    """Price the disputed units on every census draw (see the module docstring).

    Parameters
    ----------
    territory, model, units
        As for :func:`dayafter.settle.values_from_model`.
    draws
        Census draws of the territory.
    census
        The census drawn (default: the first one).
    plan, reference
        Both, for the release rules ``rules`` against the reference.
    methods
        Allocation methods of :func:`dayafter.settle.settle` to run on each draw's problem.
    budget
        Outside compensation fund.
    max_solves
        Most draws to solve (the first ones): every draw costs one call per rule and method.
    options
        Method name to the options passed to :func:`dayafter.settle.settle` for it (e.g.
        ``{"max-nash-welfare": {"time_limit": 10}}``).

    Returns
    -------
    SettleDraws
    """
    if isinstance(max_solves, bool) or not isinstance(max_solves, int) or max_solves < 1:
        raise ConfigError(f"max_solves must be a positive integer, got {max_solves!r}")
    if (plan is None) != (reference is None):
        raise ConfigError("release rules need both a plan and a reference",
                          hint="pass plan= and reference=, or neither (methods only)")
    if plan is None and not methods:
        raise ConfigError("nothing to settle: give a plan and a reference, or methods")
    cname = census if census is not None else draws.census_names[0]
    x = np.ascontiguousarray(draws.census(cname))
    opts = {str(k): dict(v) for k, v in (options or {}).items()}
    use_rules = list(rules) if plan is not None else []

    def one(table: NDArray[np.float64] | None) -> dict[str, Settlement]:
        out: dict[str, Settlement] = {}
        if plan is not None and reference is not None:
            sets, _, _ = plan_against_reference(
                territory, model, units, plan, reference, rules=use_rules,
                census=cname if table is None else None, census_table=table, budget=budget)
            out.update(sets)
        if methods:
            problem = values_from_model(territory, model, units, census=cname if table is None else None,
                                        census_table=table, budget=budget)
            for m_ in methods:
                out[m_] = settle(problem, m_, **opts.get(m_, {}))
        return out

    point = one(None)
    names = list(point)
    parties = tuple(next(iter(point.values())).problem.parties)
    m = min(int(max_solves), draws.n_draws)
    T = {nm: np.zeros((m, len(parties))) for nm in names}
    H: dict[str, NDArray[np.int64]] = {}
    notes: list[str] = []
    for j in range(m):  # one engine call per rule and method per draw: bounded by max_solves
        res = one(x[j])
        for nm in names:
            s = res[nm]
            T[nm][j] = s.transfers
            h = _holders(s.shares)
            if nm not in H:
                H[nm] = np.zeros((m, h.size), dtype=np.int64)
            H[nm][j] = h
    if m < draws.n_draws:
        notes.append(f"transfers from the first {m} of {draws.n_draws} draws (max_solves)")
    units_of = {nm: tuple(point[nm].problem.unit_ids) for nm in names}
    return SettleDraws(parties, units_of, T, H, point, draws.n_draws, m,
                       value_unit=str(next(iter(point.values())).problem.value_unit),
                       notes=tuple(notes))
