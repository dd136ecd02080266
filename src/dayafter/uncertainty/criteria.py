"""Criteria over draws: in what share of the census draws does each criterion pass?

The same :class:`~dayafter.criteria.Criterion` objects as :func:`dayafter.criteria.check_criteria`,
with the same scopes and filters, checked on every draw at once.

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

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dayafter.criteria import Criterion, CriterionResult, check_criteria
from dayafter.errors import ConfigError
from dayafter.uncertainty.evaluate import DrawCensusMetrics, DrawEvaluation

__all__ = ["CriterionDraws", "check_criteria_draws"]


@dataclass(frozen=True)
class CriterionDraws:
    """One criterion on one census, over draws.

    Attributes
    ----------
    point
        The ordinary result on the census as given.
    passes
        ``bool[d]``: whether it passes in each draw.
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

    def agreement(self) -> float:
        """Share of draws that agree with the point result (pass where it passes, fail where it
        fails)."""
        ps = self.pass_share
        return ps if self.point.passed else 1.0 - ps

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: the point result plus ``pass_share``."""
        d = self.point.to_dict()
        d["pass_share"] = self.pass_share
        d["item"] = self.item
        return d


def _region_values(dev: DrawEvaluation, cm: DrawCensusMetrics, metric: str) -> NDArray[np.float64]:
    g = dev.point.geometry
    d = cm.n_draws
    if metric.startswith("share:"):
        comm = metric.split(":", 1)[1]
        if comm not in cm.communities:
            raise ConfigError(f"unknown community {comm!r} in metric {metric!r}",
                              hint=f"use one of {list(cm.communities)}")
        return np.asarray(cm.shares[:, :, cm.communities.index(comm)])
    fixed = {"polsby_popper": g.polsby_popper, "pieces": g.pieces.astype(float),
             "area_km2": g.area / 1e6}
    if metric in fixed:
        return np.broadcast_to(np.asarray(fixed[metric], dtype=float), (d, len(fixed[metric])))
    table = {"population": cm.population, "deviation": cm.deviation,
             "largest_share": cm.largest_share, "fractionalization": cm.fractionalization,
             "polarization": cm.polarization}
    return np.asarray(table[metric], dtype=float)


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
               names: Sequence[str]) -> tuple[NDArray[np.bool_], NDArray[np.float64], str]:
    """Per draw: pass flag, the value of the tightest selected item, and that item's name."""
    ok = crit._ok(vals)
    passes = ~np.any(sel & ~ok, axis=1)
    marg = np.where(sel, _margin(crit, vals), np.inf)
    j = np.argmin(marg, axis=1)
    worst = np.take_along_axis(vals, j[:, None], axis=1)[:, 0]
    worst = np.where(np.isfinite(np.take_along_axis(marg, j[:, None], axis=1)[:, 0]), worst, np.nan)
    if vals.shape[1]:
        counts = np.bincount(j, minlength=vals.shape[1])
        item = str(names[int(np.argmax(counts))])
    else:
        item = ""
    return passes, worst, item


def check_criteria_draws(dev: DrawEvaluation, criteria: Sequence[Criterion]) -> list[CriterionDraws]:
    """Check every criterion on every census it applies to, in every draw.

    Returns one :class:`CriterionDraws` per result of :func:`dayafter.criteria.check_criteria` on
    the point evaluation, in the same order (bad criteria raise the same errors).
    """
    points = check_criteria(dev.point, criteria)
    out: list[CriterionDraws] = []
    plan = dev.plan
    for res in points:
        crit = res.criterion
        if res.census not in dev.censuses:
            raise ConfigError(f"criterion {crit.name!r} needs census {res.census!r}, which was not "
                              "evaluated over draws", hint=f"draw census {res.census!r} too")
        cm = dev.census(res.census)
        d = cm.n_draws
        if crit.scope == "region":
            vals = _region_values(dev, cm, crit.metric)
            sel = np.ones(plan.k, dtype=bool)
            if "regions" in crit.where:
                sel &= np.isin(plan.region_names, list(crit.where["regions"]))
            if "authorities" in crit.where:
                sel &= np.isin([r.authority for r in plan.regions], list(crit.where["authorities"]))
            sel2 = sel[None, :] & (np.asarray(cm.population) > 0)
            passes, worst, item = _summarise(crit, vals, sel2, plan.region_names)
        elif crit.scope == "community":
            vals = np.asarray(getattr(cm, crit.metric), dtype=float)
            totals = np.asarray(cm.totals)
            sel2 = totals > 0
            if "population_share_over" in crit.where:
                sel2 &= totals > float(crit.where["population_share_over"]) * totals.sum(axis=1,
                                                                                         keepdims=True)
            if "communities" in crit.where:
                sel2 &= np.isin(cm.communities, list(crit.where["communities"]))[None, :]
            passes, worst, item = _summarise(crit, vals, sel2, cm.communities)
        else:
            scal: dict[str, NDArray[np.float64]] = {
                k: np.full(d, v) for k, v in dev.point.geometry.scalars().items()}
            scal.update(cm.scalars())
            if dev.point.change is not None:
                scal["units_moved"] = np.full(d, float(dev.point.change.units_moved))
                moved = (dev.people_moved or {}).get(res.census)
                scal["people_moved"] = moved if moved is not None else np.full(d, np.nan)
            if crit.metric.startswith("dissimilarity:"):
                a, _, b = crit.metric.split(":", 1)[1].partition("|")
                scal[crit.metric] = np.asarray(cm.dissimilarity[:, cm.communities.index(a),
                                                                cm.communities.index(b)])
            v = np.asarray(scal[crit.metric], dtype=float)
            passes = crit._ok(v)
            worst = v
            item = "plan"
        out.append(CriterionDraws(res, np.asarray(passes, dtype=bool), np.asarray(worst), item))
    return out
