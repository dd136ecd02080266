"""Settlement of competing claims: allocating disputed units among parties, with compensation.

Units are valued in money by named components (:mod:`dayafter.settle.valuation`: people,
budget, resources, symbolic value), and transfers can be measured against a reference plan so
that releasing holdings is compensated (:mod:`dayafter.settle.reference`).

>>> from dayafter.settle import ClaimsProblem, knaster
>>> pr = ClaimsProblem(("A", "B"), ("u1", "u2"), [[10.0, 2.0], [6.0, 6.0]])
>>> s = knaster(pr)
>>> s.owner.tolist(), s.transfers.tolist()
([0, 1], [-2.0, 2.0])
"""

from dayafter.settle.apply import owner_from_plan, settlement_plan
from dayafter.settle.methods import (
    METHODS,
    adjusted_winner,
    compensate,
    efeq_transfers,
    envy_free_matching_rounds,
    knaster,
    max_nash_welfare,
    min_subsidy,
    settle,
)
from dayafter.settle.problem import ClaimsProblem, claims_from_spec, values_from_territory
from dayafter.settle.reference import (
    RELEASE_RULES,
    compensate_releases,
    explain,
    format_money,
    plan_against_reference,
    weight_sensitivity,
)
from dayafter.settle.result import SHARED, Settlement, minimal_subsidies
from dayafter.settle.valuation import (
    COMPONENTS,
    OilField,
    Parameter,
    PartySpec,
    ValuationModel,
    holdings_from_plan,
    model_from_spec,
    values_from_model,
)

__all__ = [
    "COMPONENTS",
    "METHODS",
    "RELEASE_RULES",
    "SHARED",
    "ClaimsProblem",
    "OilField",
    "Parameter",
    "PartySpec",
    "Settlement",
    "ValuationModel",
    "adjusted_winner",
    "claims_from_spec",
    "compensate",
    "compensate_releases",
    "efeq_transfers",
    "envy_free_matching_rounds",
    "explain",
    "format_money",
    "holdings_from_plan",
    "knaster",
    "max_nash_welfare",
    "min_subsidy",
    "minimal_subsidies",
    "model_from_spec",
    "owner_from_plan",
    "plan_against_reference",
    "settle",
    "settlement_plan",
    "values_from_model",
    "values_from_territory",
    "weight_sensitivity",
]
