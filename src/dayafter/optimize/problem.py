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
from dayafter.plan import Plan, Region
from dayafter.territory import Territory, select_units
from dayafter.validation import DEFAULT_TOLERANCE, PARAMETERS

__all__ = ["METRICS", "CompiledProblem", "Objective", "Problem", "Term", "split_start"]

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
_SPEC_KEYS = {"census", "threshold", "regions", "maximize", "minimize", "constraints", "name",
              "censuses", "combine", "weights", "draws", "start", "movable", "budget"}
_CONSTRAINT_KEYS = {"tolerance", "pop_min", "pop_max", "locked", "criteria", "balance"}
_BUDGET_KEYS = {"units", "people", "census", "change"}
_DRAW_KEYS = {"n", "seed", "unknown_error"}
MAX_DRAWS = 64
"""Most census draws an objective may be robust over (each is one more census in every model)."""

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


COMBINES = ("weighted", "worst")


def _draws_spec(v: Any) -> tuple[int, int, float]:
    """``draws:`` of a spec, a whole number or ``{n, seed, unknown_error}``, as
    ``(n, seed, unknown_error)``."""
    if v is None:
        return 0, 0, 0.0
    d = v if isinstance(v, Mapping) else {"n": v}
    unknown = set(d) - _DRAW_KEYS
    if unknown:
        raise ConfigError(f"unknown draws keys {sorted(unknown)}", hint=f"use {sorted(_DRAW_KEYS)}")
    n, seed = d.get("n", 0), d.get("seed", 0)
    for key, x in (("n", n), ("seed", seed)):
        if isinstance(x, bool) or not isinstance(x, int):
            raise ConfigError(f"draws {key} must be a whole number, got {x!r}",
                              hint="e.g. draws: {n: 16, seed: 0}")
    err = d.get("unknown_error", 0.0)
    if isinstance(err, bool) or not isinstance(err, int | float):
        raise ConfigError(f"draws unknown_error must be a number, got {err!r}",
                          hint="e.g. unknown_error: 0.2")
    return int(n), int(seed), float(err)


@dataclass(frozen=True)
class Objective:
    """A weighted sum of metrics on one census, or on several combined, to be maximized.

    Parameters
    ----------
    terms
        The terms (weights already signed: minimized metrics have negative weights).
    census
        Census the community metrics are computed on (``None``: the territory's first). Also
        the census balanced by the population bounds.
    threshold
        Share below which a community counts as stranded in a region.
    censuses
        Several censuses (the first is ``census``): the community and homogeneity terms are
        computed on each and combined by ``combine``; cut edges and splits count once.
    combine
        ``"worst"``: the smallest of the censuses' values (a plan good under every census);
        ``"weighted"``: their sum with ``weights`` (default equal weights summing to 1).
    weights
        One weight per census of ``censuses`` (``"weighted"`` only).
    draws
        Robust over census uncertainty: ``draws`` draws of each census from the census model
        (:class:`dayafter.uncertainty.CensusModel`, the ranges the territory states) are
        optimized on as well, as censuses named ``"<census>~1"``, ``"<census>~2"``...;
        ``"worst"`` then asks for the plan whose worst value over the census and its draws is
        best, ``"weighted"`` for the best mean (each census's weight shared equally by its point
        values and its draws). 0 (default): the point censuses only.
    draw_seed, draw_error
        Seed of the draws, and the relative error (90% half-width) given to figures without a
        stated range or status (:attr:`ErrorModel.unknown_error
        <dayafter.uncertainty.ErrorModel>`). The draws are :func:`cached_draws
        <dayafter.uncertainty.results.cached_draws>` of the territory: those of the workbench's
        ranges panel with the same seed.

    Examples
    --------
    >>> o = Objective.from_dict({"censuses": ["baseline", "current"], "combine": "worst",
    ...                          "maximize": ["homogeneity"]})
    >>> o.census_list, o.census
    (('baseline', 'current'), 'baseline')
    >>> r = Objective.from_dict({"census": "current", "combine": "worst", "draws": {"n": 3, "seed": 7},
    ...                          "maximize": ["homogeneity"]})
    >>> r.draw_names("current")
    ('current~1', 'current~2', 'current~3')
    """

    terms: tuple[Term, ...]
    census: str | None = None
    threshold: float = DEFAULT_THRESHOLD
    censuses: tuple[str, ...] = ()
    combine: str = "weighted"
    weights: tuple[float, ...] = ()
    draws: int = 0
    draw_seed: int = 0
    draw_error: float = 0.0

    def __post_init__(self) -> None:
        if not self.terms:
            raise ConfigError("an objective needs at least one term",
                              hint="add a 'maximize' or 'minimize' list")
        if not 0.0 < self.threshold < 1.0:
            raise ConfigError(f"stranded threshold must lie in (0, 1), got {self.threshold}",
                              hint="e.g. threshold: 0.1")
        if self.combine not in COMBINES:
            raise ConfigError(f"unknown combine {self.combine!r}", hint=f"use one of {COMBINES}")
        if self.censuses:
            if len(set(self.censuses)) != len(self.censuses):
                raise ConfigError(f"censuses are listed twice: {list(self.censuses)}")
            if self.census is not None and self.census != self.censuses[0]:
                raise ConfigError(f"census {self.census!r} must be the first of censuses "
                                  f"{list(self.censuses)}",
                                  hint="give either census or censuses")
            object.__setattr__(self, "census", self.censuses[0])
        if self.weights:
            if len(self.weights) != len(self.census_list) or self.combine != "weighted":
                raise ConfigError("weights need 'combine: weighted' and one weight per census",
                                  hint=f"e.g. weights: [0.5, 0.5] for {list(self.census_list)}")
            if any(not np.isfinite(w) or w < 0 for w in self.weights) or sum(self.weights) <= 0:
                raise ConfigError(f"census weights must be non-negative, not all 0: "
                                  f"{list(self.weights)}")
        if isinstance(self.draws, bool) or not isinstance(self.draws, int | np.integer) \
                or not 0 <= int(self.draws) <= MAX_DRAWS:
            raise ConfigError(f"draws must be a whole number from 0 to {MAX_DRAWS}, got {self.draws!r}",
                              hint="e.g. draws: 16 (each draw is one more census in every model)")
        if isinstance(self.draw_seed, bool) or not isinstance(self.draw_seed, int | np.integer) \
                or int(self.draw_seed) < 0:
            raise ConfigError(f"the draws' seed must be a whole number from 0, got {self.draw_seed!r}",
                              hint="e.g. draws: {n: 16, seed: 0}")
        if not (np.isfinite(self.draw_error) and 0.0 <= self.draw_error < 1.0):
            raise ConfigError(f"the draws' unknown_error must lie in [0, 1), got {self.draw_error!r}",
                              hint="e.g. unknown_error: 0.2 (a 20% half-width where no range is stated)")

    @property
    def census_list(self) -> tuple[str | None, ...]:
        """The censuses the objective reads (``(census,)`` for one census)."""
        return self.censuses or (self.census,)

    @property
    def census_weights(self) -> tuple[float, ...]:
        """The weight of each census in a weighted combination (equal by default)."""
        m = len(self.census_list)
        return tuple(self.weights) if self.weights else (1.0 / m,) * m

    def draw_names(self, census: str) -> tuple[str, ...]:
        """The names the objective gives the draws of ``census`` (``"<census>~<j>"``, from 1)."""
        return tuple(f"{census}~{j}" for j in range(1, self.draws + 1))

    def census_draws(self, territory: Territory) -> Any:
        """The census draws the objective is robust over (a
        :class:`~dayafter.uncertainty.CensusDraws`), or ``None`` without draws."""
        if not self.draws:
            return None
        from dayafter.uncertainty import ErrorModel
        from dayafter.uncertainty.results import cached_draws

        return cached_draws(territory, self.draws, seed=self.draw_seed,
                            errors=ErrorModel(unknown_error=self.draw_error))

    def draw_evaluation(self, territory: Territory, plan: Plan) -> Any:
        """``plan`` on every draw of the objective's censuses (a
        :class:`~dayafter.uncertainty.DrawEvaluation`), or ``None`` without draws: what
        :meth:`score` needs for an objective with draws."""
        if not self.draws:
            return None
        from dayafter.uncertainty import evaluate_draws

        cens = [c if c is not None else territory.census_names[0] for c in self.census_list]
        return evaluate_draws(territory, plan, self.census_draws(territory), censuses=cens,
                              threshold=self.threshold)

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Objective:
        """Build from ``{"maximize": [...], "minimize": [...], "census": ..., "threshold": ...,
        "censuses": [...], "combine": ..., "weights": [...]}``."""
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
        cens = d.get("censuses") or ()
        if isinstance(cens, str):
            cens = (cens,)
        weights = d.get("weights") or ()
        if isinstance(weights, Mapping):
            weights = tuple(float(weights[c]) for c in cens) if all(c in weights for c in cens) \
                else ()
            if not weights:
                raise ConfigError("weights must give a number for every census",
                                  hint=f"e.g. weights: {{{', '.join(f'{c}: 0.5' for c in cens)}}}")
        n_draws, draw_seed, draw_error = _draws_spec(d.get("draws"))
        return cls(tuple(terms), census=d.get("census"),
                   threshold=threshold,
                   censuses=tuple(str(c) for c in cens),
                   combine=str(d.get("combine", "weighted")),
                   weights=tuple(float(w) for w in weights),
                   draws=n_draws, draw_seed=draw_seed, draw_error=draw_error)

    @property
    def natural(self) -> bool:
        """True when every term pushes its metric in its natural direction (needed by the MIP)."""
        return all(t.natural for t in self.terms)

    def _census_values(self, evaluation: Evaluation, census: str | None) -> dict[str, float]:
        return self._metrics_values(evaluation.census(census))

    def _metrics_values(self, cm: Any) -> dict[str, float]:
        """The census terms' values on one :class:`~dayafter.metrics.CensusMetrics`."""
        out: dict[str, float] = {}
        for t in self.terms:
            if t.metric in _COMMUNITY_METRICS:
                arr = getattr(cm, t.metric)
                out[t.label] = float(sum(arr[cm.communities.index(c)] for c in t.communities))
            elif t.metric == "homogeneity":
                N = cm.population
                out[t.label] = float(np.nansum(cm.largest_share * N) / N.sum())
        return out

    def values(self, evaluation: Evaluation) -> dict[str, float]:
        """The value of each term's metric (unweighted) on a plan's evaluation.

        With several censuses, census terms are keyed ``"<census>/<label>"``.
        """
        geo = evaluation.geometry
        out: dict[str, float] = {}
        several = len(self.census_list) > 1
        for c in self.census_list:
            for label, v in self._census_values(evaluation, c).items():
                out[f"{c}/{label}" if several else label] = v
        for t in self.terms:
            if t.metric == "cut_edges":
                out[t.label] = float(geo.cut_edges)
            elif t.metric == "splits":
                out[t.label] = float(geo.splits[t.level])
        return out

    def census_scores(self, evaluation: Evaluation, draws: Any = None) -> dict[str, float]:
        """The census part of the objective (community and homogeneity terms) on each census,
        and with ``draws`` (the plan's :meth:`draw_evaluation`) on each draw of each census
        (keyed ``"<census>~<j>"``, after their census)."""
        if self.draws and draws is None:
            raise ConfigError(f"this objective is robust over {self.draws} census draws: score it "
                              "with the plan's draws", hint="pass draws=objective.draw_evaluation(territory, plan)")
        out = {}
        for c in self.census_list:
            vals = self._census_values(evaluation, c)
            name = str(c if c is not None else evaluation.census(None).census)
            out[name] = float(sum(t.weight * vals[t.label] for t in self.terms if t.label in vals))
            if self.draws:
                dm = draws.census(name)
                if dm.n_draws != self.draws:
                    raise ConfigError(f"{dm.n_draws} draws given, the objective has {self.draws}")
                for j, dname in enumerate(self.draw_names(name)):
                    vals = self._metrics_values(dm.at(j))
                    out[dname] = float(sum(t.weight * vals[t.label] for t in self.terms
                                           if t.label in vals))
        return out

    @property
    def expanded_weights(self) -> tuple[float, ...]:
        """The weight of each census and draw in :meth:`census_scores`' order (``"weighted"``):
        each census's weight shared equally by its point values and its draws."""
        m = self.draws + 1
        return tuple(w / m for w in self.census_weights for _ in range(m))

    def score(self, evaluation: Evaluation, draws: Any = None) -> float:
        """The objective value of a plan, computed from :func:`dayafter.metrics.evaluate` output
        (and :func:`dayafter.uncertainty.evaluate_draws` output for an objective with draws):
        the censuses' values combined (worst, or weighted), plus cut edges and splits."""
        parts = list(self.census_scores(evaluation, draws).values())
        if self.combine == "worst":
            val = min(parts)
        else:
            val = sum(w * v for w, v in zip(self.expanded_weights, parts, strict=True))
        geo = evaluation.geometry
        for t in self.terms:
            if t.metric == "cut_edges":
                val += t.weight * float(geo.cut_edges)
            elif t.metric == "splits":
                val += t.weight * float(geo.splits[t.level])
        return float(val)

    def to_dict(self) -> dict[str, Any]:
        """Plain form (signed weights)."""
        d: dict[str, Any] = {"census": self.census, "threshold": self.threshold,
                             "terms": [t.to_dict() for t in self.terms]}
        if self.censuses:
            d.update(censuses=list(self.censuses), combine=self.combine,
                     weights=list(self.census_weights))
        if self.draws:
            d.update(combine=self.combine, draws={"n": self.draws, "seed": self.draw_seed,
                                                  "unknown_error": self.draw_error})
        return d


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
        Criteria used as hard constraints on every census of the objective (a criterion naming
        one census, on that one). Supported: community ``empowerment_plurality`` /
        ``empowerment_majority`` (min), ``stranded`` / ``stranded_people`` (max); region
        ``population``, ``deviation``, ``area_km2``, ``largest_share`` (min),
        ``share:<community>``, ``pieces`` (regions are always contiguous); plan ``cut_edges``
        and ``splits:<level>`` (max).
    name
        Name given to the plans found.
    start
        The plan a negotiation starts from: its regions (names, authorities, statuses) are the
        regions optimized, units outside ``movable`` keep their region, and the move budget
        counts changes from it.
    movable
        The units that may change region: ``"LEVEL=CODE[,CODE]"`` or unit ids (``None``: all).
        Needs ``start``.
    budget_units, budget_people
        Most units, and most people (on ``budget_census``), that may change region (or
        authority, see ``budget_change``) from ``start``.
    budget_change
        ``"region"`` (a unit changes when its region does) or ``"authority"`` (when the
        authority governing it does).
    budget_census
        Census the people of the budget are counted on (default: the objective's first).
    balance
        ``"equal"``: bounds around ``total / k`` (``tolerance``); ``"plan"``: each region within
        ``tolerance`` of its population in ``start`` (the default with a start).
    """

    objective: Objective
    regions: tuple[Region, ...]
    tolerance: float | None = DEFAULT_TOLERANCE
    pop_min: float | tuple[float, ...] | None = None
    pop_max: float | tuple[float, ...] | None = None
    locked: Mapping[str, int] = field(default_factory=dict)
    criteria: tuple[Criterion, ...] = ()
    name: str = "optimized"
    start: Plan | None = None
    movable: str | tuple[str, ...] | None = None
    budget_units: int | None = None
    budget_people: float | None = None
    budget_change: str = "region"
    budget_census: str | None = None
    balance: str | None = None

    def __post_init__(self) -> None:
        if self.start is not None:
            if self.start.k != len(self.regions) or tuple(self.start.regions) != self.regions:
                raise ConfigError("the regions of a problem with a start plan are the start "
                                  "plan's", hint="leave 'regions' out of the spec")
            if not self.start.is_complete:
                raise ConfigError(f"start plan {self.start.name!r} leaves units unassigned",
                                  hint="assign every unit of the start plan")
        elif self.movable is not None or self.budget_units is not None \
                or self.budget_people is not None:
            raise ConfigError("'movable' and 'budget' need a start plan",
                              hint="add start: <scenario or plan file>")
        if self.budget_change not in ("region", "authority"):
            raise ConfigError(f"unknown budget change {self.budget_change!r}",
                              hint="use 'region' or 'authority'")
        if self.budget_units is not None and self.budget_units < 0:
            raise ConfigError(f"budget units must be non-negative, got {self.budget_units}")
        if self.budget_people is not None and not self.budget_people >= 0:
            raise ConfigError(f"budget people must be non-negative, got {self.budget_people}")
        if self.balance not in (None, "equal", "plan"):
            raise ConfigError(f"unknown balance {self.balance!r}", hint="use 'equal' or 'plan'")
        if self.balance == "plan" and self.start is None:
            raise ConfigError("balance 'plan' needs a start plan")
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
    def from_dict(cls, spec: Mapping[str, Any], *, start: Plan | None = None) -> Problem:
        """Build from a parsed spec (see the module docstring); unknown keys are rejected.

        ``start`` is the plan the spec's ``start`` names (resolving a scenario name or a plan
        file is the caller's job, e.g. the CLI's).
        """
        if not isinstance(spec, Mapping):
            raise ConfigError("an optimization spec must be a mapping",
                              hint="write 'regions: 3' and 'maximize: [...]' lines")
        unknown = set(spec) - _SPEC_KEYS
        if unknown:
            raise ConfigError(f"unknown optimization spec keys {sorted(unknown)}",
                              hint=f"use {sorted(_SPEC_KEYS)}")
        if spec.get("start") is not None and start is None:
            raise ConfigError(f"the spec starts from plan {spec['start']!r}, which was not loaded",
                              hint="pass start=<Plan> (the CLI loads scenario names and plan "
                                   "files)")
        regions_spec = spec.get("regions", 2)
        if start is not None:
            if "regions" in spec:
                raise ConfigError("a spec with a start plan takes its regions from the plan",
                                  hint="leave 'regions' out")
            regions_spec = [r.to_dict() for r in start.regions]
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
        budget = spec.get("budget") or {}
        if not isinstance(budget, Mapping) or set(budget) - _BUDGET_KEYS:
            raise ConfigError(f"budget must be a mapping with keys {sorted(_BUDGET_KEYS)}",
                              hint="e.g. budget: {units: 6} or {people: 200000}")
        movable = spec.get("movable")
        if isinstance(movable, (list, tuple)):
            movable = tuple(str(u) for u in movable)
        elif movable is not None:
            movable = str(movable)
        if movable == "disputed":
            raise ConfigError("movable: disputed needs the case's list of disputed units",
                              hint="the CLI resolves it for a built-in case; in Python pass the "
                                   "unit ids")
        return cls(Objective.from_dict(spec), regions,
                   tolerance=None if tol is None else float(tol),
                   pop_min=bound("pop_min"), pop_max=bound("pop_max"), locked=locked,
                   criteria=crits, name=str(spec.get("name", "optimized")), start=start,
                   movable=movable,
                   budget_units=None if budget.get("units") is None else int(budget["units"]),
                   budget_people=None if budget.get("people") is None
                   else float(budget["people"]),
                   budget_change=str(budget.get("change", "region")),
                   budget_census=budget.get("census"), balance=cons.get("balance"))

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
        d: dict[str, Any] = {
            "objective": self.objective.to_dict(),
            "regions": [r.to_dict() for r in self.regions],
            "tolerance": self.tolerance, "pop_min": self.pop_min, "pop_max": self.pop_max,
            "locked": dict(self.locked),
            "criteria": [c.name for c in self.criteria]}
        if self.start is not None:
            d.update(start=self.start.name, movable=self.movable, balance=self.balance or "plan",
                     budget={"units": self.budget_units, "people": self.budget_people,
                             "change": self.budget_change, "census": self.budget_census})
        return d


def split_start(plan: Plan, territory: Territory, spec: Mapping[str, Any]) -> Plan:
    """A start plan made from ``plan`` by splitting one of its regions along admin units.

    ``spec`` is the ``split`` part of a spec's ``start``::

        start:
          from: status-quo-2014
          split:
            region: Ninewa
            level: district
            into:
              - {name: Mosul, authority: federal, units: [IQG15Q05, IQG15Q04]}
              - {name: Sinjar, authority: self-administered, units: [IQG15Q07, IQG15Q02]}

    Each new region takes the units of the region that lie in the admin units listed (codes at
    ``level``); the first new region replaces the split one (keeping its index), the others are
    added at the end. Every unit of the region must be listed once. The control layer is kept. Admin
    codes do not change when a census is rebuilt, so the same spec gives the same plan.

    Raises
    ------
    ConfigError
        An unknown region, level or code; a unit of the region in no group or in two.

    Examples
    --------
    >>> from dayafter.testing.grids import grid_territory
    >>> t = grid_territory(1, 4, admin={"d": np.array(["A", "A", "B", "B"], dtype=object)})
    >>> p = Plan(np.zeros(4, np.int32), (Region("All", "federal"),), t.content_hash)
    >>> q = split_start(p, t, {"region": "All", "level": "d", "into": [
    ...     {"name": "West", "units": ["A"]}, {"name": "East", "authority": "krg", "units": ["B"]}]})
    >>> q.assignment.tolist(), [(r.name, r.authority) for r in q.regions]
    ([0, 0, 1, 1], [('West', ''), ('East', 'krg')])
    """
    if not isinstance(spec, Mapping) or set(spec) - {"region", "level", "into"}:
        raise ConfigError("start.split must give region, level and into",
                          hint="see dayafter.optimize.problem.split_start")
    r = plan.region_index(str(spec.get("region")))
    level = str(spec.get("level"))
    if level not in territory.admin:
        raise ConfigError(f"start.split: unknown admin level {level!r}",
                          hint=f"use one of {list(territory.admin)}")
    codes = territory.admin[level].astype(str)
    groups = spec.get("into") or []
    if len(groups) < 2:
        raise ConfigError("start.split.into needs at least two new regions")
    a = plan.assignment.astype(np.int64).copy()
    inside = a == r
    seen = np.zeros(territory.n_units, dtype=np.int64)
    regions = list(plan.regions)
    new_index = [r] + [plan.k + j for j in range(len(groups) - 1)]
    for j, grp in enumerate(groups):
        if not isinstance(grp, Mapping) or "name" not in grp or "units" not in grp:
            raise ConfigError("every group of start.split.into needs a name and units",
                              hint="e.g. {name: Mosul, authority: federal, units: [IQG15Q05]}")
        wanted = [str(x) for x in grp["units"]]
        unknown = sorted(set(wanted) - set(codes[inside].tolist()))
        if unknown:
            raise ConfigError(f"start.split: {level} codes {unknown} have no unit in region "
                              f"{plan.regions[r].name!r}",
                              hint=f"use codes of {sorted(set(codes[inside].tolist()))}")
        sel = inside & np.isin(codes, wanted)
        seen[sel] += 1
        a[sel] = new_index[j]
        reg = Region(str(grp["name"]), str(grp.get("authority", "")), str(grp.get("status", "")))
        if j == 0:
            regions[r] = reg
        else:
            regions.append(reg)
    bad = np.flatnonzero(inside & (seen != 1))
    if bad.size:
        raise ConfigError(
            f"start.split: units of {plan.regions[r].name!r} in no new region or in several: "
            f"{first_ids(territory.unit_ids[bad].tolist())}",
            hint=f"list every {level} of the region once")
    out = plan.with_regions(regions).with_moves(np.flatnonzero(inside), a[inside])
    return out.renamed(f"{plan.name} (split {plan.regions[r].name})")


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
    censuses, tables, census_weights, combine
        The objective's censuses (the first is ``census``), their tables ``float64[C, n, g]``,
        weights and how they combine (``"weighted"`` or ``"worst"``).
    start
        ``int64[n]`` the start plan's assignment, or ``None``.
    movable
        ``bool[n]`` units that may change region (all without a start plan).
    home, region_class
        Change from the start: unit ``u`` has changed when ``region_class[a[u]] != home[u]``
        (classes are regions, or authorities with ``budget_change="authority"``).
    budget_pop
        ``float64[n]`` people of each unit on the budget's census.
    budget_units, budget_people
        The move budget (-1: none).
    draws
        Census draws per census in ``censuses`` (each census is followed by its draws), 0 for none.
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
    censuses: tuple[str, ...] = ()
    tables: NDArray[np.float64] = field(default_factory=lambda: np.zeros((0, 0, 0)))
    census_weights: NDArray[np.float64] = field(default_factory=lambda: np.ones(1))
    combine: str = "weighted"
    start: NDArray[np.int64] | None = None
    movable: NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, bool))
    home: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    region_class: NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))
    budget_pop: NDArray[np.float64] = field(default_factory=lambda: np.zeros(0))
    budget_units: int = -1
    budget_people: float = -1.0
    draws: int = 0

    @property
    def k(self) -> int:
        """Number of regions."""
        return self.problem.k

    @property
    def census_label(self) -> str:
        """The census (or censuses, and how they combine) the objective is optimized on."""
        if self.draws:
            m = self.draws + 1
            point = self.censuses[::m]
            what = ", ".join(repr(c) for c in point)
            how = "the worst" if self.combine == "worst" else \
                ("the weighted mean" if self.problem.objective.weights else "the mean")
            seed = self.problem.objective.draw_seed
            whose = "its" if len(point) == 1 else "each census's"
            return f"{how} of {what} and {self.draws} draws of {whose} ranges (seed {seed})"
        if len(self.censuses) <= 1:
            return repr(self.census)
        if self.combine == "worst":
            return "the worst of " + ", ".join(repr(c) for c in self.censuses)
        return "the weighted sum of " + ", ".join(
            f"{w:g} x {c!r}" for c, w in zip(self.censuses, self.census_weights, strict=True))

    @property
    def has_constraints(self) -> bool:
        """True when criteria add constraints beyond bounds, locks and contiguity."""
        return bool(self.cc_kind.size or self.rc_kind.size or self.cut_cap >= 0
                    or np.any(self.split_caps >= 0))

    @property
    def ceiling(self) -> float:
        """An upper bound on the objective that holds for every plan, from the terms alone.

        Each empowerment share, stranded share and the homogeneity lie in ``[0, 1]`` and cut edges
        and splits are at least 0, so a census's part is at most the sum of the positive share
        weights; the worst of several censuses is at most that, a weighted sum at most the
        weights' sum times it. ``inf`` when a term rewards cut edges or splits, or a census weight
        is negative. A solver that stops before its root relaxation is solved can report a bound
        far above this one (the sum of its positive costs), so the MIP's certificate is never
        weaker than ``ceiling``.

        Examples
        --------
        >>> import numpy as np
        >>> from dayafter.testing.grids import grid_territory
        >>> t = grid_territory(2, 2, communities=np.ones((4, 2)))
        >>> Problem.from_dict({"regions": 2, "maximize": ["homogeneity"],
        ...                    "minimize": ["cut_edges"]}).compile(t).ceiling
        1.0
        """
        if self.w_cut > 0 or np.any(self.w_splits > 0):
            return float("inf")
        per = float(np.clip(self.w_plur, 0.0, None).sum() + np.clip(self.w_maj, 0.0, None).sum()
                    + np.clip(self.w_str, 0.0, None).sum() + max(self.w_homog, 0.0))
        if self.combine == "worst" or len(self.censuses) <= 1:
            return per
        if np.any(self.census_weights < 0):
            return float("inf")
        return per * float(self.census_weights.sum())

    @property
    def interchangeable(self) -> bool:
        """True when relabelling regions changes nothing (no locks, equal bounds, no region
        criteria): the MIP then breaks the symmetry."""
        return bool(self.start is None and np.all(self.lock < 0)
                    and np.all(self.lo == self.lo[0]) and np.all(self.hi == self.hi[0])
                    and self.rc_kind.size == 0)


def _compile(p: Problem, t: Territory) -> CompiledProblem:
    census = p.census if p.census is not None else t.census_names[0]
    censuses = tuple(c if c is not None else census for c in p.objective.census_list)
    tables = np.ascontiguousarray(np.stack([t.census(c) for c in censuses]), dtype=np.float64)
    n_draws = int(p.objective.draws)
    if n_draws:
        # robust over census uncertainty: each census followed by its draws, as more censuses
        drawn = p.objective.census_draws(t)
        with_draws: list[str] = []
        tabs: list[NDArray[np.float64]] = []
        for cname, tab in zip(censuses, tables, strict=True):
            with_draws += [cname, *p.objective.draw_names(cname)]
            tabs += [tab, *drawn.census(cname)]
        censuses = tuple(with_draws)
        tables = np.ascontiguousarray(np.stack(tabs), dtype=np.float64)
    table = tables[0]
    n, g = table.shape
    k = p.k
    if k > n:
        raise ConfigError(f"{k} regions cannot be formed from the territory's {n} units",
                          hint=f"ask for at most {n} regions")
    pop = table.sum(axis=1)
    total = float(pop.sum())
    totals = table.sum(axis=0)
    for cen, tab in zip(censuses, tables, strict=True):
        if float(tab.sum()) <= 0:
            raise InfeasibleError(f"census {cen!r} has no people", hint="use another census")
    ideal = total / k
    start = None if p.start is None else p.start.assignment.astype(np.int64)
    if p.start is not None:
        p.start.check_territory(t, source="start plan")
    balance = p.balance or ("plan" if start is not None else "equal")
    start_pop = None if start is None else np.bincount(start, weights=pop, minlength=k)

    def side(val: float | tuple[float, ...] | None, sign: float) -> NDArray[np.float64]:
        if val is None:
            if p.tolerance is None:
                return np.full(k, 0.0 if sign < 0 else np.inf)
            if balance == "plan" and start_pop is not None:
                return np.asarray(start_pop * (1.0 + sign * p.tolerance), dtype=np.float64)
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
            for cn in term.communities:
                j = comm(cn, f"objective term {term.label}")
                if totals[j] <= 0:
                    raise ConfigError(f"community {cn!r} has no people in census {census!r}, so "
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
        if c.census is not None and c.census not in censuses:
            raise ConfigError(f"criterion {c.name!r} is on census {c.census!r} but the "
                              f"objective is on {list(censuses)}",
                              hint="the optimizers enforce criteria on the objective's censuses")
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
            assert b is not None  # _check_supported requires the bound each metric needs
            for j in np.flatnonzero(sel).tolist():
                cc_kind.append(kind)
                cc_g.append(j)
                cc_bound.append(float(b))
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
    movable = np.ones(n, dtype=bool)
    if start is not None and p.movable is not None:
        spec = p.movable if isinstance(p.movable, str) else list(p.movable)
        movable = select_units(t, spec, what="movable")[0]
        lock[~movable] = start[~movable]
    if p.locked:
        idx = t.index(list(p.locked), source="locked units")
        lock[idx] = np.array([int(r) for r in p.locked.values()], dtype=np.int64)
        movable[idx] = False
    home = np.zeros(n, dtype=np.int64)
    region_class = np.zeros(k, dtype=np.int64)
    if start is not None:
        if p.budget_change == "authority":
            auth = [r.authority for r in p.regions]
            ids = {a: j for j, a in enumerate(dict.fromkeys(auth))}
            region_class = np.array([ids[a] for a in auth], dtype=np.int64)
        else:
            region_class = np.arange(k, dtype=np.int64)
        home = region_class[start]
    bcensus = p.budget_census or census
    budget_pop = np.ascontiguousarray(t.population(bcensus), dtype=np.float64)

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
        censuses=censuses, tables=tables,
        census_weights=np.asarray(p.objective.expanded_weights, dtype=np.float64), draws=n_draws,
        combine=p.objective.combine, start=start, movable=movable, home=home,
        region_class=region_class, budget_pop=budget_pop,
        budget_units=-1 if p.budget_units is None else int(p.budget_units),
        budget_people=-1.0 if p.budget_people is None else float(p.budget_people),
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
