"""Optimized plans: objectives, heuristics (annealing, short bursts), exact MIP and Pareto fronts.

>>> from dayafter.optimize import Problem
>>> Problem.from_dict({"regions": 3, "maximize": ["homogeneity"]}).k
3
"""

from dayafter.optimize.api import METHODS, optimize
from dayafter.optimize.heuristics import AnnealingOptimizer, ShortBurstOptimizer, seed_plan
from dayafter.optimize.mip import MIPOptimizer
from dayafter.optimize.pareto import ParetoFront, ParetoPoint, pareto_front
from dayafter.optimize.problem import METRICS, CompiledProblem, Objective, Problem, Term
from dayafter.optimize.result import OptimizeResult, kernel_score, make_plan
from dayafter.optimize.subset import subset_territory

__all__ = [
    "METHODS",
    "METRICS",
    "AnnealingOptimizer",
    "CompiledProblem",
    "MIPOptimizer",
    "Objective",
    "OptimizeResult",
    "ParetoFront",
    "ParetoPoint",
    "Problem",
    "ShortBurstOptimizer",
    "Term",
    "kernel_score",
    "make_plan",
    "optimize",
    "pareto_front",
    "seed_plan",
    "subset_territory",
]
