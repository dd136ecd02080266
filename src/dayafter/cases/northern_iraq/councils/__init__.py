"""Iraq's 2023 provincial council rules as data (see SOURCES.md in this folder).

>>> from dayafter.cases.northern_iraq.councils import provincial_rules_2023
>>> rules = provincial_rules_2023()
>>> rules.method, rules.first_divisor, rules.admin.general["IQG15"], dict(rules.admin.quotas["IQG15"])
('sainte-lague', '1.7', 26, {'christian': 1, 'yazidi': 1, 'shabak': 1})
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from dayafter.councils import CouncilRules, VotingModel, read_admin_councils

__all__ = ["provincial_rules_2023", "rules_spec"]


def rules_spec() -> dict[str, Any]:
    """The content of ``rules.json`` (rule, voting model, sources)."""
    pkg = resources.files(__name__)
    return json.loads(pkg.joinpath("rules.json").read_text(encoding="utf-8"))


def provincial_rules_2023(**overrides: Any) -> CouncilRules:
    """Council rules of Iraq's 18 December 2023 provincial elections, carried over to any plan.

    Sizes and quota seats come from ``provincial_councils_2023.csv`` and
    ``provincial_quotas_2023.csv`` by governorate; ``overrides`` replace fields of
    :class:`~dayafter.councils.CouncilRules` (e.g. ``voting=VotingModel(turnout={...})``).
    """
    spec = rules_spec()
    pkg = resources.files(__name__)
    with resources.as_file(pkg / spec["councils"]) as c, resources.as_file(pkg / spec["quotas"]) as q:
        admin = read_admin_councils(c, q, level=spec["admin_level"])
    voting = VotingModel(adult_share=spec["voting"]["adult_share"],
                         turnout=spec["voting"]["turnout"])
    kw: dict[str, Any] = {
        "method": spec["method"], "first_divisor": spec["first_divisor"],
        "threshold": spec["threshold"], "admin": admin, "voting": voting,
        "name": spec["name"], "sources": tuple(spec["sources"]),
    }
    kw.update(overrides)
    return CouncilRules(**kw)
