"""Run a settlement step by step: check each step's preconditions, apply its effect on the
censuses and the plan, and record a timeline.

This is the orchestration layer above the engines: it calls :mod:`dayafter.returns`,
:mod:`dayafter.claims`, :mod:`dayafter.referendum`, :mod:`dayafter.security` and
:mod:`dayafter.councils`, and passes their results on (security coverage to the returns, the
projected census to the referendum, the referendum's plan to the transfer).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from dayafter._control import unit_control
from dayafter.claims import AdjudicationRules, ClaimsResult, ClaimsTable, adjudicate
from dayafter.criteria import Criterion, check_criteria
from dayafter.errors import ConfigError, InputDataError
from dayafter.referendum import Normalisation, ReferendumResult, VotingModel, simulate_referendum
from dayafter.returns import ReturnModel, ReturnsResult, project_returns
from dayafter.sequence.steps import SEQUENCE_METRICS, Settlement, Step

if TYPE_CHECKING:
    from dayafter.councils import CouncilRules, CouncilSimulation
    from dayafter.plan import Plan
    from dayafter.security import ForceCatalog, SecurityAssessment
    from dayafter.territory import Territory

__all__ = ["CENSUS_OF_RECORD", "EFFECTS", "NORMALISED", "PLAN_TEXTS", "REASONS", "STATUS_KEYS",
           "SequenceInputs", "SequenceResult", "StepOutcome", "run_sequence"]

STATUS_KEYS: Mapping[str, str] = MappingProxyType({
    "done": "done",
    "done despite failed preconditions": "done_despite",
    "blocked": "blocked",
    "not reached": "not_reached",
})
"""The status of a step (English, as :attr:`StepOutcome.status` holds it) and the key an interface
translates it by (``status.<key>``)."""

REASONS: Mapping[str, str] = MappingProxyType({
    "unavailable": "{metric} is not available yet ({about})",
    "bounds": "{metric} = {value:.4g}, needs {bounds}",
    "criterion": "{message}",
    "not_applicable": "{message}",
})
"""Why a precondition failed: the key of ``reason_i18n`` and the English template of ``reason``
(a plan criterion's ``message`` is :meth:`dayafter.criteria.CriterionResult.message`)."""

EFFECTS: Mapping[str, str] = MappingProxyType({
    "returns": "people who returned (normalise)",
    "displaced": "people displaced at the start (normalise)",
    "claims_resolved": "property claims resolved (normalise)",
    "people_moved": "secondary occupants who had to move (normalise)",
    "budget": "the claims budget: spent, available, unfunded (normalise)",
    "censuses_added": "census names the step added (normalise, census)",
    "population": "population of the census of record (census)",
    "areas": "areas that voted (referendum)",
    "outcomes": "areas won per option (referendum)",
    "certainty": "lowest probability of the winning option over the areas (referendum)",
    "uncertain_areas": "areas won in fewer than 95% of draws (referendum)",
    "plan": "the plan in force after the step",
    "units_transferred": "units whose control changed (transfer)",
    "people_transferred": "people in those units (transfer)",
    "changes": "control changes, 'before -> after' (transfer)",
    "secure_units": "units whose security requirement is covered (deploy)",
    "secure_share": "share of the people in those units (deploy)",
    "security_coverage": "population-weighted share of the requirement covered (deploy)",
    "requirement": "forces the census of record requires (deploy)",
    "shortfall": "forces short of the requirement (deploy)",
    "forces": "strength of each force (deploy)",
    "seats": "council seats per community (elect)",
    "census_of_record": "the census of record after the step",
})
"""Every key of :attr:`StepOutcome.effects` (the kinds that write it in brackets)."""

PLAN_TEXTS: Mapping[str, str] = MappingProxyType({
    "plan.after_referendum": "{plan} after a referendum by {level}",
})
"""Names the engines give the plans they make (the key of ``plan_i18n`` and its English: the
referendum's resulting plan is named so by :func:`dayafter.referendum.simulate_referendum`)."""

NORMALISED = "normalised"
"""The census a ``normalise`` step adds: the current census after returns and claims."""
CENSUS_OF_RECORD = "article140"
"""The name a ``census`` step gives the census of record unless its ``census`` says otherwise."""


@dataclass(frozen=True)
class SequenceInputs:
    """Everything a settlement's steps need.

    Parameters
    ----------
    territory
        The territory with the ``baseline`` and ``current`` censuses.
    plans
        Plans by name (the settlement's ``plan`` names one).
    reference
        Name of the default starting plan.
    return_model
        For ``normalise``.
    claims, claims_rules
        For ``normalise`` (optional: without them no claims are adjudicated).
    voting, scope, normalisation
        For ``referendum``: voting model, default scope (``bool[n]``) and Article 140 table.
    forces
        Force catalog for ``deploy`` and the initial security assessment (optional).
    council_rules
        For ``elect`` (optional).
    criteria
        Named criteria a precondition may refer to by name (``{"name": "inclusive-governance"}``
        with no metric).
    baseline, current
        Census names.
    """

    territory: Territory
    plans: Mapping[str, Plan]
    reference: str
    return_model: ReturnModel
    voting: VotingModel
    scope: NDArray[np.bool_] | None = None
    normalisation: Normalisation | None = None
    claims: ClaimsTable | None = None
    claims_rules: AdjudicationRules | None = None
    forces: ForceCatalog | None = None
    council_rules: CouncilRules | None = None
    criteria: tuple[Criterion, ...] = ()
    baseline: str = "baseline"
    current: str = "current"

    @classmethod
    def from_case(cls, case: Any, *, council_rules: CouncilRules | None = None) -> SequenceInputs:
        """Inputs from a built-in case (:func:`dayafter.cases.load`): its territory, scenario
        plans, criteria and the data of its ``returns/``, ``referendum/``, ``claims/`` and
        ``security/`` folders. Council rules are passed in (the case's 2023 provincial rules:
        :func:`dayafter.cases.northern_iraq.councils.provincial_rules_2023`)."""
        from dayafter.claims import case_claims
        from dayafter.referendum import case_referendum
        from dayafter.returns import case_return_model
        from dayafter.security import load_force_catalog

        t = case.territory
        voting, scope, norm = case_referendum(t, case.name)
        table, rules = case_claims(case.name)
        forces = None
        ref = resources.files(f"dayafter.cases.{case.name.replace('-', '_')}").joinpath(
            "security", "forces.json")
        if ref.is_file():
            with resources.as_file(ref) as path:
                forces = load_force_catalog(Path(path))
        return cls(territory=t, plans=dict(case.plans), reference=case.reference,
                   return_model=case_return_model(case.name), voting=voting, scope=scope,
                   normalisation=norm, claims=table, claims_rules=rules, forces=forces,
                   council_rules=council_rules, criteria=tuple(case.criteria))


@dataclass
class _State:
    territory: Territory
    plan: Plan
    census: str
    years: float = 0.0
    secure: NDArray[np.float64] | None = None
    forces: ForceCatalog | None = None
    returns: ReturnsResult | None = None
    claims: ClaimsResult | None = None
    referendum: ReferendumResult | None = None
    security: SecurityAssessment | None = None
    councils: CouncilSimulation | None = None
    metrics: dict[str, float] = field(default_factory=dict)
    census_draws: dict[str, NDArray[np.float64]] = field(default_factory=dict)


@dataclass(frozen=True)
class StepOutcome:
    """What happened at one step.

    Attributes
    ----------
    step
        The step.
    status
        ``done``, ``done despite failed preconditions``, ``blocked`` (not carried out) or
        ``not reached``.
    start, end
        Years since the start.
    preconditions
        ``{name, metric, value, bounds, passed, reason}`` per precondition, with ``name_i18n``
        and ``reason_i18n`` (see :meth:`to_dict`).
    effects
        What the step changed: ``censuses`` added, ``plan`` in force, ``census_of_record`` and
        step metrics (:data:`EFFECTS`).
    """

    step: Step
    status: str
    start: float
    end: float
    preconditions: tuple[dict[str, Any], ...] = ()
    effects: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form.

        Next to the English ``name`` and ``status``, ``name_i18n`` (when the step has a key) and
        ``status_i18n`` give the key (``step.<key>``, ``status.<key>``) and arguments an interface
        translates them by, as the workbench does with its ``a140.*`` messages.
        """
        out = {"name": self.step.name, "kind": self.step.kind, "status": self.status,
               "status_i18n": _i18n(f"status.{STATUS_KEYS[self.status]}"),
               "start": self.start, "end": self.end, "preconditions": list(self.preconditions),
               "effects": dict(self.effects), "notes": self.step.notes,
               "sources": list(self.step.sources)}
        if self.step.key:
            out["name_i18n"] = _i18n(f"step.{self.step.key}")
        return out


@dataclass(frozen=True, eq=False)
class SequenceResult:
    """A settlement run: the timeline and the final state.

    Attributes
    ----------
    settlement
        What was run.
    timeline
        One :class:`StepOutcome` per step, in order.
    territory, plan, census
        Territory with the censuses the steps added, the plan in force and the census of record
        at the end.
    returns, claims, referendum, security, councils
        The last result of each engine (``None`` when no step produced one).
    metrics
        The sequence metrics at the end (:data:`~dayafter.sequence.steps.SEQUENCE_METRICS`).
    """

    settlement: Settlement
    timeline: tuple[StepOutcome, ...]
    territory: Territory
    plan: Plan
    census: str
    returns: ReturnsResult | None
    claims: ClaimsResult | None
    referendum: ReferendumResult | None
    security: SecurityAssessment | None
    councils: CouncilSimulation | None
    metrics: Mapping[str, float]

    @property
    def completed(self) -> bool:
        """Whether every step was carried out."""
        return all(o.status.startswith("done") for o in self.timeline)

    @property
    def years(self) -> float:
        """Duration of the steps carried out."""
        return float(self.metrics.get("years", 0.0))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready summary for the CLI, the report and the workbench timeline (the settlement
        has ``title_i18n`` when it has a key)."""
        settlement = self.settlement.to_dict()
        if self.settlement.key:
            settlement["title_i18n"] = _i18n(f"settlement.{self.settlement.key}")
        out = self._summary(settlement)
        ref = self.referendum
        if ref is not None and ref.plan is not None and ref.plan.name == self.plan.name and \
                ref.meta.get("reference"):  # the plan in force is the referendum's
            out["plan_i18n"] = _i18n("plan.after_referendum", plan=ref.meta["reference"],
                                     level=ref.level)
        return out

    def _summary(self, settlement: dict[str, Any]) -> dict[str, Any]:
        return {
            "settlement": settlement,
            "completed": self.completed,
            "years": self.years,
            "census_of_record": self.census,
            "plan": self.plan.name,
            "timeline": [o.to_dict() for o in self.timeline],
            "metrics": {k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                        for k, v in self.metrics.items()},
            "returns": None if self.returns is None else self.returns.to_dict(top=15),
            "claims": None if self.claims is None else {
                "budget": self.claims.budget(),
                "totals": {k: float(v.sum()) for k, v in self.claims.row_outcomes().items()}},
            "referendum": None if self.referendum is None else self.referendum.to_dict(),
        }


# ------------------------------------------------------------------------------ preconditions
def _i18n(key: str, **args: Any) -> dict[str, Any]:
    """``{"key", "args"}``: what an interface translates an English text by (numbers stay numbers,
    names stay keys: the interface formats and translates them)."""
    return {"key": key, "args": args}


def _reason(key: str, crit: Criterion, **args: Any) -> tuple[str, dict[str, Any]]:
    """The English reason of :data:`REASONS` ``key`` and its ``reason_i18n``."""
    bounds = {"min": crit.min, "max": crit.max, "abs_max": crit.abs_max}
    text = REASONS[key].format(metric=crit.metric, bounds=crit.bounds_text(), **args)
    args.pop("about", None)  # the interface has its own words for the metric
    args.pop("message", None)  # and builds the criterion's from the arguments
    return text, _i18n(f"reason.{key}", metric=crit.metric, **bounds, **args)


def _check(crit: Criterion, state: _State, inputs: SequenceInputs) -> dict[str, Any]:
    out: dict[str, Any] = {"name": crit.name, "name_i18n": _i18n(f"criterion.{crit.name}"),
                           "metric": crit.metric, "bounds": crit.bounds_text(),
                           "sources": list(crit.sources)}
    if crit.metric in SEQUENCE_METRICS:
        v = state.metrics.get(crit.metric)
        if v is None or not math.isfinite(float(v)):
            text, i18n = _reason("unavailable", crit, about=SEQUENCE_METRICS[crit.metric])
            out.update(value=None, passed=False, reason=text, reason_i18n=i18n)
            return out
        passed = bool(crit._ok(np.array([float(v)]))[0])
        out.update(value=float(v), passed=passed, reason="")
        if not passed:
            text, i18n = _reason("bounds", crit, value=float(v))
            out.update(reason=text, reason_i18n=i18n)
        return out
    from dayafter.metrics import evaluate

    c = replace(crit, census=state.census)
    ev = evaluate(state.territory, state.plan, censuses=[state.census])
    res = check_criteria(ev, [c])[0]
    out.update(value=[f.get("value") for f in res.failing] or None, passed=res.passed, reason="")
    if not res.passed:
        text, i18n = _reason("criterion" if res.applicable else "not_applicable", crit,
                             message=res.message(), census=res.census,
                             failing=[dict(f) for f in res.failing[:6]])
        out.update(reason=text, reason_i18n=i18n)
    return out


def _named(crit: Criterion | str, inputs: SequenceInputs) -> Criterion:
    """A precondition, or the inputs' criterion it names."""
    if isinstance(crit, Criterion):
        return crit
    for c in inputs.criteria:
        if c.name == crit:
            return c
    raise InputDataError(f"precondition {crit!r} names no criterion of the inputs",
                         hint=f"use one of {[c.name for c in inputs.criteria]} or write the criterion")


# ------------------------------------------------------------------------------ steps
def _assess_security(state: _State, inputs: SequenceInputs, step: Step | None) -> dict[str, Any]:
    from dayafter.security import allocate_forces, force_requirement

    cat = state.forces
    if cat is None:
        raise InputDataError("a deploy step needs a force catalog",
                             hint="pass forces in the sequence inputs (the case's security/forces.json)")
    p = dict(step.params) if step is not None else {}
    if "strengths" in p:
        cat = cat.with_strengths({str(k): float(v) for k, v in p["strengths"].items()})
    if "add" in p:
        cur = {f.key: f.strength for f in cat.forces}
        unknown = [k for k in p["add"] if k not in cur]
        if unknown:
            raise ConfigError(f"deploy adds unknown forces {unknown}", hint=f"use one of {list(cur)}")
        cat = cat.with_strengths({str(k): float(cur[str(k)] or 0.0) + float(v) for k, v in p["add"].items()})
    per_1000 = float(p.get("per_1000", 20.0))
    cov = float(p.get("coverage_min", 1.0))
    t = state.territory
    req = force_requirement(t, census=state.census, per_1000=per_1000)
    a = allocate_forces(t, cat, census=state.census, requirement=req,
                        **_plan_kwarg(allocate_forces, state.plan))
    share = np.divide(a.covered, a.requirement, out=np.ones(t.n_units), where=a.requirement > 0)
    # coverage: 1 where acceptable forces cover at least coverage_min of the requirement,
    # otherwise the covered share of it (the returns' security factor interpolates)
    coverage = np.where(share >= cov - 1e-9, 1.0, np.clip(share, 0.0, 1.0))
    secure = coverage >= 1.0
    pop = t.population(state.census)
    state.forces = cat
    state.security = a
    state.secure = coverage
    state.metrics["secure_share"] = float(pop[secure].sum() / pop.sum()) if pop.sum() > 0 else 0.0
    state.metrics["security_coverage"] = (float((pop * coverage).sum() / pop.sum())
                                          if pop.sum() > 0 else 0.0)
    state.metrics["security_shortfall_share"] = (float(a.total_shortfall / a.requirement.sum())
                                                 if a.requirement.sum() > 0 else 0.0)
    return {"secure_units": int(secure.sum()), "secure_share": state.metrics["secure_share"],
            "security_coverage": state.metrics["security_coverage"],
            "requirement": float(a.requirement.sum()), "shortfall": float(a.total_shortfall),
            "forces": {f.key: f.strength for f in cat.forces}}


def _plan_kwarg(fn: Any, plan: Plan) -> dict[str, Any]:
    """``{"plan": plan}`` when the security engine reads the plan's control (branch i18), else
    nothing: the allocation then ignores control."""
    import inspect

    return {"plan": plan} if "plan" in inspect.signature(fn).parameters else {}


def _normalise(step: Step, state: _State, inputs: SequenceInputs, rng: np.random.Generator,
               draws: int) -> dict[str, Any]:
    t = state.territory
    cd = {k: v for k, v in state.census_draws.items() if k in (inputs.baseline, state.census)}
    r = project_returns(t, state.plan, model=inputs.return_model, horizon=step.years,
                        baseline=inputs.baseline, current=state.census, secure=state.secure,
                        growth=step.params.get("growth"), draws=draws, rng=rng,
                        census_draws=cd or None)
    projected = r.flows.projected.copy()
    effects: dict[str, Any] = {"returns": float(r.flows.returns.sum()),
                               "displaced": float(r.flows.displaced.sum())}
    moved = np.zeros_like(projected)
    if inputs.claims is not None and inputs.claims_rules is not None and \
            step.params.get("claims", True):
        c = adjudicate(inputs.claims, inputs.claims_rules, territory=t, census=inputs.baseline)
        state.claims = c
        p = c.pieces
        assert p is not None
        movers = c._spread("people_move")
        ok = p.occupant_community >= 0
        np.add.at(moved, (p.unit[ok], p.occupant_community[ok]), movers[ok])
        moved = np.minimum(moved, projected)
        projected = projected - moved
        o = c.row_outcomes()
        state.metrics["claims_resolved_share"] = (float(o["resolved"].sum() / o["claims"].sum())
                                                  if o["claims"].sum() > 0 else 1.0)
        state.metrics["people_moved"] = float(moved.sum())
        state.metrics["claims_unfunded_usd"] = float(o["unfunded_usd"].sum())
        effects.update(claims_resolved=float(o["resolved"].sum()),
                       people_moved=float(moved.sum()), budget=c.budget())
    state.returns = r
    disp = float(r.flows.displaced.sum())
    state.metrics["returned_share"] = float(r.flows.returns.sum()) / disp if disp > 0 else 1.0
    state.metrics["displaced_remaining"] = disp - float(r.flows.returns.sum())
    censuses = {k: v for k, v in t.censuses.items() if k != NORMALISED}
    censuses[NORMALISED] = projected
    if cd and r.draws is not None:  # the census draws carry through: returns, then movers leave
        state.census_draws[NORMALISED] = np.maximum(r.draws.projected - moved[None], 0.0)
    new = replace(t, censuses=censuses)
    state.plan = replace(state.plan, territory_hash=new.content_hash)
    state.territory = new
    state.census = NORMALISED
    effects["censuses_added"] = [NORMALISED]
    return effects


def _census(step: Step, state: _State) -> dict[str, Any]:
    name = str(step.params.get("census", CENSUS_OF_RECORD))
    t = state.territory
    censuses = dict(t.censuses)
    censuses[name] = t.census(state.census)
    if state.census in state.census_draws:
        state.census_draws[name] = state.census_draws[state.census]
    new = replace(t, censuses=censuses)
    state.plan = replace(state.plan, territory_hash=new.content_hash)
    state.territory = new
    state.census = name
    return {"censuses_added": [name], "population": float(new.census(name).sum())}


def _referendum(step: Step, state: _State, inputs: SequenceInputs, rng: np.random.Generator,
                draws: int) -> dict[str, Any]:
    p = step.params
    scope: Any = inputs.scope
    if "scope" in p:
        scope = [str(u) for u in p["scope"]]
    nd = int(p.get("draws", draws))
    cdraws = state.census_draws.get(state.census) if nd else None
    bdraws = state.census_draws.get(inputs.baseline) if cdraws is not None else None
    r = simulate_referendum(state.territory, model=inputs.voting, census=state.census,
                            level=str(p.get("level", "district")), scope=scope,
                            eligibility=str(p.get("eligibility", "residents")),
                            baseline=inputs.baseline, normalisation=inputs.normalisation,
                            reference=state.plan, rule=str(p.get("rule", "plurality")),
                            draws=nd, rng=rng if nd else None, census_draws=cdraws,
                            baseline_draws=bdraws)
    state.referendum = r
    cert = 1.0 if r.probability is None else float(r.probability.max(axis=1).min())
    state.metrics["referendum_certainty"] = cert
    state.metrics["uncertain_areas"] = float(len(r.uncertain_areas()))
    wins: dict[str, int] = {}
    for k in range(len(r.area_ids)):
        wins[r.option_of(k)] = wins.get(r.option_of(k), 0) + 1
    return {"areas": len(r.area_ids), "outcomes": wins, "certainty": cert,
            "uncertain_areas": r.uncertain_areas(), "plan": None if r.plan is None else r.plan.name}


def _transfer(state: _State) -> dict[str, Any]:
    r = state.referendum
    if r is None or r.plan is None:
        raise ConfigError("a transfer step needs an earlier referendum step",
                          hint="put a referendum step before the transfer")
    before = unit_control(state.plan)
    after = unit_control(r.plan)
    changed = before != after
    pop = state.territory.population(state.census)
    state.plan = r.plan
    state.metrics["units_transferred"] = float(changed.sum())
    state.metrics["people_transferred"] = float(pop[changed].sum())
    return {"plan": r.plan.name, "units_transferred": int(changed.sum()),
            "people_transferred": float(pop[changed].sum()),
            "changes": sorted({f"{b} -> {a}" for b, a in zip(before[changed], after[changed],
                                                                strict=True)})}


def _elect(state: _State, inputs: SequenceInputs) -> dict[str, Any]:
    from dayafter.councils import simulate_councils

    if inputs.council_rules is None:
        raise InputDataError("an elect step needs council rules",
                             hint="pass council_rules in the sequence inputs")
    sim = simulate_councils(state.territory, state.plan, rules=inputs.council_rules,
                            census=state.census)
    state.councils = sim
    tot = sim.totals()
    return {"seats": {str(r["community"]): int(r["seats"]) for _, r in tot.iterrows()
                      if r["seats"] > 0}}


def run_sequence(settlement: Settlement, inputs: SequenceInputs, *,
                 rng: np.random.Generator | None = None, draws: int = 200,
                 census_draws: Any = None) -> SequenceResult:
    """Carry out a settlement's steps in order (see :mod:`dayafter.sequence.steps`).

    Parameters
    ----------
    settlement
        The steps.
    inputs
        Territory, plans and engine data (:class:`SequenceInputs`).
    rng
        Random generator for the draws of the returns and the referendum (a fixed seed when
        ``None``).
    draws
        Parameter draws for the returns' ranges and the referendum's probabilities (a
        referendum step's ``draws`` overrides it).
    census_draws
        Draws of the censuses (:class:`dayafter.uncertainty.CensusDraws`, or ``{census name:
        float64[d, n, g]}``): their number replaces ``draws``; the returns vary them and the
        draws of the projected census carry through the census step to the referendum.

    Returns
    -------
    SequenceResult

    Raises
    ------
    InputDataError
        Unknown starting plan; a step whose engine data is missing.
    """
    rng = rng if rng is not None else np.random.default_rng(0)
    name = settlement.plan or inputs.reference
    if name not in inputs.plans:
        raise InputDataError(f"settlement {settlement.name!r} starts from plan {name!r}, which the "
                             "inputs do not have", hint=f"use one of {sorted(inputs.plans)}")
    plan = inputs.plans[name]
    plan.check_territory(inputs.territory)
    state = _State(territory=inputs.territory, plan=plan, census=inputs.current,
                   forces=inputs.forces)
    if census_draws is not None:
        tables = census_draws.tables if hasattr(census_draws, "tables") else dict(census_draws)
        state.census_draws = {str(k): np.asarray(v, dtype=np.float64) for k, v in tables.items()}
        sizes = {v.shape[0] for v in state.census_draws.values()}
        if len(sizes) != 1:
            raise InputDataError(f"census draws of different sizes {sorted(sizes)}",
                                 hint="draw every census with the same number of draws")
        draws = sizes.pop()
    state.metrics["years"] = 0.0
    initial: dict[str, Any] = {}
    if settlement.initial_security == "assess" and inputs.forces is not None:
        initial = _assess_security(state, inputs, None)
    timeline: list[StepOutcome] = []
    stopped = False
    for step in settlement.steps:
        start = state.years
        if stopped:
            timeline.append(StepOutcome(step, "not reached", start, start))
            continue
        checks = tuple(_check(_named(c, inputs), state, inputs) for c in step.preconditions)
        failed = [c for c in checks if not c["passed"]]
        if failed and settlement.on_fail != "proceed":
            timeline.append(StepOutcome(step, "blocked", start, start, checks))
            if settlement.on_fail == "stop":
                stopped = True
            continue
        if step.kind == "normalise":
            effects = _normalise(step, state, inputs, rng, draws)
        elif step.kind == "census":
            effects = _census(step, state)
        elif step.kind == "referendum":
            effects = _referendum(step, state, inputs, rng, draws)
        elif step.kind == "transfer":
            effects = _transfer(state)
        elif step.kind == "deploy":
            effects = _assess_security(state, inputs, step)
        else:
            effects = _elect(state, inputs)
        state.years = start + step.years
        state.metrics["years"] = state.years
        effects = {**effects, "census_of_record": state.census, "plan": state.plan.name}
        status = "done despite failed preconditions" if failed else "done"
        timeline.append(StepOutcome(step, status, start, state.years, checks, effects))
    metrics = dict(state.metrics)
    if initial:
        metrics.setdefault("initial_secure_share", initial["secure_share"])
    return SequenceResult(settlement=settlement, timeline=tuple(timeline),
                          territory=state.territory, plan=state.plan, census=state.census,
                          returns=state.returns, claims=state.claims, referendum=state.referendum,
                          security=state.security, councils=state.councils, metrics=metrics)
