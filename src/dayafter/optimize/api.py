"""One entry point: run a heuristic, the MIP, or both (heuristic first, then a warm-started MIP)."""

from __future__ import annotations

import time
from numbers import Integral, Real

from dayafter.errors import InfeasibleError
from dayafter.optimize.heuristics import AnnealingOptimizer, ShortBurstOptimizer
from dayafter.optimize.mip import MIPOptimizer
from dayafter.optimize.problem import Problem
from dayafter.optimize.result import OptimizeResult
from dayafter.progress import CancelToken, ProgressCallback
from dayafter.territory import Territory
from dayafter.validation import PARAMETERS, Interval, StrOptions, validate_params

__all__ = ["METHODS", "optimize"]

METHODS = ("auto", "anneal", "bursts", "mip")


@validate_params({
    "problem": [Problem], "territory": [Territory], "method": [StrOptions(METHODS)],
    "time_limit": [Interval(Real, 0, None, closed="neither")],
    "seed": PARAMETERS["seed"].constraints, "steps": [Interval(Integral, 1, 10**9, closed="both")],
    "restarts": [Interval(Integral, 1, 10_000, closed="both")],
    "heuristic_share": [Interval(Real, 0, 1, closed="neither")],
    "progress": ["callable", None]})
def optimize(problem: Problem, territory: Territory, *, method: str = "auto",
             time_limit: float = 60.0, seed: int | None = None, steps: int = 200_000,
             restarts: int = 4, heuristic_share: float = 0.25,
             progress: ProgressCallback | None = None,
             cancel: CancelToken | None = None) -> OptimizeResult:
    """Find the best plan for ``problem`` on ``territory``.

    Parameters
    ----------
    method
        ``"anneal"`` or ``"bursts"`` (heuristics), ``"mip"`` (exact, HiGHS), or ``"auto"``:
        short bursts for ``heuristic_share`` of the time, then the MIP warm-started from the
        best plan (the heuristic result alone when the MIP cannot model the objective).
    time_limit
        Seconds in all.
    seed
        Seed of the heuristics.
    steps, restarts
        Heuristics: steps per restart (the annealing schedule's length) and restarts.
    progress
        A :data:`~dayafter.progress.ProgressCallback`, called at least once a second (task
        ``"optimize"`` for the MIP, the heuristic's name for the heuristics).
    cancel
        A :class:`~dayafter.progress.CancelToken`: once set, the run stops within a fraction of a
        second and returns its best plan so far (``stats["cancelled"]``, or status
        ``"cancelled"`` for the MIP).

    Returns
    -------
    OptimizeResult
        The best plan with its objective values; with the MIP, the bound and gap.

    Raises
    ------
    InfeasibleError
        The specification admits no plan (quick checks, or proved by the MIP).
    """
    cp = problem.compile(territory)
    t0 = time.perf_counter()

    def bursts(limit: float) -> OptimizeResult:
        return ShortBurstOptimizer(time_limit=limit, steps=steps, restarts=restarts, seed=seed,
                                   progress=progress, cancel=cancel).run(cp)

    if method == "anneal":
        return AnnealingOptimizer(time_limit=time_limit, steps=steps, restarts=restarts,
                                  seed=seed, progress=progress, cancel=cancel).run(cp)
    if method == "bursts":
        return bursts(time_limit)
    if method == "mip":
        return MIPOptimizer(time_limit=time_limit, progress=progress, cancel=cancel).run(cp)
    if not problem.objective.natural:
        return bursts(time_limit)
    heur = bursts(max(time_limit * heuristic_share, 0.5))
    left = time_limit - (time.perf_counter() - t0)
    if left < 1.0 or (cancel is not None and cancel.cancelled):
        return heur
    try:
        exact = MIPOptimizer(time_limit=left, warm_start=heur.plan if heur.feasible else None,
                             progress=progress, cancel=cancel).run(cp)
    except InfeasibleError as exc:
        if not heur.feasible:
            raise
        # a feasible plan exists, so HiGHS only ran out of time before finding one
        heur.stats["mip"] = exc.message
        return heur
    exact.stats["heuristic_objective"] = heur.objective
    exact.stats["heuristic_elapsed"] = heur.elapsed
    if heur.feasible and heur.objective > exact.objective + 1e-12:
        # HiGHS may stop before re-finding the warm start: keep the better plan, with the bound
        from dayafter.optimize.result import make_plan

        better = make_plan(cp, heur.plan.assignment, method="bursts+mip", status=exact.status,
                           bound=exact.bound, elapsed=time.perf_counter() - t0,
                           stats=exact.stats, seed=seed)
        return better
    exact.method = "bursts+mip"
    return exact
