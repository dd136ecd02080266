"""Security feasibility: force requirements per unit and an LP allocating acceptable forces."""

from dayafter.security.allocate import (
    DEFAULT_PER_1000,
    SecurityAssessment,
    acceptance_shares,
    allocate_forces,
    force_requirement,
    requirement_sensitivity,
)
from dayafter.security.forces import (
    RULE_KINDS,
    Force,
    ForceCatalog,
    ForceRule,
    catalog_from_dict,
    load_force_catalog,
)

__all__ = [
    "DEFAULT_PER_1000",
    "RULE_KINDS",
    "Force",
    "ForceCatalog",
    "ForceRule",
    "SecurityAssessment",
    "acceptance_shares",
    "allocate_forces",
    "catalog_from_dict",
    "force_requirement",
    "load_force_catalog",
    "requirement_sensitivity",
]
