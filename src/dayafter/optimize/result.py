"""Results of the optimizers: the best plan with its objective values and certificate."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dayafter.criteria import check_criteria
from dayafter.metrics.evaluate import evaluate
from dayafter.optimize import _kernels as _k
from dayafter.optimize.problem import CompiledProblem
from dayafter.plan import Plan

__all__ = ["OptimizeResult", "kernel_score", "make_plan"]


def kernel_args(cp: CompiledProblem, *, shaping: float = 0.0) -> tuple[Any, Any]:
    """The problem as the kernels take it: ``(ChainData, ObjectiveData)``."""
    from dayafter._kernels.chain import ChainData

    t = cp.territory
    g = t.graph
    n = t.n_units
    indptr = np.ascontiguousarray(g.indptr, dtype=np.int64)
    pen = 10.0 * (np.abs(cp.w_plur).sum() + np.abs(cp.w_maj).sum() + np.abs(cp.w_str).sum()
                  + abs(cp.w_homog) + abs(cp.w_cut) * t.graph.n_edges
                  + np.abs(cp.w_splits).sum() * t.n_units + 1.0)
    k = cp.k
    D = ChainData(
        indptr=indptr, indices=np.ascontiguousarray(g.indices, dtype=np.int64),
        src=np.repeat(np.arange(n, dtype=np.int64), np.diff(indptr)),
        pop=np.ascontiguousarray(cp.pop), area=np.ascontiguousarray(cp.area_km2),
        tables=cp.tables, totals=np.ascontiguousarray(cp.tables.sum(axis=1)),
        zob=np.zeros(n, np.uint64), lock=cp.lock, region_locked=np.zeros(k, np.bool_),
        part=np.ones(k, np.bool_), lo=np.ascontiguousarray(cp.lo),
        hi=np.ascontiguousarray(cp.hi), adm_codes=cp.adm_codes, adm_offsets=cp.adm_offsets,
        adm_caps=np.full(cp.adm_levels.__len__(), -1, np.int64),
        home=np.ascontiguousarray(cp.home) if cp.home.size == n else np.zeros(n, np.int64),
        region_class=np.ascontiguousarray(cp.region_class) if cp.region_class.size == k
        else np.zeros(k, np.int64),
        weight=np.ascontiguousarray(cp.budget_pop) if cp.budget_pop.size == n else np.zeros(n))
    ob = _k.ObjectiveData(
        W=np.ascontiguousarray(np.stack([cp.w_plur, cp.w_maj, cp.w_str])),
        w_homog=float(cp.w_homog), w_cut=float(cp.w_cut), threshold=float(cp.threshold),
        penalty=float(pen), shaping=float(shaping),
        w_splits=np.ascontiguousarray(cp.w_splits, dtype=np.float64),
        split_caps=cp.split_caps, cut_cap=int(cp.cut_cap), cc_kind=cp.cc_kind, cc_g=cp.cc_g,
        cc_bound=cp.cc_bound, rc_kind=cp.rc_kind, rc_region=cp.rc_region, rc_c=cp.rc_c,
        rc_lo=cp.rc_lo, rc_hi=cp.rc_hi,
        census_weights=np.ascontiguousarray(cp.census_weights, dtype=np.float64),
        combine=_k.COMBINE_WORST if cp.combine == "worst" else _k.COMBINE_WEIGHTED,
        budget_units=int(cp.budget_units), budget_people=float(cp.budget_people))
    return D, ob


def kernel_state(cp: CompiledProblem, assignment: NDArray[np.integer]) -> Any:
    """A chain state (:class:`dayafter._kernels.chain.ChainState`) holding ``assignment``."""
    from dayafter._kernels.chain import empty_state

    t = cp.territory
    rows = int(cp.adm_offsets[-1])
    S = empty_state(t.n_units, cp.k, cp.tables.shape[0], cp.tables.shape[2], rows,
                    cp.adm_codes.shape[0])
    S.assignment[:] = np.asarray(assignment, dtype=np.int64)
    return S


def kernel_census_scores(cp: CompiledProblem, assignment: NDArray[np.integer]) -> list[float]:
    """The census part of the objective (community and homogeneity terms) on each census, plus
    the census-free terms, as the kernels compute it: each census's own objective."""
    out = []
    for j in range(cp.tables.shape[0]):
        sub = replace(cp, censuses=(cp.censuses[j],), tables=cp.tables[j:j + 1],
                      census_weights=np.ones(1), combine="weighted", table=cp.tables[j])
        out.append(kernel_score(sub, assignment)[0])
    return out


def kernel_score(cp: CompiledProblem, assignment: NDArray[np.integer]) -> tuple[float, float]:
    """Objective value and total constraint violation of an assignment, as the heuristics see it."""
    D, ob = kernel_args(cp)
    out = np.zeros(3)
    _k.score_assignment(D, kernel_state(cp, assignment), ob, out)
    return float(out[0]), float(out[1])


@dataclass
class OptimizeResult:
    """The outcome of one optimization.

    Attributes
    ----------
    plan
        The best plan found, with the objective values and certificate in its notes and meta.
    objective
        Its objective value (from :func:`dayafter.metrics.evaluate`).
    values
        The value of each objective term's metric.
    feasible
        True when the plan meets every constraint (bounds, locks, contiguity, criteria).
    failing
        One line per failing criterion (empty when feasible).
    method
        ``"anneal"``, ``"bursts"``, ``"mip"``.
    bound
        Best proven upper bound on the objective (MIP), else ``None``.
    gap
        Relative gap ``(bound - objective) / max(|objective|, 1e-9)``, else ``None``.
    status
        ``optimal``, ``time_limit``, ``heuristic`` ...
    elapsed
        Seconds.
    history
        ``(elapsed, steps, best objective)`` rows.
    stats
        Counts (proposals, invalid, accepted, improvements, MIP nodes).
    top
        The best plans found (heuristics), best first.
    census
        The census the objective was optimized on (or the censuses and how they combine).
    census_objectives
        The census part of the objective on each census.
    change
        With a start plan: the units and people changed (``units``, ``people``, ``by``,
        ``unit_ids``).
    """

    plan: Plan
    objective: float
    values: dict[str, float]
    feasible: bool
    failing: list[str]
    method: str
    bound: float | None = None
    gap: float | None = None
    status: str = "heuristic"
    elapsed: float = 0.0
    history: list[tuple[float, int, float]] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    top: list[tuple[float, NDArray[np.int32]]] = field(default_factory=list)
    census: str = ""
    census_objectives: dict[str, float] = field(default_factory=dict)
    change: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (without the assignment)."""
        return {"plan": self.plan.name, "method": self.method, "objective": self.objective,
                "census": self.census, "census_objectives": self.census_objectives,
                "values": self.values, "change": self.change,
                "feasible": self.feasible, "failing": self.failing,
                "bound": self.bound, "gap": self.gap, "status": self.status,
                "elapsed": self.elapsed, "stats": self.stats}


def relative_gap(objective: float, bound: float | None) -> float | None:
    """``(bound - objective) / max(|objective|, 1e-9)`` (maximization), or ``None``."""
    if bound is None or not np.isfinite(bound):
        return None
    return max(0.0, (bound - objective) / max(abs(objective), 1e-9))


def make_plan(cp: CompiledProblem, assignment: NDArray[np.integer], *, method: str,
              status: str = "heuristic", bound: float | None = None, elapsed: float = 0.0,
              history: list[tuple[float, int, float]] | None = None,
              stats: dict[str, Any] | None = None, seed: int | None = None) -> OptimizeResult:
    """Evaluate an assignment with :func:`dayafter.metrics.evaluate` and wrap it as a result.

    The objective value and the criteria are recomputed independently of the optimizer, so the
    plan's notes state what the metrics module says about it.
    """
    p = cp.problem
    t = cp.territory
    a = np.asarray(assignment, dtype=np.int32)
    draft = Plan(a, p.regions, t.content_hash, name=p.name)
    point = [c for c in p.objective.census_list if c is not None] or [cp.census]
    ev = evaluate(t, draft, censuses=point, threshold=cp.threshold)
    # an objective robust over census draws is scored on them through the uncertainty module
    # (evaluate_draws), independently of the optimizer's kernels and models
    dev = p.objective.draw_evaluation(t, draft)
    obj = p.objective.score(ev, dev)
    values = p.objective.values(ev)
    per_census = p.objective.census_scores(ev, dev)
    # criteria hold on every census of the objective (a criterion naming one, on that one)
    failing = [r.message() for r in check_criteria(ev, list(p.criteria)) if not r.passed]
    geo = ev.geometry
    pop = ev.census(cp.census).population
    bounds_ok = bool(np.all(pop >= cp.lo - 1e-6 * max(1.0, cp.lo.max()))
                     and np.all(pop <= cp.hi + 1e-6 * max(1.0, cp.hi.max())))
    locks_ok = bool(np.all((cp.lock < 0) | (a == cp.lock)))
    contiguous = bool(np.all(geo.pieces == 1))
    change: dict[str, Any] = {}
    if cp.start is not None:
        changed = cp.region_class[a] != cp.home
        change = {"units": int(changed.sum()), "people": float(cp.budget_pop[changed].sum()),
                  "by": "authority" if p.budget_change == "authority" else "region",
                  "unit_ids": t.unit_ids[changed].tolist()}
        if cp.budget_units >= 0 and change["units"] > cp.budget_units:
            failing.append(f"move budget: {change['units']} units change, at most "
                           f"{cp.budget_units} may")
        if cp.budget_people >= 0 and change["people"] > cp.budget_people * (1 + 1e-9) + 1e-6:
            failing.append(f"move budget: {change['people']:,.0f} people change, at most "
                           f"{cp.budget_people:,.0f} may")
    if not bounds_ok:
        failing.append("population bounds: " + ", ".join(
            f"{r.name}={v:,.0f}" for r, v in zip(p.regions, pop, strict=True)))
    if not locks_ok:
        failing.append("locked units are not in their regions")
    if not contiguous:
        failing.append("regions are not contiguous")
    gap = relative_gap(obj, bound)
    terms = "; ".join(f"{lbl} = {v:.6g}" for lbl, v in values.items())
    cert = (f"MIP status {status}, objective {obj:.6g}, bound {bound:.6g}, gap {gap:.3%}"
            if bound is not None and gap is not None else f"{method} search, no bound")
    if cp.draws:
        parts = []
        for c in cp.censuses[::cp.draws + 1]:
            on_draws = [per_census[d] for d in p.objective.draw_names(c)]
            parts.append(f"{c} {per_census[c]:.6g} (its {cp.draws} draws {min(on_draws):.6g} "
                         f"to {max(on_draws):.6g})")
        by_census = " Census parts: " + ", ".join(parts) + "."
    else:
        by_census = "" if len(per_census) < 2 else " Census parts: " + ", ".join(
            f"{c} {v:.6g}" for c, v in per_census.items()) + "."
    moved = "" if not change else (
        f" Changed from start plan {p.start.name!r} (by {change['by']}): "  # type: ignore[union-attr]
        f"{change['units']} units, {change['people']:,.0f} people.")
    notes = (f"Optimized by dayafter ({method}) on census {cp.census_label}. Objective "
             f"{obj:.6g} (maximized: " + " + ".join(
                 f"{tm.weight:g}*{tm.label}" for tm in p.objective.terms) + f"). Terms: {terms}."
             f"{by_census}{moved} Certificate: {cert}."
             + ("" if not failing else " FAILS: " + " | ".join(failing)))
    meta = {"optimizer": {"method": method, "status": status, "objective": obj,
                          "values": values, "census": list(cp.censuses), "combine": cp.combine,
                          "census_objectives": per_census, "change": change,
                          "bound": bound, "gap": gap, "elapsed_s": elapsed,
                          "seed": seed, "problem": p.to_dict(), "feasible": not failing}}
    plan = Plan(a, p.regions, t.content_hash, name=p.name, notes=notes, meta=meta)
    return OptimizeResult(plan=plan, objective=obj, values=values, feasible=not failing,
                          failing=failing, method=method, bound=bound, gap=gap, status=status,
                          elapsed=elapsed, history=list(history or []), stats=dict(stats or {}),
                          census=cp.census_label, census_objectives=per_census, change=change)
