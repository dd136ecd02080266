"""Side-by-side comparison of plans (one column per plan), shared by the CLI, reports and web app."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from dayafter.criteria import Criterion, EngineOutputs, check_criteria
from dayafter.metrics import DEFAULT_THRESHOLD, Evaluation, evaluate, registry
from dayafter.plan import Plan
from dayafter.territory import Territory

__all__ = ["compare_plans", "comparison_table", "row_format"]


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
