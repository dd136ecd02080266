"""Councils: apportionment, reserved seats, representation indices and council simulation.

Apportionment is exact (integer arithmetic); ties at the last seats are reported, and broken
only by a lot drawn with a generator the caller passes.
"""

from dayafter.councils.apportion import (
    DIVISOR_METHODS,
    METHODS,
    QUOTA_METHODS,
    Apportionment,
    BatchApportionment,
    Tie,
    apportion,
    apportion_many,
    normalize_method,
)
from dayafter.councils.indices import (
    effective_number,
    gallagher,
    loosemore_hanby,
    seat_vote_table,
    shares_percent,
)
from dayafter.councils.simulate import (
    AdminCouncils,
    CouncilRules,
    CouncilSimulation,
    VotingModel,
    read_admin_councils,
    simulate_councils,
)

__all__ = [
    "DIVISOR_METHODS",
    "METHODS",
    "QUOTA_METHODS",
    "AdminCouncils",
    "Apportionment",
    "BatchApportionment",
    "CouncilRules",
    "CouncilSimulation",
    "Tie",
    "VotingModel",
    "apportion",
    "apportion_many",
    "effective_number",
    "gallagher",
    "loosemore_hanby",
    "normalize_method",
    "read_admin_councils",
    "seat_vote_table",
    "shares_percent",
    "simulate_councils",
]
