"""Security feasibility: force requirements per unit and an LP allocating acceptable forces.

The allocation follows the plan: control rules read the plan's control layer, pooled forces need
acceptance (and no veto) by each unit's communities, local police serve their own unit and
community forces their own people; :meth:`SecurityAssessment.force_report` says which force
covers which unit and why each unused force is unused.
"""

from dayafter.security.allocate import (
    DEFAULT_PER_1000,
    SecurityAssessment,
    acceptance_shares,
    allocate_forces,
    force_requirement,
    reason_text,
    requirement_sensitivity,
    rule_values,
    threshold_sensitivity,
)
from dayafter.security.forces import (
    FORCE_KINDS,
    RULE_KINDS,
    Force,
    ForceCatalog,
    ForceRule,
    catalog_from_dict,
    load_force_catalog,
)

__all__ = [
    "DEFAULT_PER_1000",
    "FORCE_KINDS",
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
    "reason_text",
    "requirement_sensitivity",
    "rule_values",
    "threshold_sensitivity",
]
