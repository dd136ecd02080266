"""Results of the optimizers: the best plan with its objective values and certificate."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dayafter.criteria import check_criteria
from dayafter.metrics.evaluate import evaluate
from dayafter.optimize import _kernels as _k
from dayafter.optimize.problem import CompiledProblem
from dayafter.plan import Plan

__all__ = ["OptimizeResult", "Progress", "kernel_score", "make_plan"]

Progress = Callable[[dict[str, Any]], None]
"""Progress callback: receives ``{"method", "elapsed", "steps", "best", "feasible", ...}``."""


def kernel_args(cp: CompiledProblem, *, shaping: float = 0.0) -> dict[str, Any]:
    """The problem arrays in the order and dtypes the kernels take."""
    t = cp.territory
    g = t.graph
    indptr = np.ascontiguousarray(g.indptr, dtype=np.int64)
    indices = np.ascontiguousarray(g.indices, dtype=np.int64)
    totals = cp.table.sum(axis=0)
    pen = 10.0 * (np.abs(cp.w_plur).sum() + np.abs(cp.w_maj).sum() + np.abs(cp.w_str).sum()
                  + abs(cp.w_homog) + abs(cp.w_cut) * t.graph.n_edges
                  + np.abs(cp.w_splits).sum() * t.n_units + 1.0)
    return {
        "indptr": indptr,
        "indices": indices,
        "src": np.repeat(np.arange(t.n_units, dtype=np.int64), np.diff(indptr)),
        "table": cp.table,
        "pop": np.ascontiguousarray(cp.pop),
        "area": np.ascontiguousarray(cp.area_km2),
        "lock": cp.lock,
        "lo": np.ascontiguousarray(cp.lo),
        "hi": np.ascontiguousarray(cp.hi),
        "adm_codes": cp.adm_codes,
        "adm_offsets": cp.adm_offsets,
        "totals": totals,
        "W": np.ascontiguousarray(np.stack([cp.w_plur, cp.w_maj, cp.w_str])),
        "fpar": np.array([cp.w_homog, cp.w_cut, cp.threshold, pen, shaping]),
        "w_splits": np.ascontiguousarray(cp.w_splits, dtype=np.float64),
        "split_caps": cp.split_caps,
        "cut_cap": int(cp.cut_cap),
        "cc_kind": cp.cc_kind, "cc_g": cp.cc_g, "cc_bound": cp.cc_bound,
        "rc_kind": cp.rc_kind, "rc_region": cp.rc_region, "rc_c": cp.rc_c,
        "rc_lo": cp.rc_lo, "rc_hi": cp.rc_hi,
    }


def kernel_score(cp: CompiledProblem, assignment: NDArray[np.integer]) -> tuple[float, float]:
    """Objective value and total constraint violation of an assignment, as the heuristics see it."""
    kw = kernel_args(cp)
    out = np.zeros(3)
    a = np.ascontiguousarray(assignment, dtype=np.int64)
    _k.score_assignment(kw["indptr"], kw["indices"], a, kw["table"], kw["pop"], kw["area"],
                        kw["adm_codes"], kw["adm_offsets"], cp.k, kw["totals"], kw["W"],
                        kw["fpar"], kw["w_splits"], kw["split_caps"], kw["cut_cap"],
                        kw["cc_kind"], kw["cc_g"], kw["cc_bound"], kw["rc_kind"], kw["rc_region"],
                        kw["rc_c"], kw["rc_lo"], kw["rc_hi"], out)
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

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary (without the assignment)."""
        return {"plan": self.plan.name, "method": self.method, "objective": self.objective,
                "values": self.values, "feasible": self.feasible, "failing": self.failing,
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
    ev = evaluate(t, draft, censuses=[cp.census], threshold=cp.threshold)
    obj = p.objective.score(ev)
    values = p.objective.values(ev)
    results = check_criteria(ev, list(p.criteria))
    failing = [r.message() for r in results if not r.passed]
    geo = ev.geometry
    pop = ev.census(cp.census).population
    bounds_ok = bool(np.all(pop >= cp.lo - 1e-6 * max(1.0, cp.lo.max()))
                     and np.all(pop <= cp.hi + 1e-6 * max(1.0, cp.hi.max())))
    locks_ok = bool(np.all((cp.lock < 0) | (a == cp.lock)))
    contiguous = bool(np.all(geo.pieces == 1))
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
    notes = (f"Optimized by dayafter ({method}) on census {cp.census!r}. Objective "
             f"{obj:.6g} (maximized: " + " + ".join(
                 f"{tm.weight:g}*{tm.label}" for tm in p.objective.terms) + f"). Terms: {terms}. "
             f"Certificate: {cert}." + ("" if not failing else " FAILS: " + " | ".join(failing)))
    meta = {"optimizer": {"method": method, "status": status, "objective": obj,
                          "values": values, "bound": bound, "gap": gap, "elapsed_s": elapsed,
                          "seed": seed, "problem": p.to_dict(), "feasible": not failing}}
    plan = Plan(a, p.regions, t.content_hash, name=p.name, notes=notes, meta=meta)
    return OptimizeResult(plan=plan, objective=obj, values=values, feasible=not failing,
                          failing=failing, method=method, bound=bound, gap=gap, status=status,
                          elapsed=elapsed, history=list(history or []), stats=dict(stats or {}))
