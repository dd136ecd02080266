"""Side-by-side comparison of plans (one column per plan), shared by the CLI, reports and web app."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from dayafter.criteria import Criterion, check_criteria
from dayafter.metrics import DEFAULT_THRESHOLD, Evaluation, evaluate
from dayafter.plan import Plan
from dayafter.territory import Territory

__all__ = ["compare_plans", "comparison_table"]


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
) -> pd.DataFrame:
    """A tidy table: one row per (section, metric), one column per plan.

    Sections: ``plan`` (census-independent) and one per census. Composition rows (empowerment,
    stranded, fractionalization) read the polity layer; ``units held (control)`` and ``changing
    control`` read the control layer; ``changing polity`` rows read the polity layer.
    """
    labels = community_labels or {}
    rows: dict[tuple[str, str], dict[str, float | str]] = {}

    def put(section: str, metric: str, plan: str, value: float | str) -> None:
        rows.setdefault((section, metric), {})[plan] = value

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
        put("plan", "cut edges", name, float(g.cut_edges))
        put("plan", "mean Polsby-Popper", name, float(np.nanmean(g.polsby_popper)))
        put("plan", "non-contiguous regions", name, float(np.sum(g.pieces > 1)))
        for level, v in g.splits.items():
            put("plan", f"{level}s split", name, float(v))
        if ev.change is not None:
            ref = ev.change.reference
            put("plan", f"units changing control (vs {ref})", name, float(ev.change.units_moved))
            put("plan", f"units changing polity authority (vs {ref})", name,
                float(ev.change.polity_units_moved))
            put("plan", f"units changing polity (vs {ref})", name, float(ev.change.units_reassigned))
        for cname, cm in ev.censuses.items():
            sec = f"census {cname}"
            put(sec, "population", name, float(cm.population.sum()))
            put(sec, "max |deviation|", name, float(np.nanmax(np.abs(cm.deviation))))
            put(sec, "Theil H (segregation)", name, float(cm.theil_h))
            w = cm.population / max(cm.population.sum(), 1e-300)
            put(sec, "mean fractionalization", name, float(np.nansum(w * cm.fractionalization)))
            if ev.change is not None:
                put(sec, "people changing control", name, ev.change.people_moved.get(cname, float("nan")))
                put(sec, "people changing polity authority", name,
                    ev.change.polity_people_moved.get(cname, float("nan")))
            for j, comm in enumerate(cm.communities):
                put(sec, f"empowered (plurality): {labels.get(comm, comm)}", name,
                    float(cm.empowerment_plurality[j]))
            for j, comm in enumerate(cm.communities):
                put(sec, f"empowered (majority): {labels.get(comm, comm)}", name,
                    float(cm.empowerment_majority[j]))
            for j, comm in enumerate(cm.communities):
                put(sec, f"stranded (<{cm.threshold:.0%}): {labels.get(comm, comm)}", name,
                    float(cm.stranded[j]))
        if criteria:
            res = check_criteria(ev, criteria)
            for r in res:
                put(f"census {r.census}", f"criterion {r.criterion.name}", name, "pass" if r.passed else "FAIL")
    index = pd.MultiIndex.from_tuples(list(rows), names=["section", "metric"])
    return pd.DataFrame(list(rows.values()), index=index, columns=[e.plan.name for e in evaluations])
