"""Security forces as data: strength, kind, who accepts them, and the cited rules that bind them.

A force is one of three kinds:

- ``pooled`` (default): a force of ``strength`` personnel that may serve any unit the rules and
  the acceptance thresholds allow (an army, a federal police, the Peshmerga, coalition forces);
- ``local``: police recruited in each unit from its own residents (``per_1000`` recruits per
  1,000 residents of the ``communities`` it recruits from, all by default) that serve only the
  unit they come from; being drawn from the unit's own communities they need no acceptance by
  them, but control rules still apply (federal local police where the federal government holds
  the unit, KRG police where the KRG does);
- ``community``: a force of one or more communities (the Nineveh Plain Protection Units, Yazidi
  units, Sunni tribal forces) that serves only its own people: in each unit it may cover at most
  the share of the requirement its ``communities`` make up, wherever they live. It needs no
  acceptance by the other communities, whose share it does not cover.

Acceptance of ``pooled`` forces has two thresholds (:class:`ForceCatalog`): a force is accepted in
a unit where the communities that accept it hold at least ``min_accept_share`` of the residents,
and vetoed where any community that does not accept it holds more than ``veto_share``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from dayafter._inputs import read_json_file
from dayafter.errors import ConfigError, InputDataError

__all__ = ["FORCE_KINDS", "RULE_KINDS", "Force", "ForceCatalog", "ForceRule", "catalog_from_dict",
           "load_force_catalog"]

FORCE_KINDS = ("pooled", "local", "community")
"""Kinds of force (see the module docstring)."""

RULE_KINDS = ("not_accepted_by", "accepted_only_by", "exclude_units", "only_units",
              "only_control", "exclude_control", "not_where_plurality")
"""How a rule changes the forces it names:

- ``not_accepted_by``: the listed communities do not accept the force;
- ``accepted_only_by``: only the listed communities accept it;
- ``exclude_units``: the force may not serve the listed units (ids or id prefixes);
- ``only_units``: the force may serve only the listed units (ids or id prefixes);
- ``only_control``: the force may serve only units whose control (the plan's control layer) is
  one of the listed labels;
- ``exclude_control``: the force may not serve units whose control is one of the listed labels;
- ``not_where_plurality``: the force may not serve units where one of the listed communities is
  the largest.
"""

_COMMUNITY_KINDS = ("not_accepted_by", "accepted_only_by")
_UNIT_KINDS = ("exclude_units", "only_units")
_CONTROL_KINDS = ("only_control", "exclude_control")


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
        Personnel available for the territory. For a ``local`` force, ``None`` means "all it can
        recruit" (the sum over units of ``per_1000`` per 1,000 residents); a number caps that.
    accepted_by
        Communities among which a ``pooled`` force is acceptable (``("*",)`` for all).
    max_share
        Optional cap: the force may provide at most this share of any unit's requirement.
    min_share
        Optional override of the catalog's acceptance threshold for this force.
    sources
        Source ids for the strength and the force's description (``P12``, ``PS2``).
    strength_basis
        How the strength was obtained (a figure, or an assumption said as such).
    kind
        ``"pooled"``, ``"local"`` or ``"community"`` (see the module docstring).
    communities
        ``community`` kind: the communities it serves; ``local`` kind: the communities it
        recruits from (empty: all).
    per_1000
        ``local`` kind: recruits per 1,000 residents of its communities.
    strength_range
        ``(low, high)`` range of the strength, for sensitivity and uncertainty runs (for a
        ``local`` force: the range of ``per_1000``).
    priority
        Order of preference among allocations with the same shortfall: forces with a lower
        priority are placed first (0 = local forces first; a stated preference, not a fact).
    """

    key: str
    name: str
    strength: float | None
    accepted_by: tuple[str, ...] = ("*",)
    max_share: float | None = None
    min_share: float | None = None
    sources: tuple[str, ...] = ()
    strength_basis: str = ""
    kind: str = "pooled"
    communities: tuple[str, ...] = ()
    per_1000: float | None = None
    strength_range: tuple[float, float] | None = None
    priority: int = 0

    def __post_init__(self) -> None:
        if not self.key:
            raise InputDataError("every force needs a key")
        if self.kind not in FORCE_KINDS:
            raise InputDataError(f"force {self.key!r} has unknown kind {self.kind!r}",
                                 hint=f"use one of {list(FORCE_KINDS)}")
        if self.strength is None:
            if self.kind != "local":
                raise InputDataError(f"force {self.key!r} needs a strength",
                                     hint="only a local force may leave it out (recruits per 1,000)")
        elif not (self.strength >= 0) or math.isinf(self.strength):
            raise InputDataError(f"force {self.key!r} has strength {self.strength!r}; need a "
                                 "finite number >= 0")
        if self.kind == "local":
            if self.per_1000 is None or not (0 <= self.per_1000 < math.inf):
                raise InputDataError(f"local force {self.key!r} needs per_1000 >= 0 (recruits "
                                     "per 1,000 residents)", hint="e.g. \"per_1000\": 7")
        if self.kind == "community" and not self.communities:
            raise InputDataError(f"community force {self.key!r} needs the communities it serves",
                                 hint="e.g. \"communities\": [\"christian\"]")
        if self.max_share is not None and not (0 <= self.max_share <= 1):
            raise InputDataError(f"force {self.key!r}: max_share must be in [0, 1]")
        if self.min_share is not None and not (0 <= self.min_share <= 1):
            raise InputDataError(f"force {self.key!r}: min_share must be in [0, 1]")
        if self.strength_range is not None:
            lo, hi = (float(x) for x in self.strength_range)
            if not (0 <= lo <= hi < math.inf):
                raise InputDataError(f"force {self.key!r}: strength_range must be 0 <= low <= high")
            object.__setattr__(self, "strength_range", (lo, hi))

    def at(self, where: float) -> Force:
        """The force with its strength (local: its recruits per 1,000) at a point of its range.

        ``where`` is 0 for the low end, 1 for the high end; without a range the force is returned.
        """
        if self.strength_range is None:
            return self
        lo, hi = self.strength_range
        v = lo + (hi - lo) * float(where)
        return replace(self, per_1000=v) if self.kind == "local" else replace(self, strength=v)
        object.__setattr__(self, "accepted_by", tuple(self.accepted_by))
        object.__setattr__(self, "sources", tuple(self.sources))
        object.__setattr__(self, "communities", tuple(self.communities))


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
        For the community kinds and ``not_where_plurality``.
    units
        For the unit kinds: unit ids, or prefixes ending in ``*`` (``"IQG15Q07*"``: every unit
        of the Sinjar district).
    control
        For the control kinds: control labels (``"federal"``, ``"krg"``, ``"joint"``, ...).
    text
        The rule in words.
    sources
        Source ids (``PS1``, ``P38``); every shipped rule cites at least one, or says in ``text``
        that it is an assumption.
    """

    id: str
    kind: str
    forces: tuple[str, ...]
    communities: tuple[str, ...] = ()
    units: tuple[str, ...] = ()
    text: str = ""
    sources: tuple[str, ...] = ()
    control: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in RULE_KINDS:
            raise InputDataError(f"rule {self.id!r} has unknown kind {self.kind!r}",
                                 hint=f"use one of {list(RULE_KINDS)}")
        for name in ("forces", "communities", "units", "sources", "control"):
            object.__setattr__(self, name, tuple(getattr(self, name)))
        if self.kind in _CONTROL_KINDS and not self.control:
            raise InputDataError(f"rule {self.id!r} ({self.kind}) lists no control labels",
                                 hint="e.g. \"control\": [\"krg\", \"joint\"]")
        if self.kind == "not_where_plurality" and not self.communities:
            raise InputDataError(f"rule {self.id!r} lists no communities",
                                 hint="e.g. \"communities\": [\"sunni_arab\"]")

    @property
    def needs_control(self) -> bool:
        """True when the rule reads the plan's control layer."""
        return self.kind in _CONTROL_KINDS

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
    """Forces plus the rules and thresholds that restrict where they may serve.

    Parameters
    ----------
    forces
        The forces (keys unique).
    rules
        Acceptability rules, applied in order.
    min_accept_share
        Acceptance: a ``pooled`` force may serve a unit only where the communities that accept
        it hold at least this share of the residents.
    name, notes
        Provenance.
    sources
        Source id to citation.
    veto_share
        Veto: a ``pooled`` force may not serve a unit where a community that does not accept it
        holds more than this share of the residents (``None``: no veto).
    accept_basis, veto_basis
        Where each threshold comes from: a citation, or the words "assumption: ...".
    """

    forces: tuple[Force, ...]
    rules: tuple[ForceRule, ...] = ()
    min_accept_share: float = 0.5
    name: str = ""
    notes: str = ""
    sources: Mapping[str, str] = field(default_factory=dict)
    veto_share: float | None = None
    accept_basis: str = ""
    veto_basis: str = ""

    def __post_init__(self) -> None:
        keys = [f.key for f in self.forces]
        if not keys:
            raise InputDataError("a force catalog needs at least one force")
        if len(set(keys)) != len(keys):
            raise InputDataError(f"force keys must be unique, got {keys}")
        ids = [r.id for r in self.rules]
        if len(set(ids)) != len(ids):
            raise InputDataError(f"rule ids must be unique, got {ids}")
        for r in self.rules:
            unknown = [k for k in r.forces if k not in keys]
            if unknown:
                raise InputDataError(f"rule {r.id!r} names unknown forces {unknown}",
                                     hint=f"use force keys {keys}")
        if not (0 <= self.min_accept_share <= 1):
            raise ConfigError(f"min_accept_share must be in [0, 1], got {self.min_accept_share}")
        if self.veto_share is not None and not (0 <= self.veto_share <= 1):
            raise ConfigError(f"veto_share must be in [0, 1], got {self.veto_share}")
        object.__setattr__(self, "forces", tuple(self.forces))
        object.__setattr__(self, "rules", tuple(self.rules))

    @property
    def keys(self) -> list[str]:
        """Force keys in catalog order."""
        return [f.key for f in self.forces]

    @property
    def needs_control(self) -> bool:
        """True when some rule reads the plan's control layer."""
        return any(r.needs_control for r in self.rules)

    def force(self, key: str) -> Force:
        """The force called ``key``."""
        for f in self.forces:
            if f.key == key:
                return f
        raise ConfigError(f"unknown force {key!r}", hint=f"use one of {self.keys}")

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
            replace(f, strength=float(strengths[f.key]) if f.key in strengths else f.strength)
            for f in self.forces))

    def with_thresholds(self, *, accept: float | None = None, veto: float | str | None = "keep",
                        ) -> ForceCatalog:
        """The same catalog with other acceptance and veto thresholds (``veto=None``: no veto)."""
        kw: dict[str, Any] = {}
        if accept is not None:
            kw["min_accept_share"] = float(accept)
        if veto != "keep":
            kw["veto_share"] = None if veto is None else float(veto)
        return replace(self, **kw) if kw else self

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
            unknown = sorted(set(f.communities) - all_c)
            if unknown:
                raise InputDataError(
                    f"force {f.key!r} names communities {unknown} that the territory does not "
                    f"have", hint=f"use community names from {sorted(all_c)}")
            out[f.key] = (acc, [])
        for r in self.rules:
            if r.kind not in _COMMUNITY_KINDS and r.kind != "not_where_plurality":
                continue
            unknown = sorted(set(r.communities) - all_c)
            if unknown:
                raise InputDataError(
                    f"rule {r.id!r} names communities {unknown} that the territory does not have",
                    hint=f"use community names from {sorted(all_c)}")
            if r.kind not in _COMMUNITY_KINDS:
                continue
            for k in r.forces:
                acc, applied = out[k]
                acc = (acc - set(r.communities)) if r.kind == "not_accepted_by" else (
                    acc & set(r.communities))
                out[k] = (acc, [*applied, r.id])
        return out

    def to_dict(self) -> dict[str, Any]:
        """The JSON form (as read by :func:`catalog_from_dict`)."""
        def force(f: Force) -> dict[str, Any]:
            d: dict[str, Any] = {"key": f.key, "name": f.name, "kind": f.kind,
                                 "strength": f.strength, "strength_basis": f.strength_basis,
                                 "accepted_by": list(f.accepted_by), "sources": list(f.sources),
                                 "priority": f.priority}
            for k in ("max_share", "min_share", "per_1000"):
                if getattr(f, k) is not None:
                    d[k] = getattr(f, k)
            if f.communities:
                d["communities"] = list(f.communities)
            if f.strength_range is not None:
                d["strength_range"] = list(f.strength_range)
            return d

        def rule(r: ForceRule) -> dict[str, Any]:
            d: dict[str, Any] = {"id": r.id, "kind": r.kind, "forces": list(r.forces),
                                 "text": r.text, "sources": list(r.sources)}
            for k in ("communities", "units", "control"):
                if getattr(r, k):
                    d[k] = list(getattr(r, k))
            return d

        return {"format": "dayafter.security.forces", "version": 2, "name": self.name,
                "notes": self.notes, "min_accept_share": self.min_accept_share,
                "accept_basis": self.accept_basis, "veto_share": self.veto_share,
                "veto_basis": self.veto_basis, "forces": [force(f) for f in self.forces],
                "rules": [rule(r) for r in self.rules], "sources": dict(self.sources)}


def _as_tuple(x: Any) -> tuple[str, ...]:
    if x is None:
        return ()
    if isinstance(x, str):
        return (x,)
    return tuple(str(i) for i in x)


def _opt_float(x: Any) -> float | None:
    return None if x is None else float(x)


def catalog_from_dict(data: Mapping[str, Any], *, source: str = "") -> ForceCatalog:
    """Build a :class:`ForceCatalog` from its JSON form (see the built-in case's file)."""
    try:
        forces = tuple(
            Force(
                key=str(f["key"]),
                name=str(f.get("name", f["key"])),
                strength=_opt_float(f.get("strength")) if f.get("kind") == "local"
                else float(f["strength"]),
                accepted_by=_as_tuple(f.get("accepted_by", "*")),
                max_share=_opt_float(f.get("max_share")),
                min_share=_opt_float(f.get("min_share")),
                sources=_as_tuple(f.get("sources")),
                strength_basis=str(f.get("strength_basis", "")),
                kind=str(f.get("kind", "pooled")),
                communities=_as_tuple(f.get("communities")),
                per_1000=_opt_float(f.get("per_1000")),
                strength_range=None if f.get("strength_range") is None else (
                    float(f["strength_range"][0]), float(f["strength_range"][1])),
                priority=int(f.get("priority", 0)),
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
                control=_as_tuple(r.get("control")),
            )
            for r in data.get("rules", [])
        )
        veto = data.get("veto_share")
        return ForceCatalog(forces, rules, float(data.get("min_accept_share", 0.5)),
                            name=str(data.get("name", "")), notes=str(data.get("notes", "")),
                            sources=dict(data.get("sources", {})),
                            veto_share=None if veto is None else float(veto),
                            accept_basis=str(data.get("accept_basis", "")),
                            veto_basis=str(data.get("veto_basis", "")))
    except InputDataError as exc:
        if source and not exc.source:
            raise InputDataError(exc.message, hint=exc.hint, source=source) from None
        raise
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise InputDataError(f"malformed force catalog: {exc!r}", source=source,
                             hint="each force needs key and strength; each rule id, kind, forces"
                             ) from None


def load_force_catalog(path: str | Path) -> ForceCatalog:
    """Read a force catalog from a JSON file.

    Raises
    ------
    InputDataError
        When the file is not valid JSON or lacks required fields.
    """
    path = Path(path)
    data = read_json_file(path, what="forces file")
    if not isinstance(data, Mapping):
        raise InputDataError("a force catalog is a JSON object", source=str(path),
                             hint="see the shipped forces.json")
    return catalog_from_dict(data, source=str(path))
