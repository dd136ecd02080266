"""Settlement of competing claims: allocating disputed units among parties, with compensation.

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
from dayafter.settle.result import SHARED, Settlement, minimal_subsidies

__all__ = [
    "METHODS",
    "SHARED",
    "ClaimsProblem",
    "Settlement",
    "adjusted_winner",
    "claims_from_spec",
    "compensate",
    "efeq_transfers",
    "envy_free_matching_rounds",
    "knaster",
    "max_nash_welfare",
    "min_subsidy",
    "minimal_subsidies",
    "owner_from_plan",
    "settle",
    "settlement_plan",
    "values_from_territory",
]
