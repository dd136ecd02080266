"""Metrics: pure functions of (territory, assignment) returning arrays, for every census.

See DESIGN.md for the formulas. :func:`evaluate` computes them all for a plan.
"""

from dayafter.metrics import registry
from dayafter.metrics.composition import (
    dissimilarity,
    empowerment,
    fractionalization,
    largest_community,
    polarization,
    population_deviation,
    shares,
    stranded,
    stranded_population,
    theil_h,
)
from dayafter.metrics.evaluate import (
    DEFAULT_THRESHOLD,
    CensusMetrics,
    ChangeMetrics,
    Evaluation,
    GeometryMetrics,
    census_metrics,
    compare_to_reference,
    evaluate,
    evaluate_assignment,
    geometry_metrics,
    tally,
)
from dayafter.metrics.shape import polsby_popper

__all__ = [
    "DEFAULT_THRESHOLD",
    "CensusMetrics",
    "ChangeMetrics",
    "Evaluation",
    "GeometryMetrics",
    "census_metrics",
    "compare_to_reference",
    "dissimilarity",
    "empowerment",
    "evaluate",
    "evaluate_assignment",
    "fractionalization",
    "geometry_metrics",
    "largest_community",
    "polarization",
    "polsby_popper",
    "population_deviation",
    "registry",
    "shares",
    "stranded",
    "stranded_population",
    "tally",
    "theil_h",
]
