"""Adjudication rules for land and property claims: remedies, evidence thresholds, priority,
secondary occupants and the budget.

A rules file is JSON::

    {"format": "dayafter.claims.rules", "version": 1,
     "restitution_max_tier": 2, "compensation_max_tier": 3,
     "causes": {"arabization": {"remedy": "restitution", "compensation_rate": 1.0,
                                "cap_usd": null, "priority": 1}, ...},
     "secondary_occupants": "restitute_and_compensate",
     "occupant_compensation_usd": 16000, "household_size": 6, "admin_cost_usd": 500,
     "budget_usd": 383500000, "budget_rule": "stop",
     "priority": ["status", "evidence", "cause", "year"],
     "parameters": {"<name>": {"basis": "...", "sources": ["..."]}}}

The meaning of every key is in :class:`AdjudicationRules`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from dayafter._inputs import read_json_file
from dayafter._util import finite
from dayafter.claims.table import CAUSES
from dayafter.errors import ConfigError, InputDataError

__all__ = ["OCCUPANT_POLICIES", "PRIORITY_KEYS", "AdjudicationRules", "CauseRule", "load_rules"]

OCCUPANT_POLICIES = ("restitute_and_compensate", "compensate_claimant", "restitute")
PRIORITY_KEYS = ("status", "evidence", "cause", "year", "cost")
REMEDIES = ("restitution", "compensation")


@dataclass(frozen=True)
class CauseRule:
    """What a claim of one cause of dispossession gets.

    Parameters
    ----------
    remedy
        ``restitution`` (the property goes back; compensation where evidence allows only that)
        or ``compensation`` (money, e.g. for destroyed property).
    compensation_rate
        Share of the assessed value paid when compensated.
    cap_usd
        Most paid for one claim (``inf``: no cap).
    priority
        Rank of the cause in the processing order (lower first).
    """

    remedy: str = "restitution"
    compensation_rate: float = 1.0
    cap_usd: float = math.inf
    priority: int = 0

    def __post_init__(self) -> None:
        if self.remedy not in REMEDIES:
            raise ConfigError(f"unknown remedy {self.remedy!r}", hint=f"use one of {list(REMEDIES)}")
        if not 0 <= self.compensation_rate or not math.isfinite(self.compensation_rate):
            raise ConfigError("compensation_rate must be a finite number >= 0",
                              hint="write a share of the value, e.g. 1.0")
        if self.cap_usd < 0:
            raise ConfigError("cap_usd must be >= 0",
                              hint="write a cap in USD, or null for none")


@dataclass(frozen=True)
class AdjudicationRules:
    """How claims are decided and paid for.

    Parameters
    ----------
    restitution_max_tier
        Highest (weakest) evidence tier that still allows restitution (1 title deed, 2 other
        documents, 3 testimony).
    compensation_max_tier
        Highest evidence tier that allows compensation; weaker claims are rejected.
    causes
        Rule per cause of dispossession (causes not listed: restitution, full value, no cap).
    secondary_occupants
        Where a restituted property is occupied: ``restitute_and_compensate`` (the occupants
        move and, if in good faith, receive ``occupant_compensation_usd`` per household),
        ``compensate_claimant`` (where the occupants are in good faith they stay and the claimant
        is compensated instead), or ``restitute`` (the occupants move without compensation).
    occupant_compensation_usd
        Payment per secondary-occupant household that moves in good faith.
    household_size
        People per household (for the people who must move).
    admin_cost_usd
        Cost of adjudicating one claim (paid for every claim decided, rejections included).
    budget_usd
        Money available (``inf``: unlimited).
    budget_rule
        ``stop``: claims are paid in priority order and the queue stops at the first claim the
        remaining budget cannot pay; ``skip``: a claim that does not fit is skipped and later,
        cheaper claims may still be paid. Claims that cost nothing are always decided.
    priority
        Sort keys of the processing order, most important first: ``status`` (approved before
        pending), ``evidence`` (stronger first), ``cause`` (by the cause's priority), ``year``
        (older dispossession first), ``cost`` (cheaper first). Ties keep the table's order.
    parameters
        Basis and sources of each figure, ``{name: {"basis", "sources"}}``.
    name, notes
        Label and free text.
    """

    restitution_max_tier: int = 2
    compensation_max_tier: int = 3
    causes: Mapping[str, CauseRule] = field(default_factory=dict)
    secondary_occupants: str = "restitute_and_compensate"
    occupant_compensation_usd: float = 0.0
    household_size: float = 6.0
    admin_cost_usd: float = 0.0
    budget_usd: float = math.inf
    budget_rule: str = "stop"
    priority: tuple[str, ...] = ("status", "evidence", "cause", "year")
    parameters: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    name: str = ""
    notes: str = ""

    def __post_init__(self) -> None:
        for k in ("restitution_max_tier", "compensation_max_tier"):
            if getattr(self, k) not in (0, 1, 2, 3):
                raise ConfigError(f"{k} must be 0, 1, 2 or 3 (0: never)",
                                  hint="1 title deed, 2 other documents, 3 testimony; 0 to refuse the remedy")
        unknown = set(self.causes) - set(CAUSES)
        if unknown:
            raise ConfigError(f"rules for unknown causes {sorted(unknown)}", hint=f"use {list(CAUSES)}")
        if self.secondary_occupants not in OCCUPANT_POLICIES:
            raise ConfigError(f"unknown secondary-occupant policy {self.secondary_occupants!r}",
                              hint=f"use one of {list(OCCUPANT_POLICIES)}")
        for k in ("occupant_compensation_usd", "household_size", "admin_cost_usd"):
            v = getattr(self, k)
            if not math.isfinite(v) or v < 0:
                raise ConfigError(f"{k} must be a finite number >= 0, got {v!r}",
                                  hint="write a number >= 0")
        if math.isnan(self.budget_usd) or self.budget_usd < 0:
            raise ConfigError(f"budget_usd must be >= 0, got {self.budget_usd!r}",
                              hint="write a budget in USD, or null for unlimited")
        if self.budget_rule not in ("stop", "skip"):
            raise ConfigError(f"unknown budget rule {self.budget_rule!r}", hint="use stop or skip")
        bad = [p for p in self.priority if p not in PRIORITY_KEYS]
        if bad:
            raise ConfigError(f"unknown priority keys {bad}", hint=f"use {list(PRIORITY_KEYS)}")
        object.__setattr__(self, "causes", MappingProxyType(dict(self.causes)))
        object.__setattr__(self, "parameters", MappingProxyType(dict(self.parameters)))
        object.__setattr__(self, "priority", tuple(self.priority))

    def cause_rule(self, cause: str) -> CauseRule:
        """The rule of ``cause`` (the default rule when not listed)."""
        return self.causes.get(cause, CauseRule())

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (``null`` for unlimited amounts)."""
        return {"name": self.name, "notes": self.notes,
                "restitution_max_tier": self.restitution_max_tier,
                "compensation_max_tier": self.compensation_max_tier,
                "causes": {k: {"remedy": r.remedy, "compensation_rate": r.compensation_rate,
                               "cap_usd": finite(r.cap_usd), "priority": r.priority}
                           for k, r in self.causes.items()},
                "secondary_occupants": self.secondary_occupants,
                "occupant_compensation_usd": self.occupant_compensation_usd,
                "household_size": self.household_size, "admin_cost_usd": self.admin_cost_usd,
                "budget_usd": finite(self.budget_usd), "budget_rule": self.budget_rule,
                "priority": list(self.priority),
                "parameters": {k: dict(v) for k, v in self.parameters.items()}}


_KEYS = {"format", "version", "name", "notes", "restitution_max_tier", "compensation_max_tier",
         "causes", "secondary_occupants", "occupant_compensation_usd", "household_size",
         "admin_cost_usd", "budget_usd", "budget_rule", "priority", "parameters"}


def rules_from_dict(d: Mapping[str, Any], *, source: str = "") -> AdjudicationRules:
    """Rules from a parsed JSON object (unknown keys are rejected)."""
    if not isinstance(d, Mapping):
        raise InputDataError("claims rules must be a JSON object", source=source,
                             hint="write {\"restitution_max_tier\": 2, \"causes\": {...}, ...}")
    unknown = set(d) - _KEYS
    if unknown:
        raise InputDataError(f"unknown keys {sorted(unknown)} in the claims rules",
                             hint=f"use {sorted(_KEYS - {'format', 'version'})}", source=source)

    def num(key: str, default: float, *, allow_null: bool = False) -> float:
        v = d.get(key, default)
        if v is None and allow_null:
            return math.inf
        try:
            return float(v)
        except (TypeError, ValueError):
            raise InputDataError(f"{key} must be a number, got {v!r}", source=source,
                                 hint="write a plain number") from None

    causes: dict[str, CauseRule] = {}
    for cause, spec in (d.get("causes") or {}).items():
        if not isinstance(spec, Mapping):
            raise InputDataError(f"causes.{cause} must be an object", source=source,
                                 hint="write e.g. {\"remedy\": \"compensation\", \"cap_usd\": 20000}")
        cap = spec.get("cap_usd")
        try:
            causes[str(cause)] = CauseRule(
                remedy=str(spec.get("remedy", "restitution")),
                compensation_rate=float(spec.get("compensation_rate", 1.0)),
                cap_usd=math.inf if cap is None else float(cap),
                priority=int(spec.get("priority", 0)))
        except (TypeError, ValueError):
            raise InputDataError(f"causes.{cause}: compensation_rate, cap_usd and priority must be "
                                 "numbers", source=source,
                                 hint="write plain numbers") from None
        except ConfigError as exc:
            raise InputDataError(f"causes.{cause}: {exc.message}", hint=exc.hint, source=source) from None
    try:
        return AdjudicationRules(
            restitution_max_tier=int(num("restitution_max_tier", 2)),
            compensation_max_tier=int(num("compensation_max_tier", 3)),
            causes=causes,
            secondary_occupants=str(d.get("secondary_occupants", "restitute_and_compensate")),
            occupant_compensation_usd=num("occupant_compensation_usd", 0.0),
            household_size=num("household_size", 6.0),
            admin_cost_usd=num("admin_cost_usd", 0.0),
            budget_usd=num("budget_usd", math.inf, allow_null=True),
            budget_rule=str(d.get("budget_rule", "stop")),
            priority=tuple(str(p) for p in d.get("priority", ("status", "evidence", "cause", "year"))),
            parameters={str(k): dict(v) for k, v in (d.get("parameters") or {}).items()},
            name=str(d.get("name", "")), notes=str(d.get("notes", "")))
    except ConfigError as exc:
        raise InputDataError(exc.message, hint=exc.hint, source=source) from None


def load_rules(path: str | Path) -> AdjudicationRules:
    """Read :class:`AdjudicationRules` from a JSON file (see the module notes)."""
    p = Path(path)
    data = read_json_file(p, what="claims rules file")
    return rules_from_dict(data, source=str(p))
