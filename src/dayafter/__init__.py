"""dayafter: design and stress-test post-conflict territorial settlements.

>>> import dayafter as da
>>> case = da.cases.load("northern-iraq")
>>> ev = da.evaluate(case.territory, case.plans["status-quo-2014"])
>>> sorted(ev.censuses)
['baseline', 'current']
"""

from __future__ import annotations

from collections.abc import Sequence

from dayafter import (
    _early,  # noqa: F401 - first: a chain worker arms dying with its run
    cases,
)
from dayafter.criteria import Criterion, CriterionResult, check_criteria, criteria_from_spec
from dayafter.errors import (
    ConfigError,
    DataQualityWarning,
    DayafterError,
    GeometryError,
    InfeasibleError,
    InputDataError,
    PlanMismatchError,
)
from dayafter.graph import UnitGraph
from dayafter.metrics import DEFAULT_THRESHOLD, Evaluation
from dayafter.metrics import evaluate as _evaluate
from dayafter.plan import Plan, Region
from dayafter.territory import Territory

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "Criterion",
    "CriterionResult",
    "DataQualityWarning",
    "DayafterError",
    "Evaluation",
    "GeometryError",
    "InfeasibleError",
    "InputDataError",
    "Plan",
    "PlanMismatchError",
    "Region",
    "Territory",
    "UnitGraph",
    "__version__",
    "cases",
    "check_criteria",
    "criteria_from_spec",
    "evaluate",
]


def evaluate(
    territory: Territory,
    plan: Plan,
    *,
    censuses: Sequence[str] | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    reference: Plan | None = None,
    reock: bool = False,
) -> Evaluation:
    """Evaluate a plan on every census (see :func:`dayafter.metrics.evaluate`).

    ``reock=True`` adds Reock compactness, computed from the geometry.
    """
    ev = _evaluate(territory, plan, censuses=censuses, threshold=threshold, reference=reference)
    if reock:
        from dataclasses import replace

        from dayafter.geo.measures import reock as _reock

        ev = replace(ev, reock=_reock(territory, plan))
    return ev
