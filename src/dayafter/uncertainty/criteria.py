"""Criteria over draws: in what share of the census draws does each criterion pass?

The same :class:`~dayafter.criteria.Criterion` objects as :func:`dayafter.criteria.check_criteria`,
with the same scopes, filters and ``n/a`` rule (a criterion whose filter selects nothing with a
value is not applicable, and does not pass), checked on every draw at once. Criteria on engine
outputs (council seats, security gaps, transfers) read them over draws from :class:`EngineDraws`
(built from :mod:`dayafter.councils.draws`, :mod:`dayafter.security.draws` and
:mod:`dayafter.settle.draws`); engines solved on the first draws only (security, settle) give
pass shares over those draws.

>>> import numpy as np
>>> from dayafter.criteria import Criterion
>>> from dayafter.plan import Plan, Region
>>> from dayafter.testing.grids import grid_territory
>>> from dayafter.uncertainty import CensusModel, ErrorModel, evaluate_draws
>>> t = grid_territory(1, 2, communities=np.array([[95.0, 5], [20, 80]]))
>>> plan = Plan(np.array([0, 1]), (Region("W"), Region("E")), territory_hash=t.content_hash)
>>> dev = evaluate_draws(t, plan, CensusModel(t).draw(10, seed=0))   # no ranges: exact draws
>>> [r.pass_share for r in check_criteria_draws(dev, [Criterion("big", "largest_share", min=0.5)])]
[1.0]
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dayafter._util import ratio
from dayafter.criteria import Criterion, CriterionResult, EngineOutputs, check_criteria
from dayafter.errors import ConfigError
from dayafter.metrics import registry
from dayafter.uncertainty.evaluate import DrawCensusMetrics, DrawEvaluation

__all__ = ["CriterionDraws", "EngineDraws", "check_criteria_draws"]


@dataclass(frozen=True)
class EngineDraws:
    """Engine outputs over draws, per polity (region) of one plan.

    Attributes
    ----------
    seats
        Census to ``[d, k, g]`` council seats per draw.
    security_requirement, security_gap
        ``[m, k]`` personnel required and short per region in the first ``m`` draws.
    transfers
        Party to ``[m]`` money it receives in the first ``m`` draws.
    outside_money
        ``[m]`` outside money the settlement needs.
    """

    seats: Mapping[str, NDArray[np.float64]] = field(default_factory=dict)
    security_requirement: NDArray[np.float64] | None = None
    security_gap: NDArray[np.float64] | None = None
    transfers: Mapping[str, NDArray[np.float64]] = field(default_factory=dict)
    outside_money: NDArray[np.float64] | None = None

    @classmethod
    def collect(cls, *, councils: Any = None, security: Any = None, settlement: Any = None,
                rule: str | None = None) -> EngineDraws:
        """From a ``CouncilDraws``, a ``SecurityDraws`` and a ``SettleDraws`` (any may be ``None``;
        ``rule`` picks the settlement's rule or method, the first by default)."""
        seats = {} if councils is None else {c: np.asarray(s, dtype=float)
                                             for c, s in councils.seats.items()}
        req = gap = None
        if security is not None:
            a = np.asarray(security.region_of_unit)
            k = len(security.region_names)
            lab = np.where(a >= 0, a, k)
            m = security.shortfall.shape[0]
            onehot = np.zeros((a.size, k + 1))
            onehot[np.arange(a.size), lab] = 1.0
            req = (np.asarray(security.requirement)[:m] @ onehot)[:, :k]
            gap = (np.asarray(security.shortfall) @ onehot)[:, :k]
        transfers: dict[str, NDArray[np.float64]] = {}
        outside = None
        if settlement is not None:
            name = rule or next(iter(settlement.transfers))
            T = np.asarray(settlement.transfers[name])
            transfers = {p: T[:, i] for i, p in enumerate(settlement.parties)}
            outside = T.sum(axis=1)
        return cls(seats=seats, security_requirement=req, security_gap=gap, transfers=transfers,
                   outside_money=outside)


@dataclass(frozen=True)
class CriterionDraws:
    """One criterion on one census, over draws.

    Attributes
    ----------
    point
        The ordinary result on the census as given.
    passes
        ``bool[d]``: whether it passes in each draw (``n/a`` never passes).
    not_applicable
        ``bool[d]``: draws in which the filter selects nothing with a value.
    worst
        For each draw, the value of the item that fails it the most (or the tightest item when it
        passes): the figure whose range the verdict describes.
    item
        Name of the item behind ``worst`` in the most draws.
    """

    point: CriterionResult
    passes: NDArray[np.bool_]
    worst: NDArray[np.float64]
    item: str
    not_applicable: NDArray[np.bool_] | None = None

    @property
    def criterion(self) -> Criterion:
        """The criterion."""
        return self.point.criterion

    @property
    def census(self) -> str:
        """The census."""
        return self.point.census

    @property
    def pass_share(self) -> float:
        """Share of draws in which the criterion passes."""
        return float(np.mean(self.passes)) if self.passes.size else float("nan")

    @property
    def na_share(self) -> float:
        """Share of draws in which it is not applicable."""
        na = self.not_applicable
        return float(np.mean(na)) if na is not None and na.size else 0.0

    def agreement(self) -> float:
        """Share of draws that agree with the point result (pass where it passes, not pass where
        it fails or is not applicable)."""
        ps = self.pass_share
        return ps if self.point.passed else 1.0 - ps

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the point result plus ``pass_share``, ``na_share`` and the draws used."""
        d = self.point.to_dict()
        d["pass_share"] = self.pass_share
        d["na_share"] = self.na_share
        d["draws"] = int(self.passes.size)
        d["item"] = self.item
        return d


def _need(engine_draws: EngineDraws | None, crit: Criterion, value: Any) -> Any:
    if engine_draws is None or value is None or (isinstance(value, Mapping) and not value):
        raise ConfigError(
            f"criterion {crit.name!r} reads {crit.metric!r}, an output of the {crit.engine} engine, "
            "and no draws of it were given",
            hint="run the engine over the draws (dayafter.councils.draws, security.draws, "
                 "settle.draws) and pass EngineDraws.collect(...) as engine_draws")
    return value


def _comm(cm: DrawCensusMetrics, metric: str) -> int:
    comm = metric.split(":", 1)[1]
    if comm not in cm.communities:
        raise ConfigError(f"unknown community {comm!r} in metric {metric!r}",
                          hint=f"use one of {list(cm.communities)}")
    return cm.communities.index(comm)


def _seats(eng: EngineDraws | None, crit: Criterion, census: str) -> NDArray[np.float64]:
    seats = _need(eng, crit, eng.seats if eng else None)
    if census not in seats:
        raise ConfigError(f"criterion {crit.name!r}: the councils were not drawn on census "
                          f"{census!r}", hint=f"run council_draws on {census!r} too")
    return np.asarray(seats[census], dtype=float)


def _region_values(dev: DrawEvaluation, cm: DrawCensusMetrics, crit: Criterion,
                   eng: EngineDraws | None) -> NDArray[np.float64]:
    metric = crit.metric
    d = cm.n_draws
    if metric.startswith(("seats:", "seat_share:")):
        seats = _seats(eng, crit, cm.census)
        j = _comm(cm, metric)
        if metric.startswith("seats:"):
            return seats[:, :, j]
        tot = seats.sum(axis=2)
        return ratio(seats[:, :, j], tot)
    if metric in ("security_gap", "security_gap_share"):
        gap = np.asarray(_need(eng, crit, eng.security_gap if eng else None), dtype=float)
        if metric == "security_gap":
            return gap
        req = np.asarray(eng.security_requirement if eng else None, dtype=float)
        return ratio(gap, req)
    if metric.startswith("share:"):
        return np.asarray(cm.shares[:, :, _comm(cm, metric)])
    base = metric.split(":", 1)[0]
    over_draws = {"population": cm.population, "deviation": cm.deviation,
                  "largest_share": cm.largest_share, "fractionalization": cm.fractionalization,
                  "polarization": cm.polarization}
    if base in over_draws:
        return np.asarray(over_draws[base], dtype=float)
    fixed = np.asarray(registry.value(dev.point, metric, cm.census), dtype=float)
    return np.broadcast_to(fixed, (d, fixed.size))


def _community_values(cm: DrawCensusMetrics, crit: Criterion,
                      eng: EngineDraws | None) -> NDArray[np.float64]:
    if crit.metric in ("council_seats", "representation_ratio"):
        seats: NDArray[np.float64] = _seats(eng, crit, cm.census).sum(axis=1)  # [d, g]
        if crit.metric == "council_seats":
            return seats
        pop = np.asarray(cm.tally).sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            ss = seats / seats.sum(axis=1, keepdims=True)
            ps = pop / pop.sum(axis=1, keepdims=True)
            return np.where(ps > 0, ss / np.where(ps > 0, ps, 1.0), np.nan)
    return np.asarray(getattr(cm, crit.metric), dtype=float)


def _plan_values(dev: DrawEvaluation, cm: DrawCensusMetrics, crit: Criterion,
                 eng: EngineDraws | None) -> NDArray[np.float64]:
    m = crit.metric
    d = cm.n_draws
    if m.startswith("security_gap"):
        gap = np.asarray(_need(eng, crit, eng.security_gap if eng else None), dtype=float)
        req = np.asarray(eng.security_requirement if eng else None, dtype=float)
        total_gap: NDArray[np.float64] = gap.sum(axis=1)
        if m == "security_gap_total":
            return total_gap
        return ratio(total_gap, req.sum(axis=1))
    if m.startswith("transfer:"):
        transfers = _need(eng, crit, eng.transfers if eng else None)
        party = m.split(":", 1)[1]
        if party not in transfers:
            raise ConfigError(f"criterion {crit.name!r}: no party {party!r} in the settlement",
                              hint=f"use one of {sorted(transfers)}")
        return np.asarray(transfers[party], dtype=float)
    if m == "outside_money":
        return np.asarray(_need(eng, crit, eng.outside_money if eng else None), dtype=float)
    if m.startswith("dissimilarity:"):
        a, _, b = m.split(":", 1)[1].partition("|")
        return np.asarray(cm.dissimilarity[:, cm.communities.index(a), cm.communities.index(b)])
    scal = cm.scalars()
    if m in scal:
        return np.asarray(scal[m], dtype=float)
    moved = {"people_moved": dev.people_moved, "polity_people_moved": dev.polity_people_moved}
    if m in moved:
        v = (moved[m] or {}).get(cm.census)
        return np.asarray(v, dtype=float) if v is not None else np.full(d, np.nan)
    fixed = dict(dev.point.geometry.scalars())
    ch = dev.point.change
    if ch is not None:
        fixed.update(units_moved=float(ch.units_moved), polity_units_moved=float(ch.polity_units_moved),
                     units_reassigned=float(ch.units_reassigned))
    return np.full(d, float(fixed.get(m, np.nan)))


def _margin(crit: Criterion, v: NDArray[np.float64]) -> NDArray[np.float64]:
    """How far inside its bounds each value lies (negative: failing); NaN counts as passing."""
    out = np.full(v.shape, np.inf)
    if crit.min is not None:
        out = np.minimum(out, v - crit.min)
    if crit.max is not None:
        out = np.minimum(out, crit.max - v)
    if crit.abs_max is not None:
        out = np.minimum(out, crit.abs_max - np.abs(v))
    return np.where(np.isnan(v), np.inf, out)


def _summarise(crit: Criterion, vals: NDArray[np.float64], sel: NDArray[np.bool_],
               names: Sequence[str]) -> tuple[NDArray[np.bool_], NDArray[np.bool_],
                                              NDArray[np.float64], str]:
    """Per draw: pass flag, n/a flag, the value of the tightest selected item, and its name."""
    ok = crit._ok(vals)
    checked = sel.sum(axis=1)
    na = checked == 0
    passes = ~na & ~np.any(sel & ~ok, axis=1)
    marg = np.where(sel, _margin(crit, vals), np.inf)
    j = np.argmin(marg, axis=1) if vals.shape[1] else np.zeros(vals.shape[0], dtype=np.int64)
    if vals.shape[1]:
        worst = np.take_along_axis(vals, j[:, None], axis=1)[:, 0]
        worst = np.where(np.isfinite(np.take_along_axis(marg, j[:, None], axis=1)[:, 0]), worst,
                         np.nan)
        item = str(names[int(np.argmax(np.bincount(j, minlength=vals.shape[1])))])
    else:
        worst = np.full(vals.shape[0], np.nan)
        item = ""
    return passes, na, worst, item


def check_criteria_draws(dev: DrawEvaluation, criteria: Sequence[Criterion], *,
                         engines: EngineOutputs | None = None,
                         engine_draws: EngineDraws | None = None) -> list[CriterionDraws]:
    """Check every criterion on every census it applies to, in every draw.

    Parameters
    ----------
    dev
        A plan evaluated over draws.
    criteria
        The criteria.
    engines
        Engine outputs on the census as given, for the point results (see
        :func:`dayafter.criteria.check_criteria`).
    engine_draws
        The same over draws, for criteria on engine outputs.

    Returns
    -------
    list of CriterionDraws
        One per result of :func:`dayafter.criteria.check_criteria` on the point evaluation, in
        the same order (bad criteria raise the same errors).
    """
    points = check_criteria(dev.point, criteria, engines=engines)
    out: list[CriterionDraws] = []
    plan = dev.plan
    for res in points:
        crit = res.criterion
        if res.census not in dev.censuses:
            raise ConfigError(f"criterion {crit.name!r} needs census {res.census!r}, which was not "
                              "evaluated over draws", hint=f"draw census {res.census!r} too")
        cm = dev.census(res.census)
        if crit.scope == "region":
            vals = _region_values(dev, cm, crit, engine_draws)
            D = vals.shape[0]
            sel = np.ones(plan.k, dtype=bool)
            if "regions" in crit.where:
                sel &= np.isin(plan.region_names, list(crit.where["regions"]))
            if "authorities" in crit.where:
                sel &= np.isin([r.authority for r in plan.regions], list(crit.where["authorities"]))
            sel2 = sel[None, :] & (np.asarray(cm.population)[:D] > 0) & np.isfinite(vals)
            if "community_share_over" in crit.where:
                j = _comm(cm, crit.metric)
                sel2 &= np.asarray(cm.shares)[:D, :, j] > float(crit.where["community_share_over"])
            passes, na, worst, item = _summarise(crit, vals, sel2, plan.region_names)
        elif crit.scope == "community":
            vals = _community_values(cm, crit, engine_draws)
            D = vals.shape[0]
            totals = np.asarray(cm.totals)[:D]
            sel2 = (totals > 0) & (np.asarray(cm.tally)[:D].sum(axis=1) > 0) & np.isfinite(vals)
            if "population_share_over" in crit.where:
                sel2 &= totals > float(crit.where["population_share_over"]) * totals.sum(
                    axis=1, keepdims=True)
            if "communities" in crit.where:
                sel2 &= np.isin(cm.communities, list(crit.where["communities"]))[None, :]
            passes, na, worst, item = _summarise(crit, vals, sel2, cm.communities)
        else:
            v = _plan_values(dev, cm, crit, engine_draws)
            na = ~np.isfinite(v) | (not np.any(plan.assignment >= 0))
            passes = crit._ok(v) & ~na
            worst = v
            item = "plan"
        out.append(CriterionDraws(res, np.asarray(passes, dtype=bool), np.asarray(worst), item,
                                  np.asarray(na, dtype=bool)))
    return out
