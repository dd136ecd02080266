"""Returns: a projected census after the displaced return, under a plan and a horizon.

Article 140 of Iraq's 2005 constitution starts with normalisation: the return of the displaced.
This engine turns the ``baseline`` (pre-displacement) and ``current`` censuses into a
``projected`` census by community for a plan and a horizon:

- :class:`ReturnModel` holds the return propensity per community, calibrated on published return
  figures (:func:`hazard_from_share`), and the factors for the plan's control and for security
  coverage, every one with a range (:class:`Estimate`);
- :func:`project_returns` applies it (vectorised over census and parameter draws) and returns a
  :class:`ReturnsResult` whose :meth:`~ReturnsResult.with_projection` adds the projected census
  to the territory, usable everywhere a census is;
- :func:`return_flows` is the accounting on plain arrays: people are conserved and nobody returns
  who was not displaced.

The engine takes plain inputs (a control array, a boolean security coverage per unit) and
imports no other engine.

>>> import dayafter as da
>>> from dayafter.returns import case_return_model, project_returns
>>> case = da.cases.load("northern-iraq")
>>> r = project_returns(case.territory, case.plans["status-quo-2014"],
...                     model=case_return_model(), horizon=5)
>>> r.check()
>>> t2, _ = r.with_projection(case.territory)
>>> t2.census_names
('baseline', 'current', 'projected')
"""

from dayafter.returns.data import case_return_model, load_return_model, read_sources_md
from dayafter.returns.model import (
    Estimate,
    Observation,
    ParameterArrays,
    ReturnModel,
    hazard_from_share,
    remaining_ceiling,
    return_propensity,
)
from dayafter.returns.project import (
    Flows,
    ReturnsResult,
    displacement,
    project_returns,
    propensity_arrays,
    return_flows,
)

__all__ = [
    "Estimate",
    "Flows",
    "Observation",
    "ParameterArrays",
    "ReturnModel",
    "ReturnsResult",
    "case_return_model",
    "displacement",
    "hazard_from_share",
    "load_return_model",
    "project_returns",
    "propensity_arrays",
    "read_sources_md",
    "remaining_ceiling",
    "return_flows",
    "return_propensity",
]
