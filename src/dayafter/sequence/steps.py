"""A settlement as ordered steps, each with preconditions (criteria) and parameters.

A settlement file is JSON::

    {"format": "dayafter.sequence", "version": 1, "name": "article-140", "title": "...",
     "key": "article-140", "notes": "...", "sources": ["P46"], "plan": "status-quo-2014", "on_fail": "stop",
     "initial_security": "assess",
     "steps": [
       {"kind": "normalise", "name": "Normalisation", "key": "normalise", "years": 5,
        "claims": true},
       {"kind": "census", "years": 1, "census": "article140",
        "preconditions": [{"name": "half-returned", "metric": "returned_share", "min": 0.5}]},
       {"kind": "referendum", "years": 0.5, "level": "district", "eligibility": "residents"},
       {"kind": "transfer", "preconditions": [{"name": "sure", "metric": "referendum_certainty",
                                               "min": 0.9}]},
       {"kind": "deploy", "add": {"sinjar_police": 2500}},
       {"kind": "elect"}]}

Step kinds (:data:`STEP_KINDS`) and their parameters:

``normalise``
    Returns over ``years`` (the horizon) under the plan in force and the current security
    coverage, and, with ``claims`` (default true), the adjudication of the claims table; the
    secondary occupants who must move leave their units. Adds the census ``normalised``.
``census``
    Makes the latest census the census of record under ``census`` (default ``article140``).
``referendum``
    A status referendum on the census of record: ``level``, ``eligibility``, ``rule``,
    ``draws``, ``scope`` (unit ids; default: the inputs' scope).
``transfer``
    The referendum's resulting plan becomes the plan in force.
``deploy``
    Forces are added (``add``: ``{force: people}``) or set (``strengths``) and allocated on the
    census of record (``per_1000``, default 20; ``coverage_min``, default 1); units whose
    requirement is covered to at least ``coverage_min`` count as secure, the others by the share
    covered (the returns' security factor interpolates between the insecure factor and 1).
``elect``
    Councils are simulated for the plan in force on the census of record.

Preconditions are :class:`~dayafter.criteria.Criterion` objects, or the name of one of the
inputs' criteria (a string). Their metric is either a
sequence metric (:data:`SEQUENCE_METRICS`, read from the state when the step starts; a metric no
earlier step produced fails) or any plan metric of :func:`dayafter.check_criteria`, evaluated for
the plan in force on the census of record. ``on_fail``: ``stop`` (later steps are not reached),
``skip`` (the step is not carried out, later steps are tried) or ``proceed`` (it is carried out
anyway and marked).

``key`` (a settlement's or a step's, optional) names the title or the step name in an
interface's message catalogues: the workbench shows the message ``a140.settlement.<key>`` or
``a140.step.<key>`` in the reader's language instead of the English text. A step with neither a
name nor a key takes its kind as both.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from dayafter._inputs import read_json_file
from dayafter.criteria import Criterion
from dayafter.errors import ConfigError, InputDataError

__all__ = ["ON_FAIL", "SEQUENCE_METRICS", "STEP_KINDS", "Settlement", "Step", "load_settlement",
           "settlement_from_dict"]

STEP_KINDS = ("normalise", "census", "referendum", "transfer", "deploy", "elect")
ON_FAIL = ("stop", "skip", "proceed")

SEQUENCE_METRICS: Mapping[str, str] = MappingProxyType({
    "years": "years elapsed since the start",
    "returned_share": "returnees as a share of the displaced (last normalisation)",
    "displaced_remaining": "people still displaced after the last normalisation",
    "claims_resolved_share": "claims resolved as a share of all claims",
    "people_moved": "secondary occupants who had to move",
    "claims_unfunded_usd": "what the claims left pending would cost",
    "referendum_certainty": "lowest probability of the winning option over the areas",
    "uncertain_areas": "areas whose outcome wins in fewer than 95% of draws",
    "units_transferred": "units whose control changed at the last transfer",
    "people_transferred": "people in those units (census of record)",
    "secure_share": "share of the people living in units with acceptable security",
    "security_coverage": "population-weighted share of the security requirement covered",
    "security_shortfall_share": "security shortfall as a share of the requirement",
})
"""Metrics a precondition can read from the state of the sequence."""

_PARAMS: Mapping[str, frozenset[str]] = {
    "normalise": frozenset({"claims", "growth"}),
    "census": frozenset({"census"}),
    "referendum": frozenset({"level", "eligibility", "rule", "draws", "scope"}),
    "transfer": frozenset(),
    "deploy": frozenset({"add", "strengths", "per_1000", "coverage_min"}),
    "elect": frozenset(),
}
_STEP_KEYS = frozenset({"kind", "name", "key", "years", "preconditions", "notes", "sources"})


@dataclass(frozen=True)
class Step:
    """One step of a settlement.

    Parameters
    ----------
    kind
        One of :data:`STEP_KINDS`.
    name
        Display name (default: the kind).
    years
        Duration (for ``normalise``, the horizon of the returns).
    params
        Kind-specific parameters (see the module notes).
    preconditions
        Criteria checked when the step starts; a string names one of the inputs' criteria
        (e.g. the case's ``inclusive-governance``).
    notes, sources
        Text and source ids.
    key
        Name of the step's name in the interface catalogues (default: the kind, for a step
        without a name; none otherwise).
    """

    kind: str
    name: str = ""
    years: float = 0.0
    params: Mapping[str, Any] = field(default_factory=dict)
    preconditions: tuple[Criterion | str, ...] = ()
    notes: str = ""
    sources: tuple[str, ...] = ()
    key: str = ""

    def __post_init__(self) -> None:
        if self.kind not in STEP_KINDS:
            raise ConfigError(f"unknown step kind {self.kind!r}", hint=f"use one of {list(STEP_KINDS)}")
        if not self.years >= 0:
            raise ConfigError(f"step {self.name or self.kind!r}: years must be >= 0",
                              hint="write the duration in years, 0 or more")
        unknown = set(self.params) - _PARAMS[self.kind]
        if unknown:
            raise ConfigError(f"step {self.name or self.kind!r}: unknown parameters {sorted(unknown)}",
                              hint=f"a {self.kind} step takes {sorted(_PARAMS[self.kind]) or 'none'}")
        if not self.name:
            object.__setattr__(self, "name", self.kind)
            if not self.key:
                object.__setattr__(self, "key", self.kind)
        object.__setattr__(self, "params", MappingProxyType(dict(self.params)))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"kind": self.kind, "name": self.name, "key": self.key, "years": self.years,
                **dict(self.params),
                "preconditions": [c if isinstance(c, str) else
                                  {"name": c.name, "metric": c.metric, "bounds": c.bounds_text(),
                                   "sources": list(c.sources)} for c in self.preconditions],
                "notes": self.notes, "sources": list(self.sources)}


@dataclass(frozen=True)
class Settlement:
    """A settlement: ordered steps from a starting plan.

    Parameters
    ----------
    name, title, notes, sources
        Identification and citations.
    steps
        The steps in order.
    plan
        Name of the plan in force at the start (``""``: the inputs' reference plan).
    on_fail
        What a failed precondition does (:data:`ON_FAIL`).
    initial_security
        ``assess``: allocate the forces at the start so that returns before any ``deploy`` step
        see the status quo coverage; ``none``: security is not assessed until a ``deploy`` step.
    key
        Name of the title in the interface catalogues (none by default).
    """

    name: str
    steps: tuple[Step, ...]
    title: str = ""
    notes: str = ""
    sources: tuple[str, ...] = ()
    plan: str = ""
    on_fail: str = "stop"
    initial_security: str = "assess"
    key: str = ""

    def __post_init__(self) -> None:
        if not self.steps:
            raise ConfigError(f"settlement {self.name!r} has no steps",
                              hint="add at least one step")
        if self.on_fail not in ON_FAIL:
            raise ConfigError(f"unknown on_fail {self.on_fail!r}", hint=f"use one of {list(ON_FAIL)}")
        if self.initial_security not in ("assess", "none"):
            raise ConfigError(f"unknown initial_security {self.initial_security!r}",
                              hint="use assess or none")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"name": self.name, "title": self.title, "key": self.key, "notes": self.notes,
                "sources": list(self.sources), "plan": self.plan, "on_fail": self.on_fail,
                "initial_security": self.initial_security,
                "steps": [s.to_dict() for s in self.steps]}


def settlement_from_dict(d: Mapping[str, Any], *, source: str = "") -> Settlement:
    """A :class:`Settlement` from a parsed JSON object (see the module notes).

    Raises
    ------
    InputDataError
        Unknown keys or kinds, bad preconditions; the message names the step.
    """
    if not isinstance(d, Mapping):
        raise InputDataError("a settlement must be a JSON object", source=source,
                             hint="write {\"name\": ..., \"steps\": [...]}")
    known = {"format", "version", "name", "title", "key", "notes", "sources", "plan", "on_fail",
             "initial_security", "steps"}
    unknown = set(d) - known
    if unknown:
        raise InputDataError(f"unknown keys {sorted(unknown)} in the settlement",
                             hint=f"use {sorted(known - {'format', 'version'})}", source=source)
    raw = d.get("steps")
    if not isinstance(raw, Sequence) or isinstance(raw, str) or not raw:
        raise InputDataError("a settlement needs a non-empty list 'steps'", source=source,
                             hint="add steps such as {\"kind\": \"normalise\", \"years\": 5}")
    steps = []
    for i, s in enumerate(raw, start=1):
        where = f"step {i}"
        if not isinstance(s, Mapping) or "kind" not in s:
            raise InputDataError(f"{where} must be an object with a 'kind'",
                                 hint=f"use one of {list(STEP_KINDS)}", source=source)
        params = {k: v for k, v in s.items() if k not in _STEP_KEYS}
        try:
            pre = tuple(str(c) if isinstance(c, str) else Criterion.from_dict(c)
                        for c in s.get("preconditions", ()))
            steps.append(Step(kind=str(s["kind"]), name=str(s.get("name", "")),
                              years=float(s.get("years", 0.0)), params=params, preconditions=pre,
                              notes=str(s.get("notes", "")),
                              sources=tuple(str(x) for x in s.get("sources", ())),
                              key=str(s.get("key", ""))))
        except ConfigError as exc:
            raise InputDataError(f"{where} ({s.get('name') or s.get('kind')}): {exc.message}",
                                 hint=exc.hint, source=source) from None
        except (TypeError, ValueError) as exc:
            raise InputDataError(f"{where}: {exc}", hint="years must be a number", source=source) from None
    try:
        return Settlement(name=str(d.get("name", "settlement")), steps=tuple(steps),
                          title=str(d.get("title", "")), notes=str(d.get("notes", "")),
                          sources=tuple(str(x) for x in d.get("sources", ())),
                          plan=str(d.get("plan", "")), on_fail=str(d.get("on_fail", "stop")),
                          initial_security=str(d.get("initial_security", "assess")),
                          key=str(d.get("key", "")))
    except ConfigError as exc:
        raise InputDataError(exc.message, hint=exc.hint, source=source) from None


def load_settlement(path: str | Path) -> Settlement:
    """Read a settlement from a JSON file (see the module notes)."""
    p = Path(path)
    data = read_json_file(p, what="settlement file")
    return settlement_from_dict(data, source=str(p))
