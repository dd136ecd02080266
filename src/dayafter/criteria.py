"""Criteria: named pass/fail checks with thresholds on metrics, per plan and per census.

A criterion reads one metric of an :class:`~dayafter.metrics.Evaluation` at one of three scopes:

- ``region`` metrics (one value per region): ``population``, ``deviation``, ``largest_share``,
  ``fractionalization``, ``polarization``, ``polsby_popper``, ``pieces``, ``area_km2``,
  ``share:<community>``;
- ``community`` metrics (one value per community): ``empowerment_plurality``,
  ``empowerment_majority``, ``stranded``, ``stranded_people``;
- ``plan`` metrics (one value): any key of :meth:`Evaluation.scalars` without the census prefix,
  such as ``theil_h``, ``cut_edges``, ``splits:governorate``, ``max_abs_deviation``.

Criteria may also read the outputs of the engines (:class:`EngineOutputs`), which the caller
computes and passes to :func:`check_criteria`:

- councils (per polity): region metrics ``seats:<community>`` and ``seat_share:<community>``,
  community metrics ``council_seats`` (seats over all councils) and ``representation_ratio``
  (seat share over population share, over all councils);
- security: region metrics ``security_gap`` (personnel short in the polity) and
  ``security_gap_share`` (short over required), plan metrics ``security_gap_total`` and
  ``security_gap_share_total``;
- settlement: plan metrics ``transfer:<party>`` (money received, negative when paid) and
  ``outside_money``.

Every metric reads the polity layer except ``units_moved``/``people_moved`` (control layer; see
:class:`~dayafter.metrics.ChangeMetrics`) and the engine outputs (councils are per polity; the
security allocation and the settlement follow the control layer).

The names, levels and formats of all these metrics are those of :mod:`dayafter.metrics.registry`.

A criterion whose filter matches nothing (no region, no community with people in the plan, no
value) reports ``"n/a"`` (not applicable), never a pass: an empty plan passes nothing.

>>> c = Criterion.from_dict({"name": "inclusive", "metric": "stranded", "max": 0.25,
...                          "where": {"population_share_over": 0.05}})
>>> c.scope, c.max
('community', 0.25)

The optimizer uses the same objects as hard constraints.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dayafter._util import ratio
from dayafter.errors import ConfigError
from dayafter.metrics import registry
from dayafter.metrics.evaluate import CensusMetrics, Evaluation
from dayafter.plan import Plan

__all__ = ["Criterion", "CriterionResult", "EngineOutputs", "check_criteria", "criteria_from_spec"]

REGION_METRICS = tuple(registry.names("region"))
COMMUNITY_METRICS = tuple(registry.names("community"))
_KEYS = {"name", "metric", "min", "max", "abs_max", "where", "census", "description", "sources"}
_WHERE_KEYS = {"population_share_over", "communities", "regions", "authorities",
               "community_share_over"}
NOT_APPLICABLE = "n/a"


@dataclass(frozen=True)
class EngineOutputs:
    """Engine results a criterion may read, per polity of one plan (see the module docstring).

    Attributes
    ----------
    seats
        Census to ``int[k, g]`` seats of each community in each region's council.
    security_requirement, security_gap
        ``float[k]`` personnel required and short per region (polity).
    transfers
        Party to the money it receives (negative: pays).
    outside_money
        Money from outside (the donor fund) the settlement needs.
    """

    seats: Mapping[str, Any] = field(default_factory=dict)
    security_requirement: Any = None
    security_gap: Any = None
    transfers: Mapping[str, float] = field(default_factory=dict)
    outside_money: float | None = None

    @classmethod
    def collect(cls, plan: Plan, *, councils: Any = None, security: Any = None,
                settlement: Any = None) -> EngineOutputs:
        """From a :class:`~dayafter.councils.CouncilSimulation`, a
        :class:`~dayafter.security.SecurityAssessment` and a :class:`~dayafter.settle.Settlement`
        (any may be ``None``) of ``plan``."""
        seats: dict[str, Any] = {}
        if councils is not None:
            for cname in dict.fromkeys(councils.regions["census"].tolist()):
                seats[str(cname)] = np.asarray(councils.seats_table(cname))
        req = gap = None
        if security is not None:
            a = plan.assignment
            lab = np.where(a >= 0, a, plan.k)
            req = np.bincount(lab, weights=security.requirement, minlength=plan.k + 1)[:plan.k]
            gap = np.bincount(lab, weights=security.shortfall, minlength=plan.k + 1)[:plan.k]
        transfers: dict[str, float] = {}
        outside = None
        if settlement is not None:
            transfers = {str(p): float(t) for p, t in zip(settlement.problem.parties,
                                                          settlement.transfers, strict=True)}
            outside = float(settlement.outside_money)
        return cls(seats=seats, security_requirement=req, security_gap=gap, transfers=transfers,
                   outside_money=outside)


@dataclass(frozen=True)
class Criterion:
    """One named check: ``min <= metric <= max`` (and ``|metric| <= abs_max``) for every item.

    Parameters
    ----------
    name
        Short identifier, reported with the result.
    metric
        Metric key (see the module docstring).
    min, max, abs_max
        Bounds (at least one).
    where
        Filters: ``population_share_over`` (communities above this share of the total),
        ``communities`` (names), ``regions`` (names), ``authorities`` (regions of these
        authorities), ``community_share_over`` (for ``seats:<c>`` and ``seat_share:<c>``: regions
        where community ``c`` is above this share of the residents).
    census
        Census to check on (``None`` = every census).
    description, sources
        Human text and citations (e.g. ``["PS4"]``).
    """

    name: str
    metric: str
    min: float | None = None
    max: float | None = None
    abs_max: float | None = None
    where: Mapping[str, Any] = field(default_factory=dict)
    census: str | None = None
    description: str = ""
    sources: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.name:
            raise ConfigError("every criterion needs a name")
        if self.min is None and self.max is None and self.abs_max is None:
            raise ConfigError(f"criterion {self.name!r} needs a bound (min, max or abs_max)")
        bad = set(self.where) - _WHERE_KEYS
        if bad:
            raise ConfigError(f"criterion {self.name!r}: unknown 'where' keys {sorted(bad)}",
                              hint=f"use {sorted(_WHERE_KEYS)}")

    @property
    def scope(self) -> str:
        """``region``, ``community`` or ``plan`` (the metric's level in the registry; names the
        registry does not know, and pairs such as ``dissimilarity:a|b``, read plan scalars)."""
        try:
            level = registry.get(self.metric).level
        except ConfigError:
            return "plan"
        if level in ("region", "community") and not (level == "community" and ":" in self.metric):
            return level
        return "plan"

    @property
    def engine(self) -> str | None:
        """The engine whose output the metric reads (``councils``, ``security``, ``settle``; the
        registry's :attr:`~dayafter.metrics.registry.Metric.engine`), or ``None``."""
        try:
            return registry.get(self.metric).engine
        except ConfigError:
            return None

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Criterion:
        """Build from a spec entry; unknown keys are rejected."""
        if not isinstance(d, Mapping):
            raise ConfigError(f"a criterion must be a mapping, got {type(d).__name__}")
        unknown = set(d) - _KEYS
        if unknown:
            raise ConfigError(f"criterion {d.get('name')!r}: unknown keys {sorted(unknown)}",
                              hint=f"use {sorted(_KEYS)}")
        if "name" not in d or "metric" not in d:
            raise ConfigError("every criterion needs 'name' and 'metric'")

        def num(key: str) -> float | None:
            v = d.get(key)
            if v is None:
                return None
            try:
                return float(v)
            except (TypeError, ValueError):
                raise ConfigError(f"criterion {d['name']!r}: {key} must be a number, got {v!r}") from None

        return cls(name=str(d["name"]), metric=str(d["metric"]), min=num("min"), max=num("max"),
                   abs_max=num("abs_max"), where=dict(d.get("where") or {}),
                   census=d.get("census"), description=str(d.get("description", "")),
                   sources=tuple(str(s) for s in d.get("sources", ())))

    def bounds_text(self) -> str:
        """The bounds as text, e.g. ``<= 0.25``."""
        parts = []
        if self.min is not None:
            parts.append(f">= {self.min:g}")
        if self.max is not None:
            parts.append(f"<= {self.max:g}")
        if self.abs_max is not None:
            parts.append(f"|x| <= {self.abs_max:g}")
        return " and ".join(parts)

    def _ok(self, v: np.ndarray) -> np.ndarray:
        ok = np.isfinite(v) | np.isnan(v)  # NaN (nobody there) is not a failure
        finite = np.isfinite(v)
        if self.min is not None:
            ok &= ~finite | (v >= self.min - 1e-12)
        if self.max is not None:
            ok &= ~finite | (v <= self.max + 1e-12)
        if self.abs_max is not None:
            ok &= ~finite | (np.abs(v) <= self.abs_max + 1e-12)
        out: NDArray[Any] = ok
        return out


@dataclass(frozen=True)
class CriterionResult:
    """Outcome of one criterion on one census.

    ``failing`` lists ``{"item", "value"}`` for each failing region or community (with, for
    community metrics, the ``regions`` where the community falls short). ``status`` is ``"pass"``,
    ``"fail"`` or ``"n/a"`` (the filter matched nothing: not a pass).
    """

    criterion: Criterion
    census: str
    passed: bool
    failing: tuple[dict[str, Any], ...] = ()
    checked: int = 0
    status: str = ""

    def __post_init__(self) -> None:
        if not self.status:
            object.__setattr__(self, "status", "pass" if self.passed else "fail")
        if self.status == NOT_APPLICABLE and self.passed:
            raise ValueError("a criterion that applies to nothing cannot pass")

    @property
    def applicable(self) -> bool:
        """False when the criterion's filter matched nothing."""
        return self.status != NOT_APPLICABLE

    def message(self) -> str:
        """One line: name, census, PASS/FAIL/NOT APPLICABLE and the failing items."""
        if not self.applicable:
            return (f"{self.criterion.name} [{self.census}]: NOT APPLICABLE (nothing matches its "
                    f"filter; {self.criterion.metric} {self.criterion.bounds_text()})")
        head = f"{self.criterion.name} [{self.census}]: {'PASS' if self.passed else 'FAIL'}"
        if self.passed:
            return f"{head} ({self.checked} checked, {self.criterion.metric} {self.criterion.bounds_text()})"
        items = ", ".join(
            f"{f['item']}={f['value']:.3g}" + (f" in {', '.join(f['regions'][:4])}" if f.get("regions") else "")
            for f in self.failing[:6])
        return f"{head}: {self.criterion.metric} {self.criterion.bounds_text()} fails for {items}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"name": self.criterion.name, "census": self.census, "passed": self.passed,
                "status": self.status,
                "metric": self.criterion.metric, "bounds": self.criterion.bounds_text(),
                "failing": list(self.failing), "checked": self.checked,
                "sources": list(self.criterion.sources)}


def criteria_from_spec(spec: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> list[Criterion]:
    """Criteria from a parsed spec: ``{"criteria": [...]}`` or a bare list."""
    items = spec.get("criteria") if isinstance(spec, Mapping) else spec
    if not isinstance(items, Sequence) or isinstance(items, str):
        raise ConfigError("a criteria spec is a list of criteria (or {'criteria': [...]})",
                          hint="write 'criteria:' followed by one '- {name: ..., metric: ..., max: ...}' per line")
    out = [Criterion.from_dict(d) for d in items]
    names = [c.name for c in out]
    if len(set(names)) != len(names):
        raise ConfigError(f"criterion names must be unique: {names}", hint="rename the repeated criteria")
    return out


def _community(cm: CensusMetrics, metric: str) -> int:
    comm = metric.split(":", 1)[1]
    if comm not in cm.communities:
        raise ConfigError(f"unknown community {comm!r} in metric {metric!r}",
                          hint=f"use one of {list(cm.communities)}")
    return cm.communities.index(comm)


def _need(engines: EngineOutputs | None, crit: Criterion, what: str, value: Any) -> Any:
    if engines is None or value is None or (isinstance(value, Mapping) and not value):
        raise ConfigError(
            f"criterion {crit.name!r} reads {crit.metric!r}, an output of the {crit.engine} engine, "
            f"and no {what} was given",
            hint=f"run the {crit.engine} engine and pass EngineOutputs.collect(...) to "
                 "check_criteria (the CLI does this when a criteria file needs it)")
    return value


def _seats(engines: EngineOutputs | None, crit: Criterion, cname: str) -> NDArray[np.float64]:
    seats = _need(engines, crit, "council simulation", engines.seats if engines else None)
    if cname not in seats:
        raise ConfigError(f"criterion {crit.name!r}: the councils were not simulated on census "
                          f"{cname!r}", hint=f"simulate on {cname!r} too")
    return np.asarray(seats[cname], dtype=float)


def _region_values(ev: Evaluation, cm: CensusMetrics, crit: Criterion,
                   engines: EngineOutputs | None) -> NDArray[np.float64]:
    metric = crit.metric
    if metric.startswith(("seats:", "seat_share:")):
        seats = _seats(engines, crit, cm.census)
        j = _community(cm, metric)
        if metric.startswith("seats:"):
            return seats[:, j]
        tot = seats.sum(axis=1)
        return ratio(seats[:, j], tot)
    if metric in ("security_gap", "security_gap_share"):
        gap = np.asarray(_need(engines, crit, "security assessment",
                               engines.security_gap if engines else None), dtype=float)
        if metric == "security_gap":
            return gap
        req = np.asarray(engines.security_requirement if engines else None, dtype=float)
        return ratio(gap, req)
    return np.asarray(registry.value(ev, metric, cm.census), dtype=float)


def _community_values(cm: CensusMetrics, crit: Criterion,
                      engines: EngineOutputs | None) -> NDArray[np.float64]:
    if crit.metric in ("council_seats", "representation_ratio"):
        seats: NDArray[np.float64] = _seats(engines, crit, cm.census).sum(axis=0)
        if crit.metric == "council_seats":
            return seats
        pop = cm.tally.sum(axis=0)
        return ratio(ratio(seats, seats.sum()), ratio(pop, pop.sum()))
    return np.asarray(getattr(cm, crit.metric), dtype=float)


def _plan_scalars(ev: Evaluation, cm: CensusMetrics, crit: Criterion,
                  engines: EngineOutputs | None) -> dict[str, float]:
    scal = ev.geometry.scalars() | cm.scalars()
    if ev.change is not None:
        scal["units_moved"] = float(ev.change.units_moved)
        scal["people_moved"] = ev.change.people_moved.get(cm.census, float("nan"))
        scal["polity_units_moved"] = float(ev.change.polity_units_moved)
        scal["polity_people_moved"] = ev.change.polity_people_moved.get(cm.census, float("nan"))
        scal["units_reassigned"] = float(ev.change.units_reassigned)
    m = crit.metric
    if m.startswith("dissimilarity:"):
        a, _, b = m.split(":", 1)[1].partition("|")
        try:
            scal[m] = float(cm.dissimilarity[cm.communities.index(a), cm.communities.index(b)])
        except ValueError:
            raise ConfigError(f"unknown communities in {m!r}") from None
    elif m.startswith("security_gap"):
        gap = np.asarray(_need(engines, crit, "security assessment",
                               engines.security_gap if engines else None), dtype=float)
        req = np.asarray(engines.security_requirement if engines else None, dtype=float)
        scal["security_gap_total"] = float(gap.sum())
        scal["security_gap_share_total"] = (float(gap.sum() / req.sum()) if req.sum() > 0
                                            else float("nan"))
    elif m.startswith("transfer:"):
        transfers = _need(engines, crit, "settlement", engines.transfers if engines else None)
        party = m.split(":", 1)[1]
        if party not in transfers:
            raise ConfigError(f"criterion {crit.name!r}: no party {party!r} in the settlement",
                              hint=f"use one of {sorted(transfers)}")
        scal[m] = float(transfers[party])
    elif m == "outside_money":
        scal[m] = float(_need(engines, crit, "settlement",
                              engines.outside_money if engines else None))
    return scal


def check_criteria(evaluation: Evaluation, criteria: Sequence[Criterion], *,
                   engines: EngineOutputs | None = None) -> list[CriterionResult]:
    """Evaluate every criterion on every census it applies to.

    Parameters
    ----------
    evaluation
        The plan's evaluation.
    criteria
        The criteria.
    engines
        Engine outputs for criteria on seats, security gaps or transfers (see
        :class:`EngineOutputs`); a criterion that needs one that is missing raises
        :class:`~dayafter.errors.ConfigError`.

    Returns
    -------
    list of CriterionResult
        One per criterion and census. A criterion whose filter selects nothing with a value is
        ``"n/a"`` (and does not pass).

    Examples
    --------
    >>> import numpy as np
    >>> from dayafter.graph import UnitGraph
    >>> from dayafter.metrics import evaluate
    >>> from dayafter.plan import Plan, Region
    >>> from dayafter.territory import Territory
    >>> t = Territory.from_arrays(["a", "b"], ["x", "y"], {"now": np.array([[9.0, 1], [1, 9]])},
    ...                           UnitGraph.from_edges(2, [0], [1]))
    >>> c = Criterion("inclusive", "stranded", max=0.25)
    >>> empty = Plan(np.array([-1, -1]), (Region("A"),), t.content_hash)
    >>> check_criteria(evaluate(t, empty), [c])[0].status
    'n/a'
    >>> whole = Plan(np.array([0, 0]), (Region("A"),), t.content_hash)
    >>> check_criteria(evaluate(t, whole), [c])[0].status
    'pass'
    """
    ev = evaluation
    plan = ev.plan
    results: list[CriterionResult] = []
    for crit in criteria:
        names = [crit.census] if crit.census else list(ev.censuses)
        for cname in names:
            cm = ev.census(cname)
            if crit.scope == "region":
                vals = _region_values(ev, cm, crit, engines)
                sel = np.ones(plan.k, dtype=bool)
                if "regions" in crit.where:
                    sel &= np.isin(plan.region_names, list(crit.where["regions"]))
                if "authorities" in crit.where:
                    sel &= np.isin([r.authority for r in plan.regions], list(crit.where["authorities"]))
                if "community_share_over" in crit.where:
                    if not crit.metric.startswith(("seats:", "seat_share:", "share:")):
                        raise ConfigError(
                            f"criterion {crit.name!r}: community_share_over applies to seats:, "
                            "seat_share: and share: metrics",
                            hint="name the community in the metric, e.g. seats:christian")
                    j = _community(cm, crit.metric)
                    sel &= cm.shares[:, j] > float(crit.where["community_share_over"])
                sel &= (cm.population > 0) & np.isfinite(vals)
                ok = crit._ok(vals)
                bad = np.flatnonzero(sel & ~ok)
                failing = tuple({"item": plan.regions[int(r)].name, "value": float(vals[int(r)])}
                                for r in bad)
                checked = int(sel.sum())
                results.append(CriterionResult(
                    crit, cname, checked > 0 and not failing, failing, checked,
                    status=NOT_APPLICABLE if checked == 0 else ""))
            elif crit.scope == "community":
                vals = _community_values(cm, crit, engines)
                totals = cm.community_totals()
                # communities with people in the plan's regions: an empty plan checks nobody
                sel = (totals > 0) & (cm.tally.sum(axis=0) > 0) & np.isfinite(vals)
                if "population_share_over" in crit.where:
                    sel &= totals > float(crit.where["population_share_over"]) * totals.sum()
                if "communities" in crit.where:
                    unknown = set(crit.where["communities"]) - set(cm.communities)
                    if unknown:
                        raise ConfigError(f"criterion {crit.name!r}: unknown communities {sorted(unknown)}",
                                          hint=f"use {list(cm.communities)}")
                    sel &= np.isin(cm.communities, list(crit.where["communities"]))
                ok = crit._ok(vals)
                failing_l = []
                for jj in np.flatnonzero(sel & ~ok).tolist():
                    j = int(jj)
                    item: dict[str, Any] = {"item": cm.communities[j], "value": float(vals[j])}
                    if crit.metric.startswith("stranded"):
                        where = (cm.shares[:, j] < cm.threshold) & (cm.tally[:, j] > 0)
                        item["regions"] = [plan.regions[r].name for r in np.flatnonzero(where)]
                    elif crit.metric.startswith("empowerment"):
                        largest = cm.largest == j
                        item["regions"] = [plan.regions[r].name for r in np.flatnonzero(largest)]
                    failing_l.append(item)
                checked = int(sel.sum())
                results.append(CriterionResult(
                    crit, cname, checked > 0 and not failing_l, tuple(failing_l), checked,
                    status=NOT_APPLICABLE if checked == 0 else ""))
            else:
                scal = _plan_scalars(ev, cm, crit, engines)
                if crit.metric not in scal:
                    raise ConfigError(
                        f"criterion {crit.name!r}: unknown metric {crit.metric!r}",
                        hint="use a region metric " + str(list(REGION_METRICS)) + ", a community metric "
                        + str(list(COMMUNITY_METRICS)) + ", or a plan metric " + str(sorted(scal)))
                v = np.array([scal[crit.metric]])
                if not np.isfinite(v[0]) or not np.any(plan.assignment >= 0):
                    results.append(CriterionResult(crit, cname, False, (), 0,
                                                   status=NOT_APPLICABLE))
                    continue
                passed = bool(crit._ok(v)[0])
                failing_t = () if passed else ({"item": "plan", "value": float(v[0])},)
                results.append(CriterionResult(crit, cname, passed, failing_t, 1))
    return results
