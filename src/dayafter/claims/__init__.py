"""Claims: land and property claims, adjudicated by stated rules within a budget.

Normalisation under Article 140 includes the settlement of property disputes: restitution of
property seized under Arabization-era decrees and compensation for property destroyed in
2014-17. This engine reads a claims table (:func:`read_claims`; aggregate published counts become
rows with :func:`expand_aggregates`), decides every claim under :class:`AdjudicationRules`
(remedy, evidence thresholds, secondary occupants, priority), pays them in priority order within
the budget (:func:`fund_claims`, a numba kernel) and reports claims resolved, restitution,
compensation and the people who must move, by unit and community, with a budget that balances.

The engine takes plain inputs and imports no other engine.

>>> import dayafter as da
>>> from dayafter.claims import adjudicate, case_claims
>>> table, rules = case_claims()
>>> res = adjudicate(table, rules, territory=da.cases.load("northern-iraq").territory)
>>> res.check()
"""

from __future__ import annotations

from pathlib import Path

from dayafter.claims.adjudicate import (
    ClaimDecisions,
    ClaimsResult,
    adjudicate,
    decide_claims,
    fund_claims,
    priority_order,
)
from dayafter.claims.aggregate import expand_aggregates, largest_remainder, read_aggregates
from dayafter.claims.rules import (
    OCCUPANT_POLICIES,
    PRIORITY_KEYS,
    AdjudicationRules,
    CauseRule,
    load_rules,
    rules_from_dict,
)
from dayafter.claims.table import CAUSES, PROPERTY_TYPES, STATUSES, ClaimsTable, Pieces, read_claims
from dayafter.errors import InputDataError

__all__ = [
    "CAUSES",
    "OCCUPANT_POLICIES",
    "PRIORITY_KEYS",
    "PROPERTY_TYPES",
    "STATUSES",
    "AdjudicationRules",
    "CauseRule",
    "ClaimDecisions",
    "ClaimsResult",
    "ClaimsTable",
    "Pieces",
    "adjudicate",
    "case_claims",
    "case_claims_folder",
    "decide_claims",
    "expand_aggregates",
    "fund_claims",
    "largest_remainder",
    "load_rules",
    "priority_order",
    "read_aggregates",
    "read_claims",
    "rules_from_dict",
]


def case_claims_folder(case: str = "northern-iraq") -> Path:
    """The ``claims/`` data folder of a built-in case."""
    from importlib import resources

    name = case.replace("-", "_")
    try:
        pkg = resources.files(f"dayafter.cases.{name}")
    except ModuleNotFoundError:
        raise InputDataError(f"unknown case {case!r}", hint="use northern-iraq") from None
    ref = pkg.joinpath("claims")
    if not ref.is_dir():
        raise InputDataError(f"case {case!r} ships no claims", hint="pass --table CLAIMS.csv")
    return Path(str(ref))


def case_claims(case: str = "northern-iraq") -> tuple[ClaimsTable, AdjudicationRules]:
    """The claims table and adjudication rules shipped with a built-in case."""
    folder = case_claims_folder(case)
    return read_claims(folder / "claims.csv"), load_rules(folder / "rules.json")
