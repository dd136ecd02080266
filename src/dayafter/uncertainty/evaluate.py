"""Every census metric of a plan over census draws, vectorised (one kernel pass per census).

:func:`evaluate_draws` is :func:`dayafter.metrics.evaluate` with a leading draws axis: the same
metrics with the same definitions, for ``d`` draws of every census at once, and for several plans
in the same pass (their tallies are stacked). Census-independent metrics (geometry) and the point
evaluation come from :func:`dayafter.metrics.evaluate` itself, so point values are today's numbers
exactly.

>>> import numpy as np
>>> from dayafter.testing.grids import grid_territory
>>> from dayafter.plan import Plan, Region
>>> from dayafter.uncertainty.model import CensusModel, ErrorModel
>>> t = grid_territory(2, 2, communities=np.array([[60.0, 40], [10, 90], [50, 50], [0, 100]]))
>>> plan = Plan(np.array([0, 0, 1, 1]), (Region("North"), Region("South")),
...             territory_hash=t.content_hash)
>>> draws = CensusModel(t, ErrorModel(unknown_error=0.2)).draw(100, seed=3)
>>> ev = evaluate_draws(t, plan, draws)
>>> ev.census("census").empowerment_plurality.shape      # (draws, communities)
(100, 2)
>>> exact = CensusModel(t).draw(5, seed=3)                # no ranges: every draw is the census
>>> float(evaluate_draws(t, plan, exact).census("census").theil_h[0]) == float(
...     evaluate_draws(t, plan, exact).point.census("census").theil_h)
True
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, overload

import numpy as np
from numpy.typing import NDArray

from dayafter._kernels import draws as _kd
from dayafter.errors import ConfigError, InputDataError, PlanMismatchError
from dayafter.metrics.evaluate import (
    DEFAULT_THRESHOLD,
    CensusMetrics,
    Evaluation,
    evaluate,
)
from dayafter.plan import Plan
from dayafter.territory import Territory
from dayafter.uncertainty.model import CensusDraws

__all__ = ["DrawCensusMetrics", "DrawEvaluation", "evaluate_draws"]


@dataclass(frozen=True, eq=False)
class DrawCensusMetrics:
    """The metrics of :class:`~dayafter.metrics.CensusMetrics`, each with a leading draws axis.

    Region arrays are ``[d, k]`` (``[d, k, g]`` for ``tally`` and ``shares``), community arrays
    ``[d, g]``, ``theil_h`` and ``unassigned_population`` ``[d]``, ``dissimilarity`` ``[d, g, g]``.
    """

    census: str
    communities: tuple[str, ...]
    tally: NDArray[np.float64]
    population: NDArray[np.float64]
    deviation: NDArray[np.float64]
    shares: NDArray[np.float64]
    largest: NDArray[np.int64]
    largest_share: NDArray[np.float64]
    fractionalization: NDArray[np.float64]
    polarization: NDArray[np.float64]
    empowerment_plurality: NDArray[np.float64]
    empowerment_majority: NDArray[np.float64]
    stranded: NDArray[np.float64]
    stranded_people: NDArray[np.float64]
    theil_h: NDArray[np.float64]
    dissimilarity: NDArray[np.float64]
    threshold: float
    unassigned_population: NDArray[np.float64]
    totals: NDArray[np.float64]
    _plan_scalars: dict[str, NDArray[np.float64]] = field(default_factory=dict, repr=False)

    @property
    def n_draws(self) -> int:
        """Number of draws."""
        return int(self.tally.shape[0])

    def at(self, j: int) -> CensusMetrics:
        """The metrics of draw ``j`` as an ordinary :class:`~dayafter.metrics.CensusMetrics`."""
        return CensusMetrics(
            census=self.census, communities=self.communities, tally=self.tally[j],
            population=self.population[j], deviation=self.deviation[j], shares=self.shares[j],
            largest=self.largest[j], largest_share=self.largest_share[j],
            fractionalization=self.fractionalization[j], polarization=self.polarization[j],
            empowerment_plurality=self.empowerment_plurality[j],
            empowerment_majority=self.empowerment_majority[j], stranded=self.stranded[j],
            stranded_people=self.stranded_people[j], theil_h=float(self.theil_h[j]),
            dissimilarity=self.dissimilarity[j], threshold=self.threshold,
            unassigned_population=float(self.unassigned_population[j]), totals=self.totals[j])

    def scalars(self) -> dict[str, NDArray[np.float64]]:
        """Plan-level scalars over draws: the keys of :meth:`CensusMetrics.scalars`, ``[d]`` each."""
        out: dict[str, NDArray[np.float64]] = dict(self._plan_scalars)
        out["theil_h"] = self.theil_h
        for j, c in enumerate(self.communities):
            out[f"empowerment_plurality:{c}"] = self.empowerment_plurality[:, j]
            out[f"empowerment_majority:{c}"] = self.empowerment_majority[:, j]
            out[f"stranded:{c}"] = self.stranded[:, j]
        return out


@dataclass(frozen=True, eq=False)
class DrawEvaluation:
    """A plan evaluated on every draw of every census.

    Attributes
    ----------
    plan
        The plan.
    point
        Its ordinary :class:`~dayafter.metrics.Evaluation` on the territory's censuses (the point
        values; geometry and admin splits, which no census changes, are read from here).
    draws
        The census draws.
    censuses
        Census name to :class:`DrawCensusMetrics`.
    people_moved, polity_people_moved, people_reassigned
        With a reference plan: per census, ``[d]`` people in units whose control changes, whose
        region's authority changes, and whose region is not the matched reference region (the
        layers of :func:`dayafter.metrics.compare_to_reference`).
    """

    plan: Plan
    point: Evaluation
    draws: CensusDraws
    censuses: dict[str, DrawCensusMetrics]
    people_moved: dict[str, NDArray[np.float64]] | None = None
    people_reassigned: dict[str, NDArray[np.float64]] | None = None
    polity_people_moved: dict[str, NDArray[np.float64]] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def n_draws(self) -> int:
        """Number of draws."""
        return self.draws.n_draws

    def census(self, name: str | None = None) -> DrawCensusMetrics:
        """Metrics over draws on census ``name`` (the first one when ``None``)."""
        if name is None:
            return next(iter(self.censuses.values()))
        try:
            return self.censuses[name]
        except KeyError:
            raise InputDataError(f"census {name!r} was not evaluated over draws",
                                 hint=f"use one of {list(self.censuses)}") from None

    def scalars(self) -> dict[str, NDArray[np.float64]]:
        """Every census-dependent plan scalar over draws, keyed as in :meth:`Evaluation.scalars`."""
        out: dict[str, NDArray[np.float64]] = {}
        for name, cm in self.censuses.items():
            for key, v in cm.scalars().items():
                out[f"{name}/{key}"] = v
        if self.people_moved is not None:
            for name, v in self.people_moved.items():
                out[f"{name}/people_moved"] = v
        if self.polity_people_moved is not None:
            for name, v in self.polity_people_moved.items():
                out[f"{name}/polity_people_moved"] = v
        return out

    def figures(self) -> dict[str, NDArray[np.float64]]:
        """Every figure over draws: plan scalars and, per region, population, deviation, largest
        share, fractionalization and each community's share.

        Region figures are keyed ``<census>/region:<name>/<metric>`` (``share:<community>`` for
        shares).
        """
        out = self.scalars()
        names = self.plan.region_names
        for cname, cm in self.censuses.items():
            for j, rname in enumerate(names):
                pre = f"{cname}/region:{rname}/"
                out[pre + "population"] = cm.population[:, j]
                out[pre + "deviation"] = cm.deviation[:, j]
                out[pre + "largest_share"] = cm.largest_share[:, j]
                out[pre + "fractionalization"] = cm.fractionalization[:, j]
                for c, comm in enumerate(cm.communities):
                    out[pre + f"share:{comm}"] = cm.shares[:, j, c]
        return out

    def point_figures(self) -> dict[str, float]:
        """The point value of every key of :meth:`figures` (from the ordinary evaluation)."""
        ev = self.point
        keys = self._census_keys()
        out = {k: v for k, v in ev.scalars().items() if k in keys}
        names = self.plan.region_names
        for cname in self.censuses:
            cm = ev.census(cname)
            for j, rname in enumerate(names):
                pre = f"{cname}/region:{rname}/"
                out[pre + "population"] = float(cm.population[j])
                out[pre + "deviation"] = float(cm.deviation[j])
                out[pre + "largest_share"] = float(cm.largest_share[j])
                out[pre + "fractionalization"] = float(cm.fractionalization[j])
                for c, comm in enumerate(cm.communities):
                    out[pre + f"share:{comm}"] = float(cm.shares[j, c])
        return out

    def _census_keys(self) -> set[str]:
        keys = set()
        for name, cm in self.censuses.items():
            keys |= {f"{name}/{k}" for k in cm.scalars()}
            if self.people_moved is not None:
                keys.add(f"{name}/people_moved")
            if self.polity_people_moved is not None:
                keys.add(f"{name}/polity_people_moved")
        return keys


def _check_draws(territory: Territory, draws: CensusDraws) -> None:
    if not isinstance(draws, CensusDraws):
        raise ConfigError(f"draws must be CensusDraws (from CensusModel.draw), got {type(draws).__name__}")
    if draws.territory_hash != territory.content_hash:
        raise PlanMismatchError(
            "the census draws were made for another territory (content hash "
            f"{draws.territory_hash[:12]}, not {territory.content_hash[:12]})",
            hint="draw again with CensusModel(territory).draw(...)")


@overload
def evaluate_draws(territory: Territory, plans: Plan, draws: CensusDraws, *,
                   censuses: Sequence[str] | None = ..., threshold: float = ...,
                   reference: Plan | None = ...) -> DrawEvaluation: ...


@overload
def evaluate_draws(territory: Territory, plans: Sequence[Plan], draws: CensusDraws, *,
                   censuses: Sequence[str] | None = ..., threshold: float = ...,
                   reference: Plan | None = ...) -> list[DrawEvaluation]: ...


def evaluate_draws(
    territory: Territory,
    plans: Plan | Sequence[Plan],
    draws: CensusDraws,
    *,
    censuses: Sequence[str] | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    reference: Plan | None = None,
) -> DrawEvaluation | list[DrawEvaluation]:
    """Evaluate one plan, or several at once, on every census draw.

    Parameters
    ----------
    territory
        The territory the plans and the draws belong to.
    plans
        A plan or a sequence of plans (evaluated together: one tally pass for all).
    draws
        Census draws from :meth:`CensusModel.draw <dayafter.uncertainty.CensusModel.draw>`.
    censuses
        Censuses to evaluate (default: every census drawn).
    threshold
        Stranded threshold.
    reference
        Plan to measure people changing authority from.

    Returns
    -------
    DrawEvaluation or list of DrawEvaluation
        One per plan, in order.

    Notes
    -----
    O(d n p g) for the tally of ``p`` plans and O(d K g^2) for the metrics of their ``K``
    regions, in compiled loops (:mod:`dayafter._kernels.draws`); no Python loop over draws.

    Examples
    --------
    >>> import numpy as np
    >>> from dayafter.plan import Plan, Region
    >>> from dayafter.testing.grids import grid_territory
    >>> from dayafter.uncertainty import CensusModel, ErrorModel
    >>> t = grid_territory(1, 3, communities=np.array([[90.0, 10], [60, 40], [10, 90]]))
    >>> a = Plan(np.array([0, 0, 1]), (Region("W"), Region("E")), territory_hash=t.content_hash)
    >>> dev = evaluate_draws(t, a, CensusModel(t, ErrorModel(unknown_error=0.2)).draw(100, seed=1))
    >>> dev.censuses["census"].stranded.shape   # [draws, communities]
    (100, 2)
    """
    single = isinstance(plans, Plan)
    plist: list[Plan] = [plans] if isinstance(plans, Plan) else list(plans)
    if not plist:
        raise ConfigError("evaluate_draws needs at least one plan")
    _check_draws(territory, draws)
    names = list(censuses) if censuses is not None else list(draws.census_names)
    for name in names:
        draws.census(name)
    if not 0.0 < threshold < 1.0:
        raise InputDataError(f"stranded threshold must lie in (0, 1), got {threshold}",
                             hint="pass a share such as --threshold 0.1")
    points = [evaluate(territory, p, censuses=names, threshold=threshold, reference=reference)
              for p in plist]
    n = territory.n_units
    A = np.ascontiguousarray(np.vstack([p.assignment for p in plist]).astype(np.int32))
    offsets = np.zeros(len(plist) + 1, dtype=np.int64)
    np.cumsum([p.k for p in plist], out=offsets[1:])
    # sets of units whose people are counted: unassigned units, and the change from the reference
    masks: list[NDArray[np.bool_]] = []
    mask_of: list[tuple[int, str]] = []
    for i, p in enumerate(plist):
        if np.any(p.assignment < 0):
            masks.append(p.assignment < 0)
            mask_of.append((i, "unassigned"))
        ch = points[i].change
        if ch is not None and reference is not None:
            # the two layers of dayafter.metrics.compare_to_reference: control, then polity
            masks.append(p.control_of_units() != reference.control_of_units())
            mask_of.append((i, "moved"))
            masks.append(p.authority_of_units() != reference.authority_of_units())
            mask_of.append((i, "polity_moved"))
            pa, ra = p.assignment, reference.assignment
            matched = np.where(pa >= 0, ch.region_match[np.maximum(pa, 0)], -2)
            masks.append(matched != ra)
            mask_of.append((i, "reassigned"))
    rows = np.ascontiguousarray((A + offsets[:-1, None].astype(np.int32)).T.astype(np.int64))
    rows[np.ascontiguousarray(A.T) < 0] = -1
    n_sets = len(masks)
    width = int(np.vstack(masks).sum(axis=0).max()) if masks else 0
    mask_rows = np.full((n, width), -1, dtype=np.int64)
    if masks:
        fill = np.zeros(n, dtype=np.int64)
        for j, mk in enumerate(masks):
            units = np.flatnonzero(mk)
            mask_rows[units, fill[units]] = j
            fill[units] += 1
    results: list[dict[str, DrawCensusMetrics]] = [{} for _ in plist]
    counted: dict[str, list[dict[str, NDArray[np.float64]]]] = {
        kind: [{} for _ in plist] for kind in ("unassigned", "moved", "polity_moved", "reassigned")}
    for name in names:
        x = draws.draws_last(name)
        if not x.flags.c_contiguous:
            x = np.ascontiguousarray(x)
        P, T, M = _kd.tally_draws(x, rows, int(offsets[-1]), mask_rows, n_sets)
        (N, dev, S, big, top, frac, pol, emp, maj, strand, strand_n, theil,
         dis) = _kd.region_metrics(P, offsets, T, float(threshold))
        tot, mad, mls, mf, mp = _kd.plan_scalars(N, dev, top, frac, pol, offsets)
        for j, (i, kind) in enumerate(mask_of):
            counted[kind][i][name] = M[j]
        d = x.shape[2]
        for i in range(len(plist)):
            lo, hi = int(offsets[i]), int(offsets[i + 1])
            results[i][name] = DrawCensusMetrics(
                census=name, communities=territory.communities, tally=P[lo:hi].transpose(2, 0, 1),
                population=N[lo:hi].T, deviation=dev[lo:hi].T, shares=S[lo:hi].transpose(2, 0, 1),
                largest=big[lo:hi].T, largest_share=top[lo:hi].T,
                fractionalization=frac[lo:hi].T, polarization=pol[lo:hi].T,
                empowerment_plurality=emp[i].T, empowerment_majority=maj[i].T,
                stranded=strand[i].T, stranded_people=strand_n[i].T, theil_h=theil[i],
                dissimilarity=dis[i].transpose(2, 0, 1), threshold=float(threshold),
                unassigned_population=counted["unassigned"][i].get(name, np.zeros(d)), totals=T.T,
                _plan_scalars={"population_total": tot[i], "max_abs_deviation": mad[i],
                               "min_largest_share": mls[i], "mean_fractionalization": mf[i],
                               "mean_polarization": mp[i]})
    moved, reassigned, pmoved = counted["moved"], counted["reassigned"], counted["polity_moved"]
    out = [
        DrawEvaluation(plan=p, point=points[i], draws=draws, censuses=results[i],
                       people_moved=moved[i] or None, people_reassigned=reassigned[i] or None,
                       polity_people_moved=pmoved[i] or None)
        for i, p in enumerate(plist)
    ]
    return out[0] if single else out
