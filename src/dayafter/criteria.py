"""Criteria: named pass/fail checks with thresholds on metrics, per plan and per census.

A criterion reads one metric of an :class:`~dayafter.metrics.Evaluation` at one of three scopes:

- ``region`` metrics (one value per region): ``population``, ``deviation``, ``largest_share``,
  ``fractionalization``, ``polarization``, ``polsby_popper``, ``pieces``, ``area_km2``,
  ``share:<community>``;
- ``community`` metrics (one value per community): ``empowerment_plurality``,
  ``empowerment_majority``, ``stranded``, ``stranded_people``;
- ``plan`` metrics (one value): any key of :meth:`Evaluation.scalars` without the census prefix,
  such as ``theil_h``, ``cut_edges``, ``splits:governorate``, ``max_abs_deviation``.

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

from dayafter.errors import ConfigError
from dayafter.metrics import registry
from dayafter.metrics.evaluate import CensusMetrics, Evaluation

__all__ = ["Criterion", "CriterionResult", "check_criteria", "criteria_from_spec"]

REGION_METRICS = tuple(registry.names("region"))
COMMUNITY_METRICS = tuple(registry.names("community"))
_KEYS = {"name", "metric", "min", "max", "abs_max", "where", "census", "description", "sources"}
_WHERE_KEYS = {"population_share_over", "communities", "regions", "authorities"}


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
        ``communities`` (names), ``regions`` (names), ``authorities`` (regions governed by them).
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
        return ok


@dataclass(frozen=True)
class CriterionResult:
    """Outcome of one criterion on one census.

    ``failing`` lists ``{"item", "value"}`` for each failing region or community (with, for
    community metrics, the ``regions`` where the community falls short).
    """

    criterion: Criterion
    census: str
    passed: bool
    failing: tuple[dict[str, Any], ...] = ()
    checked: int = 0

    def message(self) -> str:
        """One line: name, census, PASS/FAIL and the failing items."""
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


def _region_values(ev: Evaluation, cm: CensusMetrics, metric: str) -> np.ndarray:
    return np.asarray(registry.value(ev, metric, cm.census), dtype=float)


def check_criteria(evaluation: Evaluation, criteria: Sequence[Criterion]) -> list[CriterionResult]:
    """Evaluate every criterion on every census it applies to."""
    ev = evaluation
    plan = ev.plan
    results: list[CriterionResult] = []
    for crit in criteria:
        names = [crit.census] if crit.census else list(ev.censuses)
        for cname in names:
            cm = ev.census(cname)
            if crit.scope == "region":
                vals = _region_values(ev, cm, crit.metric)
                sel = np.ones(plan.k, dtype=bool)
                if "regions" in crit.where:
                    sel &= np.isin(plan.region_names, list(crit.where["regions"]))
                if "authorities" in crit.where:
                    sel &= np.isin([r.authority for r in plan.regions], list(crit.where["authorities"]))
                sel &= cm.population > 0
                ok = crit._ok(vals)
                bad = np.flatnonzero(sel & ~ok)
                failing = tuple({"item": plan.regions[j].name, "value": float(vals[j])} for j in bad)
                results.append(CriterionResult(crit, cname, not failing, failing, int(sel.sum())))
            elif crit.scope == "community":
                vals = np.asarray(getattr(cm, crit.metric), dtype=float)
                totals = cm.community_totals()
                sel = totals > 0
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
                for j in np.flatnonzero(sel & ~ok):
                    item: dict[str, Any] = {"item": cm.communities[j], "value": float(vals[j])}
                    if crit.metric.startswith("stranded"):
                        where = (cm.shares[:, j] < cm.threshold) & (cm.tally[:, j] > 0)
                        item["regions"] = [plan.regions[r].name for r in np.flatnonzero(where)]
                    else:
                        largest = cm.largest == j
                        item["regions"] = [plan.regions[r].name for r in np.flatnonzero(largest)]
                    failing_l.append(item)
                results.append(CriterionResult(crit, cname, not failing_l, tuple(failing_l), int(sel.sum())))
            else:
                scal = ev.geometry.scalars() | cm.scalars()
                if ev.change is not None:
                    scal["units_moved"] = float(ev.change.units_moved)
                    scal["people_moved"] = ev.change.people_moved.get(cname, float("nan"))
                if crit.metric.startswith("dissimilarity:"):
                    a, _, b = crit.metric.split(":", 1)[1].partition("|")
                    try:
                        scal[crit.metric] = float(cm.dissimilarity[cm.communities.index(a),
                                                                   cm.communities.index(b)])
                    except ValueError:
                        raise ConfigError(f"unknown communities in {crit.metric!r}") from None
                if crit.metric not in scal:
                    raise ConfigError(
                        f"criterion {crit.name!r}: unknown metric {crit.metric!r}",
                        hint="use a region metric " + str(list(REGION_METRICS)) + ", a community metric "
                        + str(list(COMMUNITY_METRICS)) + ", or a plan metric " + str(sorted(scal)))
                v = np.array([scal[crit.metric]])
                passed = bool(crit._ok(v)[0])
                failing_t = () if passed else ({"item": "plan", "value": float(v[0])},)
                results.append(CriterionResult(crit, cname, passed, failing_t, 1))
    return results
