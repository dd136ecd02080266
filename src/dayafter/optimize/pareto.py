"""Two objectives at once: the Pareto front by the epsilon-constraint method.

With the MIP each point is exact: maximize the first objective subject to the second being at
least ``epsilon``, then maximize the second with the first held at its optimum (so that no point is
weakly dominated), and raise ``epsilon`` just above the second objective's value. Run to the end,
this enumerates every non-dominated pair of values (Haimes, Lasdon and Wismer 1971; Mavrotas
2009). With the heuristics the front is approximated by weighted sums of the two objectives over a
grid of weights, keeping the non-dominated plans among everything found.

References
----------
Y. Haimes, L. Lasdon, D. Wismer, "On a bicriterion formulation of the problems of integrated
system identification and system optimization", IEEE Trans. SMC 1 (1971). G. Mavrotas,
"Effective implementation of the epsilon-constraint method in multi-objective mathematical
programming problems", Applied Mathematics and Computation 213 (2009).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dayafter.errors import ConfigError, InfeasibleError
from dayafter.metrics.evaluate import evaluate
from dayafter.optimize.heuristics import AnnealingOptimizer, ShortBurstOptimizer
from dayafter.optimize.mip import build_model, solve_model
from dayafter.optimize.problem import Objective, Problem, Term
from dayafter.optimize.result import make_plan
from dayafter.plan import Plan
from dayafter.progress import ProgressCallback, ProgressEvent
from dayafter.territory import Territory

__all__ = ["ParetoFront", "ParetoPoint", "pareto_front"]


@dataclass
class ParetoPoint:
    """One non-dominated plan: its two objective values and whether they are proven optimal."""

    first: float
    second: float
    plan: Plan
    exact: bool


@dataclass
class ParetoFront:
    """The front, sorted by the first objective (increasing), with how it was computed.

    ``complete`` is True when the epsilon-constraint run ended by proving that no plan improves
    the second objective any further (every non-dominated value pair is then listed).
    """

    points: list[ParetoPoint]
    first: Objective
    second: Objective
    method: str
    complete: bool
    elapsed: float
    stats: dict[str, Any] = field(default_factory=dict)

    def values(self) -> NDArray[np.float64]:
        """``(m, 2)`` array of the objective values."""
        return np.array([[p.first, p.second] for p in self.points], dtype=np.float64)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {"method": self.method, "complete": self.complete, "elapsed": self.elapsed,
                "first": self.first.to_dict(), "second": self.second.to_dict(),
                "points": [{"first": p.first, "second": p.second, "exact": p.exact,
                            "plan": p.plan.name} for p in self.points], "stats": self.stats}


def _nondominated(vals: NDArray[np.float64], tol: float = 1e-9) -> NDArray[np.int64]:
    keep = []
    for i, (a, b) in enumerate(vals):
        dominated = np.any((vals[:, 0] >= a - tol) & (vals[:, 1] >= b - tol)
                           & ((vals[:, 0] > a + tol) | (vals[:, 1] > b + tol)))
        if not dominated:
            keep.append(i)
    # one plan per distinct value pair
    out: list[int] = []
    for i in sorted(keep, key=lambda j: (vals[j, 0], vals[j, 1])):
        if not out or abs(vals[out[-1], 0] - vals[i, 0]) > tol or \
                abs(vals[out[-1], 1] - vals[i, 1]) > tol:
            out.append(i)
    return np.asarray(out, dtype=np.int64)


def _scaled(obj: Objective, w: float) -> list[Term]:
    return [replace(t, weight=t.weight * w) for t in obj.terms if t.weight * w != 0.0]


def pareto_front(problem: Problem, territory: Territory, second: Objective, *,
                 method: str = "mip", max_points: int = 25, delta: float = 1e-5,
                 time_limit: float = 60.0, weights: int = 9, seed: int | None = None,
                 heuristic_steps: int = 20_000, progress: ProgressCallback | None = None) -> ParetoFront:
    """Non-dominated plans for ``problem.objective`` (first) and ``second``, both maximized.

    Parameters
    ----------
    problem
        The constraints and the first objective.
    territory
        The territory.
    second
        The second objective (same census and stranded threshold as the first).
    method
        ``"mip"`` (exact epsilon-constraint), ``"anneal"`` or ``"bursts"`` (weighted sums).
    max_points
        MIP: stop after this many points (the front is then marked incomplete).
    delta
        MIP: the second objective must improve by at least this much from one point to the next
        (above HiGHS's feasibility tolerance of 1e-6); points closer than that are not told apart.
    time_limit
        MIP: seconds per solve; a solve stopped by the limit makes its point inexact.
    weights
        Heuristics: number of weights ``w`` in ``[0, 1]`` for ``(1 - w) f1 + w f2``.
    seed, heuristic_steps
        Heuristics: seed and steps per weight.
    progress
        Called with a :class:`~dayafter.progress.ProgressEvent` after each point (``done``: the
        points so far; ``extra``: ``first``, ``second`` or ``weight``).

    Raises
    ------
    InfeasibleError
        No plan meets the constraints.
    ConfigError
        The two objectives use different censuses or thresholds, or the method is unknown.
    """
    first = problem.objective
    if len(first.census_list) > 1 or problem.start is not None:
        raise ConfigError("Pareto fronts are computed on one census and without a start plan",
                          hint="give one census, or use dayafter optimize run for a negotiation")
    if (second.census or None) != (first.census or None) or second.threshold != first.threshold:
        raise ConfigError("both objectives must use the same census and stranded threshold",
                          hint="set 'census' and 'threshold' identically")
    if method not in ("mip", "anneal", "bursts"):
        raise ConfigError(f"unknown Pareto method {method!r}",
                          hint="use 'mip', 'anneal' or 'bursts'")
    for name, val, top in (("max_points", max_points, 10_000), ("weights", weights, 10_000),
                           ("heuristic_steps", heuristic_steps, 10**9)):
        if not 1 <= int(val) <= top:
            raise ConfigError(f"{name} must lie in 1..{top:,}, got {val:,}",
                              hint=f"e.g. {name}=25: a front has tens of points")
    if not time_limit > 0:
        raise ConfigError(f"time_limit must be positive, got {time_limit}", hint="seconds per solve, e.g. 60")
    t0 = time.perf_counter()
    union = replace(problem, objective=Objective((*first.terms, *second.terms), first.census,
                                                  first.threshold))
    cp_union = union.compile(territory)
    if method == "mip":
        return _mip_front(problem, territory, second, cp_union, max_points, delta, time_limit,
                          progress, t0)
    return _heuristic_front(problem, territory, second, method, weights, seed, heuristic_steps,
                            progress, t0)


def _values(problem: Problem, second: Objective, territory: Territory,
            a: NDArray[np.integer]) -> tuple[float, float]:
    census = problem.objective.census or territory.census_names[0]
    plan = Plan(np.asarray(a), problem.regions, territory.content_hash)
    ev = evaluate(territory, plan, censuses=[census], threshold=problem.objective.threshold)
    return (problem.objective.score(ev, problem.objective.draw_evaluation(territory, plan)),
            second.score(ev, second.draw_evaluation(territory, plan)))


def _mip_front(problem: Problem, territory: Territory, second: Objective, cp_union: Any,
               max_points: int, delta: float, time_limit: float, progress: ProgressCallback | None,
               t0: float) -> ParetoFront:
    cp1 = problem.compile(territory)
    cp2 = replace(problem, objective=second).compile(territory)
    model = build_model(cp_union, objectives=[cp1, cp2])
    points: list[ParetoPoint] = []
    eps = -np.inf
    complete = False
    solves = 0
    warm = None
    step = delta
    while len(points) < max_points:
        bounds = [] if not np.isfinite(eps) else [(1, eps)]
        s1 = solve_model(model, time_limit=time_limit, mip_rel_gap=0.0, objective=0,
                         bounds=bounds, warm_start=warm)
        solves += 1
        if s1.status == "infeasible":
            if not points:
                raise InfeasibleError(
                    f"HiGHS proved that no contiguous plan of {cp1.k} regions meets the "
                    "constraints", hint="widen the tolerance or relax the criteria")
            complete = True
            break
        if s1.assignment is None:
            break
        f1_star = s1.objective if s1.objective is not None else -np.inf
        s2 = solve_model(model, time_limit=time_limit, mip_rel_gap=0.0, objective=1,
                         bounds=[*bounds, (0, f1_star - 1e-7)], warm_start=s1.assignment)
        solves += 1
        a = s2.assignment if s2.assignment is not None else s1.assignment
        f1, f2 = _values(problem, second, territory, a)
        if points and f2 <= points[-1].second + 1e-12:
            # the solver's feasibility tolerance let the old point through: step further
            step *= 10.0
            eps = points[-1].second + step
            if step > 1e-2:
                break
            continue
        exact = s1.status == "optimal" and s2.status == "optimal"
        res = make_plan(cp1, a, method="mip-pareto", status="optimal" if exact else s2.status,
                        elapsed=time.perf_counter() - t0)
        plan = res.plan.renamed(f"{problem.name}-pareto-{len(points) + 1}",
                                res.plan.notes + f" Pareto point: first {f1:.6g}, second "
                                f"{f2:.6g} ({'exact' if exact else 'not proven'}).")
        points.append(ParetoPoint(f1, f2, plan, exact))
        if progress is not None:
            progress(ProgressEvent("pareto", done=len(points), total=max_points,
                                   elapsed=time.perf_counter() - t0,
                                   message=f"{len(points)} points (MIP)",
                                   extra={"method": "mip", "first": f1, "second": f2}))
        step = max(delta, 1e-9 * max(1.0, abs(f2)))
        eps = f2 + step
        warm = None
    vals = np.array([[p.first, p.second] for p in points]) if points else np.zeros((0, 2))
    keep = _nondominated(vals, tol=1e-7) if points else np.zeros(0, dtype=np.int64)
    pts = [points[i] for i in keep]
    return ParetoFront(pts, problem.objective, second, "mip", complete,
                       time.perf_counter() - t0, {"solves": solves})


def _heuristic_front(problem: Problem, territory: Territory, second: Objective, method: str,
                     weights: int, seed: int | None, steps: int, progress: ProgressCallback | None,
                     t0: float) -> ParetoFront:
    if weights < 2:
        raise ConfigError("the weighted-sum front needs at least 2 weights")
    rng = np.random.default_rng(seed)
    cls = AnnealingOptimizer if method == "anneal" else ShortBurstOptimizer
    cands: list[NDArray[np.int32]] = []
    for w in np.linspace(0.0, 1.0, weights):
        terms = _scaled(problem.objective, 1.0 - w) + _scaled(second, w)
        if not terms:
            continue
        obj = Objective(tuple(terms), problem.objective.census, problem.objective.threshold)
        opt = cls(steps=steps, restarts=2, seed=int(rng.integers(2**31)), keep=20)
        res = opt.run(replace(problem, objective=obj), territory)
        cands.append(res.plan.assignment)
        cands.extend(a for _s, a in res.top)
        if progress is not None:
            progress(ProgressEvent("pareto", done=len(cands), elapsed=time.perf_counter() - t0,
                                   message=f"{len(cands)} candidate plans ({method})",
                                   extra={"method": method, "weight": float(w)}))
    cp1 = problem.compile(territory)
    uniq = {a.tobytes(): a for a in cands}
    feasible = [(a, res) for a in uniq.values()
                if (res := make_plan(cp1, a, method=f"{method}-pareto")).feasible]
    pts = []
    if feasible:
        vals = np.array([_values(problem, second, territory, a) for a, _r in feasible])
        for j, i in enumerate(_nondominated(vals)):
            f1, f2 = float(vals[i, 0]), float(vals[i, 1])
            res = feasible[i][1]
            plan = res.plan.renamed(f"{problem.name}-pareto-{j + 1}",
                                    res.plan.notes + f" Pareto point: first {f1:.6g}, second "
                                    f"{f2:.6g} (heuristic).")
            pts.append(ParetoPoint(f1, f2, plan, False))
    return ParetoFront(pts, problem.objective, second, method, False, time.perf_counter() - t0,
                       {"candidates": len(cands)})
