"""What to optimize: objectives (weighted sums of metrics) and the constraints every plan must meet.

An :class:`Objective` is a weighted sum of plan metrics on one census; a :class:`Problem` adds the
number of regions, their names and authorities, population bounds, locked units and criteria used
as hard constraints. Both read from a small YAML/JSON spec::

    census: current
    threshold: 0.10
    regions: [{name: North, authority: krg}, {name: South, authority: federal}]
    maximize:
      - {metric: empowerment_plurality, communities: [yazidi, christian]}
    minimize:
      - {metric: stranded, communities: [sunni_arab], weight: 2}
      - {metric: cut_edges, weight: 0.001}
    constraints:
      tolerance: 0.25
      locked: {IQG15Q02N01: North}
      criteria: [{name: inclusive, metric: stranded, max: 0.25,
                  where: {population_share_over: 0.05}}]

>>> p = Problem.from_dict({"regions": 2, "maximize": [{"metric": "homogeneity"}]})
>>> p.k, p.objective.terms[0].metric, p.objective.terms[0].weight
(2, 'homogeneity', 1.0)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dayafter.criteria import Criterion
from dayafter.errors import ConfigError, InfeasibleError, first_ids
from dayafter.metrics import registry
from dayafter.metrics.evaluate import DEFAULT_THRESHOLD, Evaluation
from dayafter.plan import Region
from dayafter.territory import Territory
from dayafter.validation import DEFAULT_TOLERANCE, PARAMETERS

__all__ = ["METRICS", "CompiledProblem", "Objective", "Problem", "Term"]

METRICS: dict[str, str] = {
    name: registry.get(name).sense
    for name in ("empowerment_plurality", "empowerment_majority", "stranded", "homogeneity",
                 "cut_edges", "splits")
}
"""Objective metrics and the direction in which each is naturally improved (from the registry).

``empowerment_plurality`` / ``empowerment_majority`` / ``stranded`` are the community shares of
:class:`dayafter.metrics.CensusMetrics` (summed over the named communities); ``homogeneity`` is the
population-weighted mean share of each region's largest community; ``cut_edges`` and
``splits`` (of an admin ``level``) are the counts of :class:`dayafter.metrics.GeometryMetrics`.
"""

_COMMUNITY_METRICS = tuple(m for m in METRICS if registry.get(m).level == "community")
_TERM_KEYS = {"metric", "weight", "communities", "level"}
MAX_REGIONS = 10_000
"""Most regions an optimization spec may ask for (checked before anything is built)."""
_SPEC_KEYS = {"census", "threshold", "regions", "maximize", "minimize", "constraints", "name"}
_CONSTRAINT_KEYS = {"tolerance", "pop_min", "pop_max", "locked", "criteria"}

# criterion metrics the optimizers can enforce (community scope, region scope, plan scope)
_CRIT_COMMUNITY = {"empowerment_plurality": "min", "empowerment_majority": "min",
                   "stranded": "max", "stranded_people": "max"}
_CRIT_REGION = ("population", "deviation", "pieces", "area_km2", "largest_share")


@dataclass(frozen=True)
class Term:
    """One weighted metric of an objective.

    Parameters
    ----------
    metric
        A key of :data:`METRICS`.
    weight
        Multiplier in the objective, which is always *maximized*; a term listed under
        ``minimize`` gets a negative weight.
    communities
        Community keys whose values are summed (community metrics only).
    level
        Admin level (``splits`` only).
    """

    metric: str
    weight: float = 1.0
    communities: tuple[str, ...] = ()
    level: str = ""

    def __post_init__(self) -> None:
        if self.metric not in METRICS:
            raise ConfigError(f"unknown objective metric {self.metric!r}",
                              hint=f"use one of {sorted(METRICS)}")
        if self.metric in _COMMUNITY_METRICS and not self.communities:
            raise ConfigError(f"objective term {self.metric!r} needs 'communities'",
                              hint="e.g. communities: [yazidi, christian]")
        if self.metric not in _COMMUNITY_METRICS and self.communities:
            raise ConfigError(f"objective term {self.metric!r} takes no communities")
        if self.metric == "splits" and not self.level:
            raise ConfigError("objective term 'splits' needs an admin 'level'",
                              hint="e.g. level: governorate")
        if not np.isfinite(self.weight):
            raise ConfigError(f"objective term {self.metric!r} has a non-finite weight")

    @property
    def natural(self) -> bool:
        """True when the weight pushes the metric in its natural direction (see :data:`METRICS`)."""
        return (self.weight >= 0) == (METRICS[self.metric] == "max")

    @property
    def label(self) -> str:
        """Short readable key, e.g. ``stranded:sunni_arab`` or ``splits:governorate``."""
        if self.communities:
            return f"{self.metric}:{'+'.join(self.communities)}"
        if self.level:
            return f"splits:{self.level}"
        return self.metric

    def to_dict(self) -> dict[str, Any]:
        """Plain form."""
        d: dict[str, Any] = {"metric": self.metric, "weight": self.weight}
        if self.communities:
            d["communities"] = list(self.communities)
        if self.level:
            d["level"] = self.level
        return d


def _term(d: Any, sign: float) -> Term:
    if isinstance(d, str):
        d = {"metric": d}
    if not isinstance(d, Mapping):
        raise ConfigError(f"an objective term must be a mapping, got {d!r}",
                          hint="write terms as {metric: empowerment_plurality, communities: [...]}")
    unknown = set(d) - _TERM_KEYS
    if unknown:
        raise ConfigError(f"objective term {d.get('metric')!r}: unknown keys {sorted(unknown)}",
                          hint=f"use {sorted(_TERM_KEYS)}")
    if "metric" not in d:
        raise ConfigError("every objective term needs a 'metric'", hint="add metric: <name> to the term")
    try:
        w = float(d.get("weight", 1.0))
    except (TypeError, ValueError):
        raise ConfigError(f"objective term {d['metric']!r}: weight must be a number") from None
    comms = d.get("communities") or ()
    if isinstance(comms, str):
        comms = (comms,)
    return Term(str(d["metric"]), sign * w, tuple(str(c) for c in comms), str(d.get("level", "")))


@dataclass(frozen=True)
class Objective:
    """A weighted sum of metrics on one census, to be maximized.

    Parameters
    ----------
    terms
        The terms (weights already signed: minimized metrics have negative weights).
    census
        Census the community metrics are computed on (``None``: the territory's first).
    threshold
        Share below which a community counts as stranded in a region.
    """

    terms: tuple[Term, ...]
    census: str | None = None
    threshold: float = DEFAULT_THRESHOLD

    def __post_init__(self) -> None:
        if not self.terms:
            raise ConfigError("an objective needs at least one term",
                              hint="add a 'maximize' or 'minimize' list")
        if not 0.0 < self.threshold < 1.0:
            raise ConfigError(f"stranded threshold must lie in (0, 1), got {self.threshold}",
                              hint="e.g. threshold: 0.1")

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Objective:
        """Build from ``{"maximize": [...], "minimize": [...], "census": ..., "threshold": ...}``."""
        for key in ("maximize", "minimize"):
            if not isinstance(d.get(key) or [], list | tuple):
                raise ConfigError(f"'{key}' must be a list of terms, got {d.get(key)!r}",
                                  hint=f"write '{key}:' followed by lines '  - {{metric: ...}}'")
        terms = [_term(t, 1.0) for t in d.get("maximize") or ()]
        terms += [_term(t, -1.0) for t in d.get("minimize") or ()]
        try:
            threshold = float(d.get("threshold", DEFAULT_THRESHOLD))
        except (TypeError, ValueError):
            raise ConfigError(f"'threshold' must be a number, got {d.get('threshold')!r}",
                              hint="e.g. threshold: 0.1") from None
        return cls(tuple(terms), census=d.get("census"), threshold=threshold)

    @property
    def natural(self) -> bool:
        """True when every term pushes its metric in its natural direction (needed by the MIP)."""
        return all(t.natural for t in self.terms)

    def values(self, evaluation: Evaluation) -> dict[str, float]:
        """The value of each term's metric (unweighted) on a plan's evaluation."""
        cm = evaluation.census(self.census)
        geo = evaluation.geometry
        out: dict[str, float] = {}
        for t in self.terms:
            if t.metric in _COMMUNITY_METRICS:
                arr = getattr(cm, t.metric)
                out[t.label] = float(sum(arr[cm.communities.index(c)] for c in t.communities))
            elif t.metric == "homogeneity":
                N = cm.population
                out[t.label] = float(np.nansum(cm.largest_share * N) / N.sum())
            elif t.metric == "cut_edges":
                out[t.label] = float(geo.cut_edges)
            else:
                out[t.label] = float(geo.splits[t.level])
        return out

    def score(self, evaluation: Evaluation) -> float:
        """The objective value of a plan, computed from :func:`dayafter.metrics.evaluate` output."""
        vals = self.values(evaluation)
        return float(sum(t.weight * vals[t.label] for t in self.terms))

    def to_dict(self) -> dict[str, Any]:
        """Plain form (signed weights)."""
        return {"census": self.census, "threshold": self.threshold,
                "terms": [t.to_dict() for t in self.terms]}


@dataclass(frozen=True)
class Problem:
    """An objective with the constraints on the plans searched.

    Parameters
    ----------
    objective
        What to maximize.
    regions
        The regions to form (names and authorities); ``k = len(regions)``.
    tolerance
        Allowed relative deviation of each region's population (on the objective's census) from
        ``total / k``; ``None`` for no balance constraint. Overridden by ``pop_min`` / ``pop_max``.
    pop_min, pop_max
        Absolute population bounds, one number or one per region.
    locked
        Unit id to region index: units that must belong to that region.
    criteria
        Criteria used as hard constraints on the objective's census. Supported: community
        ``empowerment_plurality`` / ``empowerment_majority`` (min), ``stranded`` /
        ``stranded_people`` (max); region ``population``, ``deviation``, ``area_km2``,
        ``largest_share`` (min), ``share:<community>``, ``pieces`` (regions are always
        contiguous); plan ``cut_edges`` and ``splits:<level>`` (max).
    name
        Name given to the plans found.
    """

    objective: Objective
    regions: tuple[Region, ...]
    tolerance: float | None = DEFAULT_TOLERANCE
    pop_min: float | tuple[float, ...] | None = None
    pop_max: float | tuple[float, ...] | None = None
    locked: Mapping[str, int] = field(default_factory=dict)
    criteria: tuple[Criterion, ...] = ()
    name: str = "optimized"

    def __post_init__(self) -> None:
        if len(self.regions) < 2:
            raise ConfigError(f"an optimized plan needs at least 2 regions, got {len(self.regions)}",
                              hint="e.g. regions: 3")
        names = [r.name for r in self.regions]
        if len(set(names)) != len(names):
            raise ConfigError(f"region names must be unique: {names}", hint="rename the repeated regions")
        PARAMETERS["tolerance"].check(self.tolerance, "Problem")
        for u, r in self.locked.items():
            if not 0 <= int(r) < len(self.regions):
                raise ConfigError(f"unit {u!r} is locked to region {r}, outside 0..{self.k - 1}")
        for c in self.criteria:
            _check_supported(c)

    @property
    def k(self) -> int:
        """Number of regions."""
        return len(self.regions)

    @property
    def census(self) -> str | None:
        """The census of the objective (also used for balance and criteria)."""
        return self.objective.census

    @classmethod
    def from_dict(cls, spec: Mapping[str, Any]) -> Problem:
        """Build from a parsed spec (see the module docstring); unknown keys are rejected."""
        if not isinstance(spec, Mapping):
            raise ConfigError("an optimization spec must be a mapping",
                              hint="write 'regions: 3' and 'maximize: [...]' lines")
        unknown = set(spec) - _SPEC_KEYS
        if unknown:
            raise ConfigError(f"unknown optimization spec keys {sorted(unknown)}",
                              hint=f"use {sorted(_SPEC_KEYS)}")
        regions_spec = spec.get("regions", 2)
        if isinstance(regions_spec, int) and not isinstance(regions_spec, bool):
            if not 2 <= regions_spec <= MAX_REGIONS:
                raise ConfigError(f"an optimized plan needs at least 2 regions and at most {MAX_REGIONS:,}, "
                                  f"got regions: {regions_spec:,}",
                                  hint="give the number of regions to form, e.g. regions: 3")
            regions = tuple(Region(f"Region {j + 1}") for j in range(regions_spec))
        elif isinstance(regions_spec, Sequence) and not isinstance(regions_spec, str):
            if len(regions_spec) > MAX_REGIONS:
                raise ConfigError(f"'regions' lists {len(regions_spec):,} regions, more than {MAX_REGIONS:,}",
                                  hint="list the regions to form")
            regs = []
            for j, r in enumerate(regions_spec):
                if isinstance(r, str):
                    regs.append(Region(r))
                elif isinstance(r, Mapping):
                    regs.append(Region(str(r.get("name", f"Region {j + 1}")),
                                       str(r.get("authority", "")), str(r.get("status", ""))))
                else:
                    raise ConfigError(f"region {j} must be a name or a mapping, got {r!r}",
                                      hint="write regions: [North, South] or [{name: North, authority: krg}]")
            regions = tuple(regs)
        else:
            raise ConfigError(f"'regions' must be a whole number or a list of regions, got {regions_spec!r}",
                              hint="e.g. regions: 3, or regions: [North, South]")
        cons = dict(spec.get("constraints") or {})
        bad = set(cons) - _CONSTRAINT_KEYS
        if bad:
            raise ConfigError(f"unknown constraint keys {sorted(bad)}",
                              hint=f"use {sorted(_CONSTRAINT_KEYS)}")
        names = [r.name for r in regions]
        locked: dict[str, int] = {}
        for u, r in dict(cons.get("locked") or {}).items():
            if isinstance(r, str) and r in names:
                locked[str(u)] = names.index(r)
            elif isinstance(r, int) and not isinstance(r, bool):
                locked[str(u)] = r
            else:
                raise ConfigError(f"unit {u!r} is locked to unknown region {r!r}",
                                  hint=f"use a region index or one of {names}")
        crits = tuple(Criterion.from_dict(c) for c in cons.get("criteria") or ())

        def bound(key: str) -> float | tuple[float, ...] | None:
            v = cons.get(key)
            if v is None:
                return None
            return tuple(float(x) for x in v) if isinstance(v, (list, tuple)) else float(v)

        tol = PARAMETERS["tolerance"].check(cons.get("tolerance", DEFAULT_TOLERANCE), "Problem")
        return cls(Objective.from_dict(spec), regions,
                   tolerance=None if tol is None else float(tol),
                   pop_min=bound("pop_min"), pop_max=bound("pop_max"), locked=locked,
                   criteria=crits, name=str(spec.get("name", "optimized")))

    def with_objective(self, objective: Objective) -> Problem:
        """The same constraints with another objective."""
        from dataclasses import replace

        return replace(self, objective=objective)

    def with_criteria(self, extra: Sequence[Criterion]) -> Problem:
        """The same problem with more hard-constraint criteria."""
        from dataclasses import replace

        return replace(self, criteria=(*self.criteria, *extra))

    def compile(self, territory: Territory) -> CompiledProblem:
        """Resolve names against a territory and run the quick feasibility checks.

        Raises
        ------
        ConfigError
            Unknown census, community, admin level, unit or region.
        InfeasibleError
            A necessary condition fails: total population outside ``k`` times the bounds, a
            unit heavier than the largest bound, two units locked to one region in different
            components, more components than regions.
        """
        return _compile(self, territory)

    def to_dict(self) -> dict[str, Any]:
        """Plain form for notes and manifests."""
        return {"objective": self.objective.to_dict(),
                "regions": [r.to_dict() for r in self.regions],
                "tolerance": self.tolerance, "pop_min": self.pop_min, "pop_max": self.pop_max,
                "locked": dict(self.locked),
                "criteria": [c.name for c in self.criteria]}


def _check_supported(c: Criterion) -> None:
    m = c.metric
    if m in _CRIT_COMMUNITY:
        want = _CRIT_COMMUNITY[m]
        if (want == "min" and (c.max is not None or c.abs_max is not None)) or \
                (want == "max" and c.min is not None):
            raise ConfigError(
                f"criterion {c.name!r}: the optimizers can only enforce {m} with a {want} bound",
                hint=f"state it as '{want}: ...' or check it after optimizing")
        return
    if m in _CRIT_REGION or m.startswith("share:"):
        if m == "largest_share" and (c.max is not None or c.abs_max is not None):
            raise ConfigError(f"criterion {c.name!r}: only a min bound on largest_share "
                              "can be enforced")
        if m == "pieces" and (c.max is None or c.max < 1):
            raise ConfigError(f"criterion {c.name!r}: regions are contiguous (1 piece); "
                              "only 'max: 1' or more is meaningful")
        return
    if m == "cut_edges" or m.startswith("splits:"):
        if c.min is not None:
            raise ConfigError(f"criterion {c.name!r}: only a max bound on {m} can be enforced")
        return
    raise ConfigError(
        f"criterion {c.name!r} uses metric {m!r}, which the optimizers cannot enforce",
        hint="use empowerment_*, stranded*, population, deviation, area_km2, largest_share, "
             "share:<community>, pieces, cut_edges or splits:<level>; check others afterwards")


# ---------------------------------------------------------------------------------------------
# compiled form shared by the heuristics and the MIP

# community constraint kinds
CC_EMP_PLUR, CC_EMP_MAJ, CC_STRANDED, CC_STRANDED_PEOPLE = 0, 1, 2, 3
# region constraint kinds
RC_SHARE, RC_AREA, RC_LARGEST = 0, 1, 2


@dataclass(frozen=True)
class CompiledProblem:
    """A problem resolved against one territory: plain arrays for the kernels and the MIP.

    Attributes
    ----------
    table
        ``float64[n, g]`` census table of the objective.
    pop
        ``float64[n]`` unit populations (row sums of ``table``).
    lo, hi
        ``float64[k]`` population bounds of each region.
    lock
        ``int64[n]`` region a unit is locked to, or -1.
    w_plur, w_maj, w_str
        ``float64[g]`` weights of the community terms.
    w_homog, w_cut
        Weights of homogeneity and cut edges.
    adm_codes, adm_offsets, w_splits, adm_levels
        Admin levels used (by objective terms or criteria): codes ``int64[L, n]``, row offsets,
        weights ``float64[L]``, and names.
    split_caps
        ``int64[L]`` cap on splits per level (-1: none).
    cc_kind, cc_g, cc_bound
        Community constraints: kind, community, bound (shares, or people for stranded_people).
    rc_kind, rc_region, rc_c, rc_lo, rc_hi
        Region constraints on shares, area (km2) or the largest share.
    cut_cap
        Cap on cut edges (-1: none).
    area_km2
        ``float64[n]`` unit areas in km2.
    threshold
        Stranded threshold.
    """

    problem: Problem
    territory: Territory
    census: str
    table: NDArray[np.float64]
    pop: NDArray[np.float64]
    lo: NDArray[np.float64]
    hi: NDArray[np.float64]
    lock: NDArray[np.int64]
    w_plur: NDArray[np.float64]
    w_maj: NDArray[np.float64]
    w_str: NDArray[np.float64]
    w_homog: float
    w_cut: float
    adm_codes: NDArray[np.int64]
    adm_offsets: NDArray[np.int64]
    adm_levels: tuple[str, ...]
    w_splits: NDArray[np.float64]
    split_caps: NDArray[np.int64]
    cc_kind: NDArray[np.int64]
    cc_g: NDArray[np.int64]
    cc_bound: NDArray[np.float64]
    rc_kind: NDArray[np.int64]
    rc_region: NDArray[np.int64]
    rc_c: NDArray[np.int64]
    rc_lo: NDArray[np.float64]
    rc_hi: NDArray[np.float64]
    cut_cap: int
    area_km2: NDArray[np.float64]
    threshold: float

    @property
    def k(self) -> int:
        """Number of regions."""
        return self.problem.k

    @property
    def has_constraints(self) -> bool:
        """True when criteria add constraints beyond bounds, locks and contiguity."""
        return bool(self.cc_kind.size or self.rc_kind.size or self.cut_cap >= 0
                    or np.any(self.split_caps >= 0))

    @property
    def interchangeable(self) -> bool:
        """True when relabelling regions changes nothing (no locks, equal bounds, no region
        criteria): the MIP then breaks the symmetry."""
        return bool(np.all(self.lock < 0) and np.all(self.lo == self.lo[0])
                    and np.all(self.hi == self.hi[0]) and self.rc_kind.size == 0)


def _compile(p: Problem, t: Territory) -> CompiledProblem:
    census = p.census if p.census is not None else t.census_names[0]
    table = np.ascontiguousarray(t.census(census), dtype=np.float64)
    n, g = table.shape
    k = p.k
    if k > n:
        raise ConfigError(f"{k} regions cannot be formed from the territory's {n} units",
                          hint=f"ask for at most {n} regions")
    pop = table.sum(axis=1)
    total = float(pop.sum())
    totals = table.sum(axis=0)
    if total <= 0:
        raise InfeasibleError(f"census {census!r} has no people", hint="use another census")
    ideal = total / k

    def side(val: float | tuple[float, ...] | None, sign: float) -> NDArray[np.float64]:
        if val is None:
            if p.tolerance is None:
                return np.full(k, 0.0 if sign < 0 else np.inf)
            return np.full(k, ideal * (1.0 + sign * p.tolerance))
        arr = np.asarray(val, dtype=np.float64)
        if arr.ndim == 0:
            return np.full(k, float(arr))
        if arr.shape != (k,):
            raise ConfigError(f"population bounds need 1 or {k} values, got {arr.size}")
        return arr.copy()

    lo = np.maximum(side(p.pop_min, -1.0), 0.0)
    hi = side(p.pop_max, 1.0)

    def comm(c: str, what: str) -> int:
        try:
            return t.communities.index(c)
        except ValueError:
            raise ConfigError(f"unknown community {c!r} in {what}",
                              hint=f"use one of {list(t.communities)}") from None

    w_plur = np.zeros(g)
    w_maj = np.zeros(g)
    w_str = np.zeros(g)
    w_homog = 0.0
    w_cut = 0.0
    split_w: dict[str, float] = {}
    for term in p.objective.terms:
        if term.metric in _COMMUNITY_METRICS:
            target = {"empowerment_plurality": w_plur, "empowerment_majority": w_maj,
                      "stranded": w_str}[term.metric]
            for c in term.communities:
                j = comm(c, f"objective term {term.label}")
                if totals[j] <= 0:
                    raise ConfigError(f"community {c!r} has no people in census {census!r}, so "
                                      f"{term.metric} is undefined for it",
                                      hint="drop it from the objective")
                target[j] += term.weight
        elif term.metric == "homogeneity":
            w_homog += term.weight
        elif term.metric == "cut_edges":
            w_cut += term.weight
        else:
            split_w[term.level] = split_w.get(term.level, 0.0) + term.weight

    # criteria
    names = [r.name for r in p.regions]
    auths = [r.authority for r in p.regions]
    cc_kind: list[int] = []
    cc_g: list[int] = []
    cc_bound: list[float] = []
    rc: list[tuple[int, int, int, float, float]] = []
    cut_cap = -1
    split_caps: dict[str, int] = {}
    for c in p.criteria:
        if c.census is not None and c.census != census:
            raise ConfigError(f"criterion {c.name!r} is on census {c.census!r} but the "
                              f"objective is on {census!r}",
                              hint="the optimizers enforce criteria on the objective's census")
        m = c.metric
        if m in _CRIT_COMMUNITY:
            sel = totals > 0
            if "population_share_over" in c.where:
                sel &= totals > float(c.where["population_share_over"]) * totals.sum()
            if "communities" in c.where:
                mask = np.zeros(g, dtype=bool)
                for cname in c.where["communities"]:
                    mask[comm(cname, f"criterion {c.name!r}")] = True
                sel &= mask
            kind = {"empowerment_plurality": CC_EMP_PLUR, "empowerment_majority": CC_EMP_MAJ,
                    "stranded": CC_STRANDED, "stranded_people": CC_STRANDED_PEOPLE}[m]
            b = c.min if kind in (CC_EMP_PLUR, CC_EMP_MAJ) else c.max
            if b is None:  # abs_max on a non-negative share acts as max
                b = c.abs_max
            for j in np.flatnonzero(sel):
                cc_kind.append(kind)
                cc_g.append(int(j))
                cc_bound.append(float(b))  # type: ignore[arg-type]
            continue
        if m == "cut_edges":
            cap = min(v for v in (c.max, c.abs_max) if v is not None)
            cut_cap = int(np.floor(cap + 1e-9)) if cut_cap < 0 else min(cut_cap, int(cap))
            continue
        if m.startswith("splits:"):
            level = m.split(":", 1)[1]
            cap = min(v for v in (c.max, c.abs_max) if v is not None)
            split_caps[level] = min(split_caps.get(level, 10**9), int(np.floor(cap + 1e-9)))
            continue
        if m == "pieces":
            continue
        regs = np.ones(k, dtype=bool)
        if "regions" in c.where:
            regs &= np.isin(names, list(c.where["regions"]))
        if "authorities" in c.where:
            regs &= np.isin(auths, list(c.where["authorities"]))
        rlo = -np.inf if c.min is None else c.min
        rhi = np.inf if c.max is None else c.max
        if c.abs_max is not None:
            rlo, rhi = max(rlo, -c.abs_max), min(rhi, c.abs_max)
        for r in np.flatnonzero(regs):
            if m == "population":
                lo[r], hi[r] = max(lo[r], rlo), min(hi[r], rhi)
            elif m == "deviation":
                lo[r], hi[r] = max(lo[r], ideal * (1 + rlo)), min(hi[r], ideal * (1 + rhi))
            elif m == "area_km2":
                rc.append((RC_AREA, int(r), -1, rlo, rhi))
            elif m == "largest_share":
                rc.append((RC_LARGEST, int(r), -1, rlo, np.inf))
            else:
                j = comm(m.split(":", 1)[1], f"criterion {c.name!r}")
                rc.append((RC_SHARE, int(r), j, rlo, rhi))

    levels = tuple(dict.fromkeys([*split_w, *split_caps]))
    rows = []
    offsets = [0]
    for lvl in levels:
        if lvl not in t.admin:
            raise ConfigError(f"unknown admin level {lvl!r}", hint=f"use one of {list(t.admin)}")
        codes, anames = t.admin_codes(lvl)
        rows.append(codes.astype(np.int64))
        offsets.append(offsets[-1] + anames.size)
    adm_codes = np.stack(rows) if rows else np.zeros((0, n), dtype=np.int64)

    lock = np.full(n, -1, dtype=np.int64)
    if p.locked:
        idx = t.index(list(p.locked), source="locked units")
        lock[idx] = np.array([int(r) for r in p.locked.values()], dtype=np.int64)

    cp = CompiledProblem(
        problem=p, territory=t, census=census, table=table, pop=pop, lo=lo, hi=hi, lock=lock,
        w_plur=w_plur, w_maj=w_maj, w_str=w_str, w_homog=float(w_homog), w_cut=float(w_cut),
        adm_codes=np.ascontiguousarray(adm_codes), adm_offsets=np.asarray(offsets, np.int64),
        adm_levels=levels, w_splits=np.array([split_w.get(lv, 0.0) for lv in levels]),
        split_caps=np.array([split_caps.get(lv, -1) for lv in levels], dtype=np.int64),
        cc_kind=np.array(cc_kind, np.int64), cc_g=np.array(cc_g, np.int64),
        cc_bound=np.array(cc_bound, np.float64),
        rc_kind=np.array([r[0] for r in rc], np.int64),
        rc_region=np.array([r[1] for r in rc], np.int64),
        rc_c=np.array([r[2] for r in rc], np.int64),
        rc_lo=np.array([r[3] for r in rc], np.float64),
        rc_hi=np.array([r[4] for r in rc], np.float64),
        cut_cap=int(cut_cap), area_km2=np.asarray(t.area, np.float64) / 1e6,
        threshold=float(p.objective.threshold),
    )
    check_feasible(cp)
    return cp


def check_feasible(cp: CompiledProblem) -> None:
    """Quick necessary conditions; raise :class:`InfeasibleError` explaining the first that fails.

    Checks that the bounds are ordered, that ``sum(lo) <= total <= sum(hi)``, that no unit is
    heavier than the largest upper bound (or than the bound of the region it is locked to), that
    the territory has no more connected components than regions, and that units locked to one
    region lie in one component.
    """
    t = cp.territory
    k = cp.k
    total = float(cp.pop.sum())
    names = [r.name for r in cp.problem.regions]
    bad = np.flatnonzero(cp.lo > cp.hi + 1e-9)
    if bad.size:
        j = int(bad[0])
        raise InfeasibleError(
            f"region {names[j]!r} has a lower population bound {cp.lo[j]:,.0f} above its upper "
            f"bound {cp.hi[j]:,.0f} (after applying the criteria)",
            hint="widen the tolerance or relax the population criteria")
    if cp.lo.sum() > total * (1 + 1e-12):
        raise InfeasibleError(
            f"the {k} regions need at least {cp.lo.sum():,.0f} people in all but census "
            f"{cp.census!r} has {total:,.0f}",
            hint="lower pop_min, widen the tolerance or use fewer regions")
    if cp.hi.sum() < total * (1 - 1e-12):
        raise InfeasibleError(
            f"the {k} regions can hold at most {cp.hi.sum():,.0f} people but census "
            f"{cp.census!r} has {total:,.0f}",
            hint="raise pop_max, widen the tolerance or use more regions")
    heavy = np.flatnonzero(cp.pop > cp.hi.max() * (1 + 1e-12))
    if heavy.size:
        ids = t.unit_ids[heavy].tolist()
        raise InfeasibleError(
            f"{heavy.size} units have more people than any region may hold "
            f"({cp.hi.max():,.0f}): {first_ids(ids)}",
            hint="widen the tolerance or raise pop_max", unit_ids=ids)
    locked = np.flatnonzero(cp.lock >= 0)
    over = locked[cp.pop[locked] > cp.hi[cp.lock[locked]] * (1 + 1e-12)]
    if over.size:
        ids = t.unit_ids[over].tolist()
        raise InfeasibleError(
            f"locked units hold more people than their region may: {first_ids(ids)}",
            hint="unlock them or raise that region's bound", unit_ids=ids)
    for r in range(k):
        mine = locked[cp.lock[locked] == r]
        if mine.size and cp.pop[mine].sum() > cp.hi[r] * (1 + 1e-12):
            ids = t.unit_ids[mine].tolist()
            raise InfeasibleError(
                f"the units locked to region {names[r]!r} hold {cp.pop[mine].sum():,.0f} people, "
                f"above its bound {cp.hi[r]:,.0f}", hint="unlock some of them",
                unit_ids=ids)
    comps = t.graph.components()
    n_comp = int(comps.max()) + 1
    if n_comp > k:
        small = np.flatnonzero(comps != np.bincount(comps).argmax())
        ids = t.unit_ids[small].tolist()
        raise InfeasibleError(
            f"the territory has {n_comp} separate pieces but only {k} contiguous regions can be "
            f"formed; units off the main piece: {first_ids(ids)}",
            hint="link islands to the mainland in the adjacency, or drop them", unit_ids=ids)
    for r in range(k):
        mine = locked[cp.lock[locked] == r]
        if mine.size and np.unique(comps[mine]).size > 1:
            ids = t.unit_ids[mine].tolist()
            raise InfeasibleError(
                f"units locked to region {names[r]!r} lie in separate pieces of the territory, "
                f"so the region cannot be contiguous: {first_ids(ids)}", unit_ids=ids,
                hint="lock them to different regions")
    if n_comp > 1:
        raise InfeasibleError(
            f"the territory has {n_comp} separate pieces; the optimizers need a connected "
            "adjacency graph", hint="link islands to the mainland in the adjacency")
    for j, (kind, g, b) in enumerate(zip(cp.cc_kind, cp.cc_g, cp.cc_bound, strict=True)):
        if kind in (CC_EMP_PLUR, CC_EMP_MAJ) and b > 1 + 1e-12:
            raise InfeasibleError(f"criterion {j}: empowerment of {t.communities[g]!r} cannot "
                                  f"exceed 1 (asked for at least {b})", hint="lower the bound")
        if kind in (CC_STRANDED, CC_STRANDED_PEOPLE) and b < 0:
            raise InfeasibleError(f"criterion {j}: stranded {t.communities[g]!r} cannot be "
                                  f"negative (asked for at most {b})", hint="raise the bound")
