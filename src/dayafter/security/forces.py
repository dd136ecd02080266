"""Security forces as data: strength, the communities that accept them, and cited rules."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from dayafter._inputs import read_json_file
from dayafter.errors import ConfigError, InputDataError

__all__ = ["Force", "ForceCatalog", "ForceRule", "load_force_catalog"]

RULE_KINDS = ("not_accepted_by", "accepted_only_by", "exclude_units", "only_units")
"""How a rule changes the forces it names:

- ``not_accepted_by``: the listed communities do not accept the force;
- ``accepted_only_by``: only the listed communities accept it;
- ``exclude_units``: the force may not serve the listed units (ids or id prefixes);
- ``only_units``: the force may serve only the listed units (ids or id prefixes).
"""


@dataclass(frozen=True)
class Force:
    """One security force.

    Parameters
    ----------
    key
        Short identifier (``"peshmerga"``).
    name
        Display name.
    strength
        Personnel available for the territory.
    accepted_by
        Communities among which the force is acceptable (``("*",)`` for all).
    max_share
        Optional cap: the force may provide at most this share of any unit's requirement.
    min_share
        Optional override of the catalog's acceptance threshold for this force.
    sources
        Source ids for the strength and the force's description (``P12``, ``PS2``).
    strength_basis
        How the strength was obtained (a figure, or an assumption said as such).
    """

    key: str
    name: str
    strength: float
    accepted_by: tuple[str, ...] = ("*",)
    max_share: float | None = None
    min_share: float | None = None
    sources: tuple[str, ...] = ()
    strength_basis: str = ""

    def __post_init__(self) -> None:
        if not self.key:
            raise InputDataError("every force needs a key")
        if not (self.strength >= 0):
            raise InputDataError(f"force {self.key!r} has strength {self.strength!r}; need >= 0")
        if self.max_share is not None and not (0 <= self.max_share <= 1):
            raise InputDataError(f"force {self.key!r}: max_share must be in [0, 1]")
        if self.min_share is not None and not (0 <= self.min_share <= 1):
            raise InputDataError(f"force {self.key!r}: min_share must be in [0, 1]")
        object.__setattr__(self, "accepted_by", tuple(self.accepted_by))
        object.__setattr__(self, "sources", tuple(self.sources))


@dataclass(frozen=True)
class ForceRule:
    """An acceptability rule, with the sources it rests on.

    Parameters
    ----------
    id
        Rule id (``"R1"``), quoted when the rule binds.
    kind
        One of :data:`RULE_KINDS`.
    forces
        Keys of the forces it applies to.
    communities
        For the community kinds.
    units
        For the unit kinds: unit ids, or prefixes ending in ``*`` (``"IQG15Q07*"``: every unit
        of the Sinjar district).
    text
        The rule in words.
    sources
        Source ids (``PS1``, ``P38``); every shipped rule cites at least one.
    """

    id: str
    kind: str
    forces: tuple[str, ...]
    communities: tuple[str, ...] = ()
    units: tuple[str, ...] = ()
    text: str = ""
    sources: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in RULE_KINDS:
            raise InputDataError(f"rule {self.id!r} has unknown kind {self.kind!r}",
                                 hint=f"use one of {list(RULE_KINDS)}")
        for name in ("forces", "communities", "units", "sources"):
            object.__setattr__(self, name, tuple(getattr(self, name)))

    def matches_unit(self, unit_id: str) -> bool:
        """True when ``unit_id`` is one of the rule's units (or starts with a ``*`` prefix)."""
        for u in self.units:
            if u.endswith("*"):
                if unit_id.startswith(u[:-1]):
                    return True
            elif unit_id == u:
                return True
        return False


@dataclass(frozen=True)
class ForceCatalog:
    """Forces plus the rules that restrict where they may serve.

    Parameters
    ----------
    forces
        The forces (keys unique).
    rules
        Acceptability rules, applied in order.
    min_accept_share
        A force may serve a unit only where the communities that accept it make up at least this
        share of the unit's population.
    name, notes
        Provenance.
    """

    forces: tuple[Force, ...]
    rules: tuple[ForceRule, ...] = ()
    min_accept_share: float = 0.5
    name: str = ""
    notes: str = ""
    sources: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        keys = [f.key for f in self.forces]
        if not keys:
            raise InputDataError("a force catalog needs at least one force")
        if len(set(keys)) != len(keys):
            raise InputDataError(f"force keys must be unique, got {keys}")
        for r in self.rules:
            unknown = [k for k in r.forces if k not in keys]
            if unknown:
                raise InputDataError(f"rule {r.id!r} names unknown forces {unknown}",
                                     hint=f"use force keys {keys}")
        if not (0 <= self.min_accept_share <= 1):
            raise ConfigError(f"min_accept_share must be in [0, 1], got {self.min_accept_share}")
        object.__setattr__(self, "forces", tuple(self.forces))
        object.__setattr__(self, "rules", tuple(self.rules))

    @property
    def keys(self) -> list[str]:
        """Force keys in catalog order."""
        return [f.key for f in self.forces]

    def without_rules(self, rule_ids: Sequence[str]) -> ForceCatalog:
        """The same catalog with the named rules dropped (for sensitivity runs)."""
        ids = {r.id for r in self.rules}
        unknown = [r for r in rule_ids if r not in ids]
        if unknown:
            raise ConfigError(f"unknown rule ids {unknown}", hint=f"use one of {sorted(ids)}")
        return replace(self, rules=tuple(r for r in self.rules if r.id not in set(rule_ids)))

    def with_strengths(self, strengths: Mapping[str, float]) -> ForceCatalog:
        """The same catalog with some strengths replaced."""
        unknown = [k for k in strengths if k not in self.keys]
        if unknown:
            raise ConfigError(f"unknown forces {unknown}", hint=f"use one of {self.keys}")
        return replace(self, forces=tuple(
            replace(f, strength=float(strengths.get(f.key, f.strength))) for f in self.forces))

    def effective_acceptance(
        self, communities: Sequence[str]
    ) -> dict[str, tuple[frozenset[str], list[str]]]:
        """Per force: the accepting communities after the community rules, and the rules applied."""
        all_c = frozenset(communities)
        out: dict[str, tuple[frozenset[str], list[str]]] = {}
        for f in self.forces:
            acc = all_c if "*" in f.accepted_by else frozenset(f.accepted_by)
            unknown = sorted(acc - all_c)
            if unknown:
                raise InputDataError(
                    f"force {f.key!r} is accepted by communities {unknown} that the territory "
                    f"does not have", hint=f"use community names from {sorted(all_c)}")
            out[f.key] = (acc, [])
        for r in self.rules:
            if r.kind not in ("not_accepted_by", "accepted_only_by"):
                continue
            unknown = sorted(set(r.communities) - all_c)
            if unknown:
                raise InputDataError(
                    f"rule {r.id!r} names communities {unknown} that the territory does not have",
                    hint=f"use community names from {sorted(all_c)}")
            for k in r.forces:
                acc, applied = out[k]
                acc = (acc - set(r.communities)) if r.kind == "not_accepted_by" else (
                    acc & set(r.communities))
                out[k] = (acc, [*applied, r.id])
        return out


def _as_tuple(x: Any) -> tuple[str, ...]:
    if x is None:
        return ()
    if isinstance(x, str):
        return (x,)
    return tuple(str(i) for i in x)


def catalog_from_dict(data: Mapping[str, Any], *, source: str = "") -> ForceCatalog:
    """Build a :class:`ForceCatalog` from its JSON form (see the built-in case's file)."""
    try:
        forces = tuple(
            Force(
                key=str(f["key"]),
                name=str(f.get("name", f["key"])),
                strength=float(f["strength"]),
                accepted_by=_as_tuple(f.get("accepted_by", "*")),
                max_share=None if f.get("max_share") is None else float(f["max_share"]),
                min_share=None if f.get("min_share") is None else float(f["min_share"]),
                sources=_as_tuple(f.get("sources")),
                strength_basis=str(f.get("strength_basis", "")),
            )
            for f in data["forces"]
        )
        rules = tuple(
            ForceRule(
                id=str(r["id"]),
                kind=str(r["kind"]),
                forces=_as_tuple(r["forces"]),
                communities=_as_tuple(r.get("communities")),
                units=_as_tuple(r.get("units")),
                text=str(r.get("text", "")),
                sources=_as_tuple(r.get("sources")),
            )
            for r in data.get("rules", [])
        )
    except (KeyError, TypeError, ValueError) as exc:
        if isinstance(exc, InputDataError):
            raise
        raise InputDataError(f"malformed force catalog: {exc!r}", source=source,
                             hint="each force needs key and strength; each rule id, kind, forces"
                             ) from None
    return ForceCatalog(forces, rules, float(data.get("min_accept_share", 0.5)),
                        name=str(data.get("name", "")), notes=str(data.get("notes", "")),
                        sources=dict(data.get("sources", {})))


def load_force_catalog(path: str | Path) -> ForceCatalog:
    """Read a force catalog from a JSON file.

    Raises
    ------
    InputDataError
        When the file is not valid JSON or lacks required fields.
    """
    path = Path(path)
    data = read_json_file(path, what="forces file")
    return catalog_from_dict(data, source=str(path))
