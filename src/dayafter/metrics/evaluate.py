"""Evaluate a plan: every metric of DESIGN.md, for every census, as arrays.

>>> import numpy as np
>>> from dayafter.graph import UnitGraph
>>> from dayafter.territory import Territory
>>> from dayafter.plan import Plan, Region
>>> g = UnitGraph.from_edges(4, [0, 1, 2], [1, 2, 3], [1.0, 1.0, 1.0])      # a path of 4 units
>>> t = Territory.from_arrays(["a", "b", "c", "d"], ["x", "y"],
...     {"now": np.array([[10.0, 0], [8, 2], [1, 9], [0, 10]])}, g,
...     outer_border=np.array([3.0, 2.0, 2.0, 3.0]), admin={"prov": ["P", "P", "Q", "Q"]})
>>> plan = Plan(np.array([0, 0, 1, 1]), (Region("West", "federal"), Region("East", "krg")),
...             territory_hash=t.content_hash)
>>> ev = evaluate(t, plan)
>>> ev.census("now").population.tolist()
[20.0, 20.0]
>>> ev.census("now").empowerment_plurality.tolist()
[0.9473684210526315, 0.9047619047619048]
>>> int(ev.geometry.cut_edges), ev.geometry.pieces.tolist(), int(ev.geometry.splits["prov"])
(1, [1, 1], 0)
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dayafter._kernels import metrics as _k
from dayafter._util.stats import finite
from dayafter.errors import InputDataError
from dayafter.metrics import composition as comp
from dayafter.metrics.shape import polsby_popper
from dayafter.plan import Plan
from dayafter.territory import Territory
from dayafter.validation import PARAMETERS, validate_params

__all__ = [
    "CensusMetrics",
    "ChangeMetrics",
    "Evaluation",
    "GeometryMetrics",
    "compare_to_reference",
    "evaluate",
    "evaluate_assignment",
    "tally",
]

DEFAULT_THRESHOLD: float = PARAMETERS["threshold"].default
"""Default share below which a community counts as stranded in a region."""


# ---------------------------------------------------------------------------------------------
# Per-territory precomputation (cached weakly so a territory's arrays are prepared once)


@dataclass(frozen=True)
class _Context:
    admin_order: dict[str, NDArray[np.int64]]
    admin_starts: dict[str, NDArray[np.int64]]
    admin_names: dict[str, NDArray[np.object_]]


_CONTEXTS: weakref.WeakKeyDictionary[Territory, _Context] = weakref.WeakKeyDictionary()


def _context(t: Territory) -> _Context:
    ctx = _CONTEXTS.get(t)
    if ctx is None:
        order, starts, names = {}, {}, {}
        for level in t.admin:
            codes, nm = t.admin_codes(level)
            o = np.argsort(codes, kind="stable").astype(np.int64)
            s = np.zeros(nm.size + 1, dtype=np.int64)
            np.cumsum(np.bincount(codes, minlength=nm.size), out=s[1:])
            order[level], starts[level], names[level] = o, s, nm
        ctx = _Context(order, starts, names)
        _CONTEXTS[t] = ctx
    return ctx


def _check_assignment(t: Territory, assignment: NDArray[np.integer], k: int) -> NDArray[np.int32]:
    a = np.asarray(assignment)
    if a.shape != (t.n_units,):
        raise InputDataError(
            f"assignment has shape {a.shape}, territory {t.name or '(unnamed)'} has {t.n_units} units"
        )
    if a.dtype != np.int32:
        a = a.astype(np.int32)
    if a.size and (a.max() >= k or a.min() < -1):
        raise InputDataError(f"assignment values must lie in -1..{k - 1}")
    return a


def tally(assignment: NDArray[np.integer], table: NDArray[np.float64], k: int) -> NDArray[np.float64]:
    """Per-region sums of a ``(n,)`` or ``(n, g)`` table; units assigned ``-1`` count nowhere.

    >>> tally(np.array([0, 1, 0, -1]), np.array([1.0, 2.0, 3.0, 4.0]), 2).tolist()
    [4.0, 2.0]
    """
    a = np.asarray(assignment, dtype=np.int32)
    tab = np.asarray(table, dtype=np.float64)
    kernel = _k.tally1 if tab.ndim == 1 else _k.tally
    out: NDArray[np.float64] = kernel(a, np.ascontiguousarray(tab), k)
    return out


# ---------------------------------------------------------------------------------------------
# Result objects


@dataclass(frozen=True)
class CensusMetrics:
    """Metrics of one plan on one census (arrays indexed by region ``k`` or community ``g``).

    Attributes
    ----------
    census
        The census name.
    communities
        Community names (index ``g``).
    tally
        ``P[k, g]`` people of community ``g`` in region ``k``.
    population, deviation
        ``N[k]`` and ``(N[k] - mean) / mean``.
    shares
        ``s[k, g]``.
    largest, largest_share
        Index of the largest community of each region and its share (homogeneity).
    fractionalization, polarization
        Per region.
    empowerment_plurality, empowerment_majority
        Per community: share living where it is the largest community / holds a majority.
    stranded, stranded_people
        Per community: share (and number) living where its share is below ``threshold``.
    theil_h
        Multi-group segregation across regions.
    dissimilarity
        ``(g, g)`` pairwise dissimilarity.
    threshold
        The stranded threshold used.
    unassigned_population
        People in units that belong to no region.
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
    theil_h: float
    dissimilarity: NDArray[np.float64]
    threshold: float
    unassigned_population: float
    totals: NDArray[np.float64] | None = None

    def community_totals(self) -> NDArray[np.float64]:
        """People of each community in the whole territory (assigned or not): the denominators of
        empowerment and stranded shares."""
        return self.tally.sum(axis=0) if self.totals is None else self.totals

    def scalars(self) -> dict[str, float]:
        """Plan-level scalars (for ensembles, optimizers and comparison tables).

        Keys: ``population_total``, ``max_abs_deviation``, ``min_largest_share``,
        ``mean_fractionalization`` and ``mean_polarization`` (population-weighted), ``theil_h``,
        and per community ``empowerment_plurality:<g>``, ``empowerment_majority:<g>``,
        ``stranded:<g>``.
        """
        N = self.population
        w = N / N.sum() if N.sum() > 0 else np.zeros_like(N)
        out: dict[str, float] = {
            "population_total": float(N.sum()),
            "max_abs_deviation": float(np.nanmax(np.abs(self.deviation)))
            if np.isfinite(self.deviation).any() else float("nan"),
            "min_largest_share": float(np.nanmin(self.largest_share))
            if np.isfinite(self.largest_share).any() else float("nan"),
            "mean_fractionalization": float(np.nansum(w * self.fractionalization)),
            "mean_polarization": float(np.nansum(w * self.polarization)),
            "theil_h": float(self.theil_h),
        }
        for j, c in enumerate(self.communities):
            out[f"empowerment_plurality:{c}"] = float(self.empowerment_plurality[j])
            out[f"empowerment_majority:{c}"] = float(self.empowerment_majority[j])
            out[f"stranded:{c}"] = float(self.stranded[j])
        return out


@dataclass(frozen=True)
class GeometryMetrics:
    """Census-independent metrics of a plan.

    Attributes
    ----------
    area, perimeter
        Per region, square metres and metres (perimeter from shared and outer border lengths).
    polsby_popper
        ``4 pi A / P^2`` per region.
    cut_edges
        Adjacent unit pairs in different regions.
    pieces
        Connected pieces per region (1 = contiguous).
    splits
        Per admin level, number of admin units divided among several regions.
    split_detail
        Per admin level, the number of regions touching each admin unit (names in ``admin_names``).
    admin_names
        Per admin level, the admin unit codes in the order of ``split_detail``.
    n_units, unassigned_units
        Units per region, and the number of units in no region.
    """

    area: NDArray[np.float64]
    perimeter: NDArray[np.float64]
    polsby_popper: NDArray[np.float64]
    cut_edges: int
    pieces: NDArray[np.int64]
    splits: dict[str, int]
    split_detail: dict[str, NDArray[np.int64]]
    admin_names: dict[str, NDArray[np.object_]]
    n_units: NDArray[np.int64]
    unassigned_units: int

    @property
    def contiguous(self) -> NDArray[np.bool_]:
        """True for regions in one piece (empty regions count as contiguous)."""
        return self.pieces <= 1

    def scalars(self) -> dict[str, float]:
        """Plan-level scalars: ``cut_edges``, ``mean_polsby_popper``, ``min_polsby_popper``,
        ``noncontiguous_regions`` and ``splits:<level>``."""
        pp = self.polsby_popper
        out: dict[str, float] = {
            "cut_edges": float(self.cut_edges),
            "mean_polsby_popper": float(np.nanmean(pp)) if np.isfinite(pp).any() else float("nan"),
            "min_polsby_popper": float(np.nanmin(pp)) if np.isfinite(pp).any() else float("nan"),
            "noncontiguous_regions": float(np.sum(self.pieces > 1)),
            "unassigned_units": float(self.unassigned_units),
        }
        for level, v in self.splits.items():
            out[f"splits:{level}"] = float(v)
        return out


@dataclass(frozen=True)
class ChangeMetrics:
    """Change of a plan from a reference plan, on each layer.

    The **control** layer (who holds each unit, :meth:`Plan.control_of_units`) gives
    ``authorities``, ``units_moved``, ``people_moved`` and the transition tables; the **polity**
    layer gives the ``polity_*`` fields (the authority of the unit's region,
    :meth:`Plan.authority_of_units`) and the region matching. For a plan that states no control,
    control follows the polities and both layers agree.

    Attributes
    ----------
    reference
        Name of the reference plan.
    authorities
        Control labels (rows and columns of the transition tables).
    units_moved
        Control layer: units whose control differs from the reference.
    people_moved
        Per census, people in those units.
    transition_units, transition_people
        ``[from, to]`` control tables over ``authorities`` (people per census).
    region_match
        For each region of the plan, the reference region it overlaps most (Hungarian matching on
        shared units), or -1.
    units_reassigned, people_reassigned
        Polity layer: units (and people per census) whose region is not the matched reference
        region.
    polity_authorities, polity_units_moved, polity_people_moved
        Polity layer: authority labels, units whose region's authority differs from the
        reference, and the people in them per census.
    polity_transition_units, polity_transition_people
        ``[from, to]`` tables of polity authority.
    """

    reference: str
    authorities: tuple[str, ...]
    units_moved: int
    people_moved: dict[str, float]
    transition_units: NDArray[np.int64]
    transition_people: dict[str, NDArray[np.float64]]
    region_match: NDArray[np.int64]
    units_reassigned: int
    people_reassigned: dict[str, float]
    polity_authorities: tuple[str, ...] = ()
    polity_units_moved: int = 0
    polity_people_moved: dict[str, float] = field(default_factory=dict)
    polity_transition_units: NDArray[np.int64] | None = None
    polity_transition_people: dict[str, NDArray[np.float64]] = field(default_factory=dict)


@dataclass(frozen=True)
class Evaluation:
    """Everything :func:`evaluate` computes for one plan."""

    plan: Plan
    territory_name: str
    geometry: GeometryMetrics
    censuses: dict[str, CensusMetrics]
    change: ChangeMetrics | None = None
    reock: NDArray[np.float64] | None = None  # filled by dayafter.evaluate(..., reock=True)
    extra: dict[str, Any] = field(default_factory=dict)

    def census(self, name: str | None = None) -> CensusMetrics:
        """The metrics on census ``name`` (the first one when ``None``)."""
        if name is None:
            return next(iter(self.censuses.values()))
        try:
            return self.censuses[name]
        except KeyError:
            raise InputDataError(f"census {name!r} was not evaluated",
                                 hint=f"use one of {list(self.censuses)}") from None

    def scalars(self) -> dict[str, float]:
        """All plan-level scalars; census metrics are keyed ``<census>/<metric>``."""
        out = dict(self.geometry.scalars())
        for name, cm in self.censuses.items():
            for key, v in cm.scalars().items():
                out[f"{name}/{key}"] = v
        if self.change is not None:
            out["units_moved"] = float(self.change.units_moved)
            out["polity_units_moved"] = float(self.change.polity_units_moved)
            for name, v in self.change.people_moved.items():
                out[f"{name}/people_moved"] = v
            for name, v in self.change.polity_people_moved.items():
                out[f"{name}/polity_people_moved"] = v
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dictionary of every metric (regions by name, communities by key)."""
        plan = self.plan
        regions: list[dict[str, Any]] = [dict(r.to_dict()) for r in plan.regions]
        g = self.geometry
        for j, r in enumerate(regions):
            r.update(
                units=int(g.n_units[j]),
                area_km2=float(g.area[j] / 1e6),
                perimeter_km=float(g.perimeter[j] / 1e3),
                polsby_popper=_f(g.polsby_popper[j]),
                pieces=int(g.pieces[j]),
            )
            if self.reock is not None:
                r["reock"] = _f(self.reock[j])
        out: dict[str, Any] = {
            "plan": plan.name,
            "territory": self.territory_name,
            "regions": regions,
            "geometry": {
                "cut_edges": int(g.cut_edges),
                "splits": {k: int(v) for k, v in g.splits.items()},
                "split_admin_units": {
                    lvl: [str(n) for n, c in zip(g.admin_names[lvl], g.split_detail[lvl], strict=True)
                          if c > 1]
                    for lvl in g.splits
                },
                "unassigned_units": int(g.unassigned_units),
            },
            "censuses": {},
        }
        for name, cm in self.censuses.items():
            comms = cm.communities
            out["censuses"][name] = {
                "threshold": cm.threshold,
                "theil_h": _f(cm.theil_h),
                "unassigned_population": cm.unassigned_population,
                "regions": [
                    {
                        "name": plan.regions[j].name,
                        "population": float(cm.population[j]),
                        "deviation": _f(cm.deviation[j]),
                        "largest": comms[cm.largest[j]] if cm.largest[j] >= 0 else None,
                        "largest_share": _f(cm.largest_share[j]),
                        "fractionalization": _f(cm.fractionalization[j]),
                        "polarization": _f(cm.polarization[j]),
                        "composition": {c: float(cm.tally[j, i]) for i, c in enumerate(comms)},
                    }
                    for j in range(plan.k)
                ],
                "communities": {
                    c: {
                        "population": float(cm.community_totals()[i]),
                        "empowerment_plurality": _f(cm.empowerment_plurality[i]),
                        "empowerment_majority": _f(cm.empowerment_majority[i]),
                        "stranded": _f(cm.stranded[i]),
                        "stranded_people": float(cm.stranded_people[i]),
                    }
                    for i, c in enumerate(comms)
                },
                "dissimilarity": {
                    f"{a}|{b}": _f(cm.dissimilarity[i, j])
                    for i, a in enumerate(comms) for j, b in enumerate(comms) if i < j
                },
            }
        if self.change is not None:
            ch = self.change

            def transitions(labels: tuple[str, ...], units: NDArray[np.int64] | None,
                            people: dict[str, NDArray[np.float64]]) -> list[dict[str, Any]]:
                if units is None:
                    return []
                return [
                    {"from": labels[i], "to": labels[j], "units": int(units[i, j]),
                     "people": {c: float(t[i, j]) for c, t in people.items()}}
                    for i in range(len(labels)) for j in range(len(labels))
                    if i != j and units[i, j] > 0
                ]

            out["change"] = {
                "reference": ch.reference,
                "layer": "control",
                "units_moved": ch.units_moved,
                "people_moved": ch.people_moved,
                "transitions": transitions(ch.authorities, ch.transition_units,
                                           ch.transition_people),
                "units_reassigned": ch.units_reassigned,
                "people_reassigned": ch.people_reassigned,
                "polity": {
                    "units_moved": ch.polity_units_moved,
                    "people_moved": ch.polity_people_moved,
                    "transitions": transitions(ch.polity_authorities, ch.polity_transition_units,
                                               ch.polity_transition_people),
                    "units_reassigned": ch.units_reassigned,
                    "people_reassigned": ch.people_reassigned,
                },
            }
        out["control"] = plan.control_summary()
        return out


_f = finite  # JSON's missing value for NaN and infinities


# ---------------------------------------------------------------------------------------------
# Computation


def census_metrics(
    t: Territory,
    a: NDArray[np.int32],
    k: int,
    census: str,
    *,
    threshold: float = DEFAULT_THRESHOLD,
) -> CensusMetrics:
    """Metrics of one assignment on one census (no validation; see :func:`evaluate_assignment`)."""
    table = t.census(census)
    P = _k.tally(a, table, k)
    N = P.sum(axis=1)
    totals = table.sum(axis=0)
    largest, top = comp.largest_community(P)
    unassigned = float(table[a < 0].sum()) if np.any(a < 0) else 0.0
    return CensusMetrics(
        census=census,
        communities=t.communities,
        tally=P,
        population=N,
        deviation=comp.population_deviation(N),
        shares=comp.shares(P),
        largest=largest,
        largest_share=top,
        fractionalization=comp.fractionalization(P),
        polarization=comp.polarization(P),
        empowerment_plurality=comp.empowerment(P, totals=totals),
        empowerment_majority=comp.empowerment(P, majority=True, totals=totals),
        stranded=comp.stranded(P, threshold=threshold, totals=totals),
        stranded_people=comp.stranded_population(P, threshold=threshold),
        theil_h=comp.theil_h(P),
        dissimilarity=comp.dissimilarity(P),
        threshold=float(threshold),
        unassigned_population=unassigned,
        totals=totals,
    )


def geometry_metrics(t: Territory, a: NDArray[np.int32], k: int) -> GeometryMetrics:
    """Census-independent metrics of one assignment (no validation)."""
    g = t.graph
    per, cut = _k.boundary(g.indptr, g.indices, g.border_length, t.outer_border, a, k)
    area = _k.tally1(a, t.area, k)
    pieces = _k.region_pieces(g.indptr, g.indices, a, k)
    ctx = _context(t)
    splits, detail = {}, {}
    for level in ctx.admin_order:
        d = _k.admin_regions(ctx.admin_order[level], ctx.admin_starts[level], a, k)
        detail[level] = d
        splits[level] = int(np.sum(d > 1))
    n_units = np.bincount(a[a >= 0], minlength=k) if k else np.zeros(0, dtype=np.int64)
    return GeometryMetrics(
        area=area,
        perimeter=per,
        polsby_popper=polsby_popper(area, per),
        cut_edges=int(cut),
        pieces=pieces,
        splits=splits,
        split_detail=detail,
        admin_names=dict(ctx.admin_names),
        n_units=n_units.astype(np.int64),
        unassigned_units=int(np.sum(a < 0)),
    )


def evaluate_assignment(
    territory: Territory,
    assignment: NDArray[np.integer],
    k: int,
    *,
    census: str | None = None,
    threshold: float = DEFAULT_THRESHOLD,
) -> CensusMetrics:
    """Census metrics of a bare assignment vector (the entry point for ensembles and optimizers).

    ``census=None`` uses the territory's first census.
    """
    a = _check_assignment(territory, assignment, k)
    name = census if census is not None else territory.census_names[0]
    territory.census(name)  # validates the name
    return census_metrics(territory, a, k, name, threshold=threshold)


def compare_to_reference(
    territory: Territory, plan: Plan, reference: Plan, *, censuses: Sequence[str] | None = None
) -> ChangeMetrics:
    """How ``plan`` differs from ``reference``, on the control layer and on the polity layer.

    Control: units (and people) whose control label changes, with ``[from, to]`` tables.
    Polity: units whose region's authority changes, and units whose region is not the
    reference region it overlaps most (Hungarian matching on shared units).
    """
    from scipy.optimize import linear_sum_assignment

    reference.check_territory(territory)
    names = list(censuses) if censuses is not None else list(territory.census_names)
    pops = {c: territory.population(c) for c in names}

    def layer(new: NDArray[np.object_], old: NDArray[np.object_]) -> tuple[
            tuple[str, ...], NDArray[np.bool_], NDArray[np.int64], dict[str, NDArray[np.float64]]]:
        labels = tuple(sorted(set(new.tolist()) | set(old.tolist())))
        pos = {x: i for i, x in enumerate(labels)}
        ai = np.array([pos[x] for x in new.tolist()], dtype=np.int64)
        ri = np.array([pos[x] for x in old.tolist()], dtype=np.int64)
        m = len(labels)
        flat = ri * m + ai
        units = np.bincount(flat, minlength=m * m).reshape(m, m)
        people = {c: np.bincount(flat, weights=p, minlength=m * m).astype(np.float64).reshape(m, m)
                  for c, p in pops.items()}
        return labels, ai != ri, units, people

    auths, moved, trans_units, trans_people = layer(plan.control_of_units(),
                                                    reference.control_of_units())
    p_auths, p_moved, p_units, p_people = layer(plan.authority_of_units(),
                                                reference.authority_of_units())
    # region matching: maximise shared units between plan regions and reference regions
    pa, ra = plan.assignment, reference.assignment
    both = (pa >= 0) & (ra >= 0)
    overlap = np.zeros((plan.k, reference.k))
    np.add.at(overlap, (pa[both], ra[both]), 1.0)
    match = np.full(plan.k, -1, dtype=np.int64)
    if plan.k and reference.k:
        rows, cols = linear_sum_assignment(-overlap)
        for r_, c_ in zip(rows, cols, strict=True):
            if overlap[r_, c_] > 0:
                match[r_] = c_
    matched_ref = np.where(pa >= 0, match[np.maximum(pa, 0)], -2)
    reassigned = matched_ref != ra
    return ChangeMetrics(
        reference=reference.name,
        authorities=auths,
        units_moved=int(moved.sum()),
        people_moved={c: float(p[moved].sum()) for c, p in pops.items()},
        transition_units=trans_units,
        transition_people=trans_people,
        region_match=match,
        units_reassigned=int(reassigned.sum()),
        people_reassigned={c: float(p[reassigned].sum()) for c, p in pops.items()},
        polity_authorities=p_auths,
        polity_units_moved=int(p_moved.sum()),
        polity_people_moved={c: float(p[p_moved].sum()) for c, p in pops.items()},
        polity_transition_units=p_units,
        polity_transition_people=p_people,
    )


@validate_params({"threshold": list(PARAMETERS["threshold"].constraints),
                  "censuses": ["array-like", None]})
def evaluate(
    territory: Territory,
    plan: Plan,
    *,
    censuses: Sequence[str] | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    reference: Plan | None = None,
) -> Evaluation:
    """Evaluate ``plan`` on ``territory``: every metric, for every census.

    Parameters
    ----------
    territory, plan
        The plan must have been made for this territory (its content hash is checked).
    censuses
        Censuses to evaluate (all by default).
    threshold
        Share below which a community counts as stranded in a region.
    reference
        A plan to measure the change from (e.g. the status quo).

    Returns
    -------
    Evaluation

    Notes
    -----
    O(n g + m) per census with ``n`` units, ``g`` communities and ``m`` adjacencies; every pass is
    a compiled loop over flat arrays.
    """
    plan.check_territory(territory)
    a = _check_assignment(territory, plan.assignment, plan.k)
    names = list(censuses) if censuses is not None else list(territory.census_names)
    if not 0.0 < threshold < 1.0:
        raise InputDataError(f"stranded threshold must lie in (0, 1), got {threshold}",
                             hint="pass a share such as --threshold 0.1")
    cms = {c: census_metrics(territory, a, plan.k, c, threshold=threshold) for c in names}
    change = (compare_to_reference(territory, plan, reference, censuses=names)
              if reference is not None else None)
    return Evaluation(
        plan=plan,
        territory_name=territory.name,
        geometry=geometry_metrics(territory, a, plan.k),
        censuses=cms,
        change=change,
    )
