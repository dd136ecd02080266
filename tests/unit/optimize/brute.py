"""Brute-force reference for the optimizers: enumerate every plan of a tiny territory.

Independent of the optimizers' kernels and MIP: plans are scored with
:func:`dayafter.metrics.evaluate` through :meth:`Objective.score`, and criteria are checked with
:func:`dayafter.criteria.check_criteria`.
"""

from __future__ import annotations

import itertools

import numpy as np

from dayafter.criteria import check_criteria
from dayafter.metrics import evaluate
from dayafter.optimize import Objective, Problem
from dayafter.plan import Plan
from dayafter.territory import Territory


def feasible_plans(problem: Problem, t: Territory) -> list[np.ndarray]:
    """Every assignment meeting bounds, locks, contiguity and criteria (one per relabelling
    class when no unit is locked)."""
    cp = problem.compile(t)
    n, k = t.n_units, problem.k
    A = np.array(list(itertools.product(range(k), repeat=n)), dtype=np.int32)
    locked = cp.lock >= 0
    if locked.any():
        A = A[np.all(A[:, locked] == cp.lock[locked], axis=1)]
    else:  # canonical labelling: region r first appears before region r + 1
        first = np.stack([np.argmax(A == r, axis=1) + n * ~np.any(A == r, axis=1)
                          for r in range(k)], axis=1)
        A = A[np.all(np.diff(first, axis=1) > 0, axis=1) & (first[:, -1] < n)]
    pops = np.stack([(A == r) @ cp.pop for r in range(k)], axis=1)
    A = A[np.all((pops >= cp.lo - 1e-6) & (pops <= cp.hi + 1e-6), axis=1)]
    out = []
    for a in A:
        pieces = t.graph.components(a)
        if any(np.unique(pieces[a == r]).size != 1 for r in range(k)):
            continue
        if problem.criteria:
            ev = evaluate(t, Plan(a, problem.regions, t.content_hash),
                          censuses=[cp.census], threshold=cp.threshold)
            if not all(r.passed for r in check_criteria(ev, list(problem.criteria))):
                continue
        out.append(a.copy())
    return out


def score(objective: Objective, problem: Problem, t: Territory, a: np.ndarray) -> float:
    """Objective value of an assignment through the metrics module."""
    census = objective.census or t.census_names[0]
    ev = evaluate(t, Plan(a, problem.regions, t.content_hash), censuses=[census],
                  threshold=objective.threshold)
    return objective.score(ev)


def optimum(problem: Problem, t: Territory) -> tuple[float, list[np.ndarray]]:
    """Best objective value and the plans reaching it."""
    plans = feasible_plans(problem, t)
    vals = np.array([score(problem.objective, problem, t, a) for a in plans])
    best = float(vals.max())
    return best, [a for a, v in zip(plans, vals, strict=True) if v >= best - 1e-9]
