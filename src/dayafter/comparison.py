"""Side-by-side comparison of plans (one column per plan), shared by the CLI, reports and web app.

:func:`compare` evaluates N plans and judges every metric of each against one of them (better,
worse, same, or neutral when the metric has no direction) with the metric registry's direction;
:func:`authority_changes` lists the units whose authority differs between two plans.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from dayafter.criteria import Criterion, EngineOutputs, check_criteria
from dayafter.errors import ConfigError, InputDataError
from dayafter.metrics import DEFAULT_THRESHOLD, Evaluation, evaluate, registry
from dayafter.plan import Plan
from dayafter.territory import Territory

__all__ = ["AuthorityChanges", "Comparison", "PolityControl", "authority_changes", "compare", "compare_plans",
           "comparison_table", "judge", "polity_control", "row_format"]

Verdict = Literal["better", "worse", "same", "neutral"]


def compare_plans(
    territory: Territory,
    plans: Sequence[Plan],
    *,
    reference: Plan | None = None,
    censuses: Sequence[str] | None = None,
    threshold: float = DEFAULT_THRESHOLD,
) -> list[Evaluation]:
    """Evaluate several plans against the same reference."""
    return [evaluate(territory, p, censuses=censuses, threshold=threshold, reference=reference)
            for p in plans]


def comparison_table(
    evaluations: Sequence[Evaluation],
    *,
    community_labels: dict[str, str] | None = None,
    criteria: Sequence[Criterion] = (),
    engines: Mapping[str, EngineOutputs | None] | None = None,
) -> pd.DataFrame:
    """A tidy table: one row per (section, metric), one column per plan.

    Sections: ``plan`` (census-independent) and one per census. ``table.attrs["metric_keys"]``
    maps each ``(section, label)`` row to its metric in :mod:`dayafter.metrics.registry` (see
    :func:`row_format`). Composition rows (empowerment,
    stranded, fractionalization) read the polity layer; ``units held (control)`` and ``changing
    control`` read the control layer; ``changing polity`` rows read the polity layer.
    """
    labels = community_labels or {}
    rows: dict[tuple[str, str], dict[str, float | str]] = {}
    keys: dict[tuple[str, str], str] = {}

    def put(section: str, metric: str, plan: str, value: float | str, key: str = "") -> None:
        rows.setdefault((section, metric), {})[plan] = value
        if key:
            keys[(section, metric)] = key

    for ev in evaluations:
        name = ev.plan.name
        g = ev.geometry
        auth = ev.plan.authority_of_units()
        ctl = ev.plan.control_of_units()
        put("plan", "regions", name, float(ev.plan.k))  # polities
        for a in sorted(set(auth.tolist()) - {""}):
            put("plan", f"units in {a} polities", name, float(np.sum(auth == a)))
        for a in sorted(set(ctl.tolist()) - {""}):
            put("plan", f"units held (control): {a}", name, float(np.sum(ctl == a)))
        put("plan", "cut edges", name, float(g.cut_edges), "cut_edges")
        put("plan", "mean Polsby-Popper", name, float(np.nanmean(g.polsby_popper)), "mean_polsby_popper")
        put("plan", "non-contiguous regions", name, float(np.sum(g.pieces > 1)), "noncontiguous_regions")
        for level, v in g.splits.items():
            put("plan", f"{level}s split", name, float(v), f"splits:{level}")
        if ev.change is not None:
            ref = ev.change.reference
            put("plan", f"units changing control (vs {ref})", name, float(ev.change.units_moved), "units_moved")
            put("plan", f"units changing polity authority (vs {ref})", name,
                float(ev.change.polity_units_moved), "polity_units_moved")
            put("plan", f"units changing polity (vs {ref})", name, float(ev.change.units_reassigned), "units_reassigned")
        for cname, cm in ev.censuses.items():
            sec = f"census {cname}"
            put(sec, "population", name, float(cm.population.sum()), "population_total")
            put(sec, "max |deviation|", name, float(np.nanmax(np.abs(cm.deviation))), "max_abs_deviation")
            put(sec, "Theil H (segregation)", name, float(cm.theil_h), "theil_h")
            w = cm.population / max(cm.population.sum(), 1e-300)
            put(sec, "mean fractionalization", name, float(np.nansum(w * cm.fractionalization)), "mean_fractionalization")
            if ev.change is not None:
                put(sec, "people changing control", name, ev.change.people_moved.get(cname, float("nan")), "people_moved")
                put(sec, "people changing polity authority", name,
                    ev.change.polity_people_moved.get(cname, float("nan")), "polity_people_moved")
            for j, comm in enumerate(cm.communities):
                put(sec, f"empowered (plurality): {labels.get(comm, comm)}", name,
                    float(cm.empowerment_plurality[j]), f"empowerment_plurality:{comm}")
            for j, comm in enumerate(cm.communities):
                put(sec, f"empowered (majority): {labels.get(comm, comm)}", name,
                    float(cm.empowerment_majority[j]), f"empowerment_majority:{comm}")
            for j, comm in enumerate(cm.communities):
                put(sec, f"stranded (<{cm.threshold:.0%}): {labels.get(comm, comm)}", name,
                    float(cm.stranded[j]), f"stranded:{comm}")
        if criteria:
            res = check_criteria(ev, criteria, engines=(engines or {}).get(name))
            for r in res:
                put(f"census {r.census}", f"criterion {r.criterion.name}", name,
                    {"pass": "pass", "fail": "FAIL"}.get(r.status, r.status))
    index = pd.MultiIndex.from_tuples(list(rows), names=["section", "metric"])
    table = pd.DataFrame(list(rows.values()), index=index, columns=[e.plan.name for e in evaluations])
    table.attrs["metric_keys"] = keys
    return table


def row_format(table: pd.DataFrame, section: str, label: str) -> Callable[[Any], str]:
    """The formatter of one row of a :func:`comparison_table` (from the metric registry; criteria
    rows are text)."""
    key = table.attrs.get("metric_keys", {}).get((section, label))
    if key is None:
        return lambda v: v if isinstance(v, str) else registry.format_value("", v)
    return lambda v: v if isinstance(v, str) else registry.format_value(key, v)


def _verdict(key: str | None, value: Any, against: Any) -> Verdict:
    """One cell judged against the same row's cell of the plan compared against."""
    if isinstance(value, str) or isinstance(against, str):
        if {value, against} <= {"pass", "FAIL"}:  # criterion rows: passing is better
            return "same" if value == against else ("better" if value == "pass" else "worse")
        return "neutral"
    if key is None:
        return "neutral"
    try:
        m = registry.get(key)
    except ConfigError:
        return "neutral"
    if m.direction == "neutral":
        return "neutral"
    a, b = float(value), float(against)
    if not (np.isfinite(a) and np.isfinite(b)):
        return "neutral"
    if m.better(a, b):
        return "better"
    if m.better(b, a):
        return "worse"
    return "same"


def judge(table: pd.DataFrame, against: str) -> pd.DataFrame:
    """Every cell of a :func:`comparison_table` judged against column ``against``.

    Parameters
    ----------
    table
        A :func:`comparison_table` (its ``attrs["metric_keys"]`` name each row's metric).
    against
        The column (plan name) the others are judged against.

    Returns
    -------
    pandas.DataFrame
        Same shape as ``table``: ``better``, ``worse`` or ``same`` by the registry's direction
        of the row's metric (:meth:`dayafter.metrics.registry.Metric.better`: for signed
        deviations closer to zero is better), ``neutral`` for metrics with no direction, rows
        that name no registry metric (counts of units per authority) and missing values;
        criterion rows: ``pass`` beats ``FAIL``. The ``against`` column is ``same`` (or
        ``neutral``).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"A": [1.0, 10.0, 5.0], "B": [2.0, 8.0, 5.0]},
    ...                  index=pd.MultiIndex.from_tuples([("plan", "non-contiguous regions"),
    ...                        ("plan", "mean Polsby-Popper"), ("plan", "regions")]))
    >>> t.attrs["metric_keys"] = {("plan", "non-contiguous regions"): "noncontiguous_regions",
    ...                           ("plan", "mean Polsby-Popper"): "mean_polsby_popper"}
    >>> judge(t, "A")["B"].tolist()
    ['worse', 'worse', 'neutral']
    """
    if against not in table.columns:
        raise InputDataError(f"plan {against!r} is not in the comparison",
                             hint=f"compare against one of {list(table.columns)}")
    keys = table.attrs.get("metric_keys", {})
    out = pd.DataFrame("neutral", index=table.index, columns=table.columns, dtype=object)
    for idx, row in table.iterrows():
        key = keys.get(idx)
        ref = row[against]
        for col in table.columns:
            out.at[idx, col] = _verdict(key, row[col], ref)
    return out


@dataclass(frozen=True)
class Comparison:
    """N plans side by side, each judged against one of them (see :func:`compare`).

    Attributes
    ----------
    plans
        Plan names, in column order.
    against
        The plan the others are judged against.
    table
        The :func:`comparison_table` (one row per metric, one column per plan).
    verdicts
        :func:`judge` of ``table`` against ``against``.
    evaluations
        The evaluations behind the table, in column order.
    """

    plans: tuple[str, ...]
    against: str
    table: pd.DataFrame
    verdicts: pd.DataFrame
    evaluations: tuple[Evaluation, ...]

    def metric_key(self, section: str, label: str) -> str | None:
        """The registry metric of a row (``None`` for plain counts and criteria)."""
        key: str | None = self.table.attrs.get("metric_keys", {}).get((section, label))
        return key

    def rows(self) -> list[dict[str, Any]]:
        """The table as records: section, metric label, registry key, direction, purposes,
        values (``None`` when missing), differences from ``against`` and verdicts, per plan."""
        out: list[dict[str, Any]] = []
        j = self.plans.index(self.against)
        for (section, label), vals in self.table.iterrows():
            key = self.metric_key(section, label)
            m = None
            if key is not None:
                try:
                    m = registry.get(key)
                except ConfigError:
                    m = None
            values = [_cell(v) for v in vals.tolist()]
            ref = values[j]
            diffs = [v - ref if isinstance(v, float) and isinstance(ref, float) else None for v in values]
            out.append({"section": section, "metric": label, "key": key,
                        "direction": m.direction if m else "neutral",
                        "purposes": list(m.purposes) if m else list(registry.PURPOSES),
                        "values": values, "differences": diffs,
                        "verdicts": self.verdicts.loc[(section, label)].tolist()})
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON form: plans, against and :meth:`rows`."""
        return {"plans": list(self.plans), "against": self.against, "rows": self.rows()}


def _cell(v: Any) -> float | str | None:
    if v is None:
        return None
    if isinstance(v, str):
        return v
    x = float(v)
    return x if np.isfinite(x) else None


def compare(
    territory: Territory,
    plans: Sequence[Plan],
    *,
    against: str | int = 0,
    reference: Plan | None = None,
    censuses: Sequence[str] | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    community_labels: dict[str, str] | None = None,
    criteria: Sequence[Criterion] = (),
    engines: Mapping[str, EngineOutputs | None] | None = None,
) -> Comparison:
    """Compare N plans: every metric per plan, each judged better or worse than one of them.

    Parameters
    ----------
    territory
        The territory of every plan.
    plans
        Two or more plans (one is allowed) with distinct names.
    against
        The plan the others are judged against: its name or position (default: the first).
    reference
        The plan change metrics (units and people changing authority) are measured from (the
        status quo), as :func:`dayafter.metrics.evaluate` takes it.
    censuses, threshold, community_labels, criteria, engines
        As :func:`comparison_table`.

    Returns
    -------
    Comparison

    Examples
    --------
    >>> from dayafter.plan import Plan, Region
    >>> from dayafter.testing.grids import grid_territory, stripes
    >>> t = grid_territory(4, 4)
    >>> four = Plan(stripes(4, 4, 4), tuple(Region(f"s{j}") for j in range(4)), t.content_hash,
    ...             name="four stripes")
    >>> two = Plan(stripes(4, 4, 2), (Region("w"), Region("e")), t.content_hash, name="two")
    >>> c = compare(t, [four, two], against="four stripes")
    >>> c.plans, c.verdicts.loc[("plan", "cut edges")].tolist()
    (('four stripes', 'two'), ['same', 'better'])

    Notes
    -----
    "Better" follows :attr:`dayafter.metrics.registry.Metric.direction`: one more non-contiguous
    region is worse, a larger stranded share is worse, a larger empowered share is better; a
    difference of sign says nothing by itself.
    """
    if len(plans) < 1:
        raise InputDataError("nothing to compare", hint="pass one or more plans")
    names = [p.name for p in plans]
    if len(set(names)) != len(names):
        raise InputDataError(f"plans to compare need distinct names, got {names}",
                             hint="rename or duplicate a plan under another name")
    if isinstance(against, int):
        if not 0 <= against < len(plans):
            raise InputDataError(f"against={against} is not the position of a compared plan",
                                 hint=f"use 0..{len(plans) - 1} or a plan name")
        against = names[against]
    evs = compare_plans(territory, plans, reference=reference, censuses=censuses, threshold=threshold)
    table = comparison_table(evs, community_labels=community_labels, criteria=criteria, engines=engines)
    return Comparison(tuple(names), against, table, judge(table, against), tuple(evs))


@dataclass(frozen=True)
class AuthorityChanges:
    """Units whose authority differs between two plans (see :func:`authority_changes`).

    Attributes
    ----------
    before, after
        Plan names.
    layer
        ``polity`` (the authority of each unit's region) or ``control`` (who holds each unit).
    units
        ``int64[m]``: the units that change, ascending.
    old, new
        ``object[m]``: their authority in ``before`` and in ``after`` (``""``: unassigned).
    people
        Per census, people living in those units.
    """

    before: str
    after: str
    layer: str
    units: np.ndarray
    old: np.ndarray
    new: np.ndarray
    people: dict[str, float]

    def by_authority(self) -> dict[str, int]:
        """Units changing, by their new authority."""
        labels, counts = np.unique(self.new.astype(str), return_counts=True)
        return {str(a): int(c) for a, c in zip(labels, counts, strict=True)}

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"before": self.before, "after": self.after, "layer": self.layer,
                "units": self.units.tolist(), "old": self.old.tolist(), "new": self.new.tolist(),
                "count": int(self.units.size), "people": self.people,
                "by_authority": self.by_authority()}


def authority_changes(
    territory: Territory,
    before: Plan,
    after: Plan,
    *,
    layer: Literal["polity", "control"] = "polity",
    censuses: Sequence[str] | None = None,
) -> AuthorityChanges:
    """The units that change authority from plan ``before`` to plan ``after``.

    Parameters
    ----------
    territory
        The territory of both plans.
    before, after
        The two plans.
    layer
        ``polity``: the authority of the unit's region (:meth:`Plan.authority_of_units`);
        ``control``: who holds the unit (:meth:`Plan.control_of_units`).
    censuses
        Censuses to count people on (default: all).

    Returns
    -------
    AuthorityChanges

    Examples
    --------
    >>> import numpy as np
    >>> from dayafter.plan import Plan, Region
    >>> from dayafter.testing.grids import grid_territory
    >>> t = grid_territory(2, 2)
    >>> a = Plan(np.array([0, 0, 1, 1]), (Region("N", "krg"), Region("S", "federal")),
    ...          t.content_hash, name="a")
    >>> b = a.with_moves([1], 1)
    >>> ch = authority_changes(t, a, b)
    >>> ch.units.tolist(), ch.new.tolist(), ch.people == {c: float(t.population(c)[1]) for c in t.census_names}
    ([1], ['federal'], True)

    Notes
    -----
    The same counts as :attr:`dayafter.metrics.ChangeMetrics.polity_units_moved` and
    ``units_moved`` when ``before`` is the evaluation's reference plan.
    """
    if layer not in ("polity", "control"):
        raise InputDataError(f"unknown layer {layer!r}", hint="use 'polity' or 'control'")
    before.check_territory(territory)
    after.check_territory(territory)
    if layer == "polity":
        old_all, new_all = before.authority_of_units(), after.authority_of_units()
    else:
        old_all, new_all = before.control_of_units(), after.control_of_units()
    changed = np.flatnonzero(old_all != new_all)
    names = list(censuses) if censuses is not None else list(territory.census_names)
    people = {c: float(territory.population(c)[changed].sum()) for c in names}
    return AuthorityChanges(before.name, after.name, layer, changed.astype(np.int64),
                            old_all[changed], new_all[changed], people)


@dataclass(frozen=True)
class PolityControl:
    """Who governs each polity and who holds each unit of a plan (see :func:`polity_control`).

    Attributes
    ----------
    plan
        The plan's name.
    regions
        Per region: ``name``, ``authority`` (who governs the polity), ``units``, ``control``
        (units held by each control label), ``held_by_others`` (units held by a control other
        than the polity's authority) and ``people_held_by_others`` per census.
    units
        ``int64[m]``: the units whose control differs from their polity's authority, ascending.
    control, authority
        ``object[m]``: who holds each of them, and the authority of its polity.
    people
        Per census, people living in those units.
    """

    plan: str
    regions: tuple[dict[str, Any], ...]
    units: np.ndarray
    control: np.ndarray
    authority: np.ndarray
    people: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {"plan": self.plan, "regions": list(self.regions), "units": self.units.tolist(),
                "control": self.control.tolist(), "authority": self.authority.tolist(),
                "count": int(self.units.size), "people": self.people}


def polity_control(territory: Territory, plan: Plan, *,
                   censuses: Sequence[str] | None = None) -> PolityControl:
    """The two layers of a plan side by side: who governs each polity (its region's authority)
    and who holds each unit (the control layer), with the units where they differ.

    Parameters
    ----------
    territory
        The plan's territory.
    plan
        The plan.
    censuses
        Censuses to count people on (default: all).

    Returns
    -------
    PolityControl

    Examples
    --------
    >>> import numpy as np
    >>> from dayafter.plan import Plan, Region
    >>> from dayafter.testing.grids import grid_territory
    >>> t = grid_territory(1, 3)
    >>> p = Plan(np.array([0, 0, 1]), (Region("N", "krg"), Region("S", "federal")), t.content_hash)
    >>> pc = polity_control(t, p.with_control([1], "federal"))
    >>> pc.units.tolist(), pc.control.tolist(), pc.authority.tolist()
    ([1], ['federal'], ['krg'])
    >>> pc.regions[0]["control"], pc.regions[0]["held_by_others"]
    ({'federal': 1, 'krg': 1}, 1)

    Notes
    -----
    A polity's authority is read as a control label (``shared`` is ``joint``,
    :func:`dayafter.plan.normalize_control`) before the two are compared, so a shared polity
    whose units are under joint control has no difference.
    """
    from dayafter.plan import normalize_control

    plan.check_territory(territory)
    ctl = plan.control_of_units()
    auth_norm = np.array([normalize_control(r.authority) for r in plan.regions] + [""],
                         dtype=object)[plan.assignment]
    auth = plan.authority_of_units()
    differs = (plan.assignment >= 0) & (ctl != auth_norm)
    names = list(censuses) if censuses is not None else list(territory.census_names)
    pops = {c: territory.population(c) for c in names}
    by_region = plan.control_by_region()
    lab = np.where(plan.assignment >= 0, plan.assignment, plan.k)
    regions = []
    for j, r in enumerate(plan.regions):
        mask = differs & (lab == j)
        regions.append({"name": r.name, "authority": r.authority,
                        "units": int(np.sum(lab == j)), "control": by_region[j],
                        "held_by_others": int(mask.sum()),
                        "people_held_by_others": {c: float(p[mask].sum()) for c, p in pops.items()}})
    idx = np.flatnonzero(differs).astype(np.int64)
    return PolityControl(plan.name, tuple(regions), idx, ctl[idx], auth[idx],
                         {c: float(p[idx].sum()) for c, p in pops.items()})
