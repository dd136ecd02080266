"""Every answer with its range: census draws and metrics over draws (core level).

* :class:`CensusModel` draws censuses consistent with each figure's stated range
  (:class:`~dayafter.territory.CensusRange`), reproducibly from a seed;
* :func:`evaluate_draws` computes every metric of :func:`dayafter.metrics.evaluate` on every draw
  at once (arrays ``[d, ...]``, one compiled pass);
* :func:`summarise` (p05/p50/p95), :func:`check_criteria_draws` (pass shares),
  :func:`verdicts` (robust or fragile, with the reason), :func:`threshold_sweep`,
  :func:`compare_draws` (share of paired draws in which A beats B);
* :func:`summary_dict` and :func:`quick_summary`: the JSON-ready structure shared by the CLI, the
  report and the web app.

This package is core level: it imports the core model, metrics and criteria, never an engine.

Examples
--------
>>> import dayafter as da
>>> from dayafter.uncertainty import CensusModel, evaluate_draws, summarise
>>> case = da.cases.load("northern-iraq")
>>> t = case.territory
>>> draws = CensusModel(t).draw(200, seed=7)                 # float64[200, n, g] per census
>>> dev = evaluate_draws(t, case.plans["krg-releases-claims"], draws)
>>> r = summarise(dev.scalars(), dev.point.scalars())["baseline/stranded:yazidi"]
>>> r.p05 <= r.p50 <= r.p95
True
"""

from dayafter.uncertainty.compare import Paired, compare_draws, metric_direction
from dayafter.uncertainty.criteria import CriterionDraws, EngineDraws, check_criteria_draws
from dayafter.uncertainty.evaluate import DrawCensusMetrics, DrawEvaluation, evaluate_draws
from dayafter.uncertainty.model import (
    DEFAULT_COMPOSITION_ERROR,
    DEFAULT_SIZE_ERROR,
    CensusDraws,
    CensusModel,
    ErrorModel,
)
from dayafter.uncertainty.results import cached_draws, quick_summary, summary_dict
from dayafter.uncertainty.summary import QUANTILES, Range, quantiles, summarise
from dayafter.uncertainty.sweep import (
    DEFAULT_RULES,
    DEFAULT_THRESHOLDS,
    SweepResult,
    threshold_sweep,
)
from dayafter.uncertainty.verdicts import (
    DEFAULT_MARGIN,
    DEFAULT_STABLE,
    Verdict,
    criterion_verdict,
    figure_verdicts,
    verdicts,
)

__all__ = [
    "DEFAULT_COMPOSITION_ERROR",
    "DEFAULT_MARGIN",
    "DEFAULT_RULES",
    "DEFAULT_SIZE_ERROR",
    "DEFAULT_STABLE",
    "DEFAULT_THRESHOLDS",
    "QUANTILES",
    "CensusDraws",
    "CensusModel",
    "CriterionDraws",
    "DrawCensusMetrics",
    "DrawEvaluation",
    "EngineDraws",
    "ErrorModel",
    "Paired",
    "Range",
    "SweepResult",
    "Verdict",
    "cached_draws",
    "check_criteria_draws",
    "compare_draws",
    "criterion_verdict",
    "evaluate_draws",
    "figure_verdicts",
    "metric_direction",
    "quantiles",
    "quick_summary",
    "summarise",
    "summary_dict",
    "threshold_sweep",
    "verdicts",
]
