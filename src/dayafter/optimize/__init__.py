"""Optimized plans: objectives, heuristics (annealing, short bursts), exact MIP and Pareto fronts.

>>> from dayafter.optimize import Problem
>>> Problem.from_dict({"regions": 3, "maximize": ["homogeneity"]}).k
3
"""

from dayafter.optimize.heuristics import AnnealingOptimizer, ShortBurstOptimizer, seed_plan
from dayafter.optimize.problem import METRICS, CompiledProblem, Objective, Problem, Term
from dayafter.optimize.result import OptimizeResult, kernel_score, make_plan

__all__ = [
    "METRICS",
    "AnnealingOptimizer",
    "CompiledProblem",
    "Objective",
    "OptimizeResult",
    "Problem",
    "ShortBurstOptimizer",
    "Term",
    "kernel_score",
    "make_plan",
    "seed_plan",
]
