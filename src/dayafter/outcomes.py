"""Engine outcomes of a plan that criteria read: councils per polity, security gaps, transfers.

:func:`engine_outputs` runs only the engines the criteria need (see
:attr:`dayafter.criteria.Criterion.engine`) and returns the
:class:`~dayafter.criteria.EngineOutputs` that :func:`dayafter.criteria.check_criteria` reads.
It sits above the engines (it imports them) and the project context (whose engine data
:meth:`EngineData.from_project` reads), and below the CLI, the web app and the report, which call
it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from dayafter.criteria import Criterion, EngineOutputs
from dayafter.errors import ConfigError

if TYPE_CHECKING:
    from dayafter.plan import Plan
    from dayafter.project import Project
    from dayafter.territory import Territory

__all__ = ["EngineData", "engine_draw_results", "engine_draws", "engine_outputs", "engines_available",
           "engines_needed"]


@dataclass(frozen=True)
class EngineData:
    """What the engines need: council rules, a force catalog, a valuation, disputed units and the
    reference plan (any may be ``None`` when no criterion needs it), the release rule and outside
    fund of the settlement, and the security personnel per 1,000 residents."""

    council_rules: Any = None
    forces: Any = None
    valuation: Any = None
    disputed_units: Sequence[str] = ()
    reference: Plan | None = None
    release_rule: str = "indemnity"
    per_1000: float = 20.0
    budget: float = 0.0

    @classmethod
    def from_project(cls, project: Project) -> EngineData:
        """The engine data a project ships: council rules (``councils/rules.json``), forces
        (``security/forces.json``), the valuation and disputed units of a version 2 parties file
        (``settle/parties.json``) and the reference plan; what it lacks stays ``None``.

        Examples
        --------
        >>> from dayafter.project import Project
        >>> data = EngineData.from_project(Project.from_case("northern-iraq"))
        >>> data.council_rules.method, data.reference.name == Project.from_case().reference
        ('sainte-lague', True)
        """
        from dayafter.settle import model_from_spec

        spec = project.parties_spec
        model = None
        units: list[str] = []
        if isinstance(spec, Mapping) and isinstance(spec.get("valuation"), Mapping):
            path = project.data_file("settle", "parties.json")
            model = model_from_spec(spec, source=str(path or f"{project.source}: settle/parties.json"))
            known = set(project.territory.unit_ids.tolist())
            units = [str(u) for u in spec.get("disputed_units", []) if str(u) in known]
        return cls(council_rules=project.council_rules, forces=project.force_catalog,
                   valuation=model, disputed_units=units, reference=project.reference_plan)


def engines_needed(criteria: Sequence[Criterion]) -> set[str]:
    """The engines whose outputs the criteria read."""
    return {c.engine for c in criteria if c.engine is not None}


def engines_available(data: EngineData) -> set[str]:
    """The engines ``data`` has what they need for: ``councils`` (council rules), ``security`` (a
    force catalog), ``settle`` (a valuation, disputed units and a reference plan)."""
    out = set()
    if data.council_rules is not None:
        out.add("councils")
    if data.forces is not None:
        out.add("security")
    if data.valuation is not None and data.reference is not None and data.disputed_units:
        out.add("settle")
    return out


def _check_data(need: set[str], data: EngineData) -> None:
    missing = need - engines_available(data)
    if "councils" in missing:
        raise ConfigError("criteria read council seats and no council rules were given",
                          hint="pass council rules (dayafter councils simulate --rules)")
    if "security" in missing:
        raise ConfigError("criteria read security gaps and no force catalog was given",
                          hint="pass a forces file (dayafter security run --forces)")
    if "settle" in missing:
        raise ConfigError("criteria read transfers and no valuation, disputed units or "
                          "reference plan was given",
                          hint="use a parties file with a valuation (version 2)")


def engine_outputs(
    territory: Territory,
    plan: Plan,
    criteria: Sequence[Criterion],
    data: EngineData,
    *,
    censuses: Sequence[str] | None = None,
) -> EngineOutputs | None:
    """Run the engines the criteria need on ``plan``; ``None`` when none is needed.

    Councils are simulated per polity on every census; security is allocated on the last census
    (the current one) following the plan's control layer; the settlement is ``release_rule``
    against the reference plan.

    Raises
    ------
    ConfigError
        When a needed engine has no data (no council rules, no forces, no valuation or reference).

    Examples
    --------
    >>> import numpy as np
    >>> from dayafter.councils import CouncilRules
    >>> from dayafter.plan import Plan, Region
    >>> from dayafter.testing.grids import grid_territory
    >>> t = grid_territory(1, 2, communities=np.array([[900.0, 100], [200, 800]]))
    >>> plan = Plan(np.array([0, 1]), (Region("W"), Region("E")), territory_hash=t.content_hash)
    >>> data = EngineData(council_rules=CouncilRules(size=9))
    >>> engine_outputs(t, plan, [Criterion("b-seat", "seats:b", min=1)], data).seats["census"].tolist()
    [[8, 1], [2, 7]]
    >>> engine_outputs(t, plan, [Criterion("few-stranded", "stranded", max=0.2)], data) is None
    True
    """
    need = engines_needed(criteria)
    if not need:
        return None
    _check_data(need, data)
    names = list(censuses) if censuses is not None else list(territory.census_names)
    councils = security = settlement = None
    if "councils" in need:
        from dayafter.councils import simulate_councils

        councils = simulate_councils(territory, plan, rules=data.council_rules, census=names)
    if "security" in need:
        from dayafter.security import allocate_forces

        security = allocate_forces(territory, data.forces, plan=plan, census=names[-1],
                                   per_1000=data.per_1000)
    if "settle" in need:
        from dayafter.settle import plan_against_reference

        reference = data.reference
        assert reference is not None  # _check_data: settle needs a reference
        res, _, _ = plan_against_reference(territory, data.valuation, data.disputed_units, plan,
                                           reference, rules=[data.release_rule],
                                           census=names[-1], budget=data.budget)
        settlement = res[data.release_rule]
    return EngineOutputs.collect(plan, councils=councils, security=security, settlement=settlement)


def engine_draw_results(
    territory: Territory,
    plan: Plan,
    data: EngineData,
    draws: Any,
    engines: Collection[str],
    *,
    censuses: Sequence[str] | None = None,
    census: str | None = None,
    settle_census: str | None = None,
    rules: Sequence[str] | None = None,
    max_lp: int = 100,
    max_solves: int = 1000,
) -> dict[str, Any]:
    """The engines' own results over census draws, for the engines named in ``engines``.

    Parameters
    ----------
    territory, plan
        The plan and its territory (the draws must come from it).
    data
        What the engines need (:class:`EngineData`).
    draws
        Census draws (:meth:`dayafter.uncertainty.CensusModel.draw`).
    engines
        Any of ``councils``, ``security``, ``settle``.
    censuses
        Censuses the councils are elected on (default: every census drawn).
    census
        The census security and the settlement are priced on (default: the last of ``censuses``,
        the current one).
    settle_census
        The settlement's census when it differs from ``census``.
    rules
        Release rules of the settlement (default: ``data.release_rule``).
    max_lp, max_solves
        Draws the security allocation LP and the settlement run on (the first ones).

    Returns
    -------
    dict
        ``councils``: :class:`dayafter.councils.draws.CouncilDraws`, ``security``:
        :class:`dayafter.security.draws.SecurityDraws`, ``settle``:
        :class:`dayafter.settle.draws.SettleDraws`, for the engines asked for.

    Raises
    ------
    ConfigError
        An unknown engine, or one whose data ``data`` lacks.

    Examples
    --------
    >>> import numpy as np
    >>> from dayafter.councils import CouncilRules
    >>> from dayafter.plan import Plan, Region
    >>> from dayafter.testing.grids import grid_territory
    >>> from dayafter.uncertainty import CensusModel
    >>> t = grid_territory(1, 2, communities=np.array([[900.0, 100], [200, 800]]))
    >>> plan = Plan(np.array([0, 1]), (Region("W"), Region("E")), territory_hash=t.content_hash)
    >>> data = EngineData(council_rules=CouncilRules(size=9))
    >>> out = engine_draw_results(t, plan, data, CensusModel(t).draw(20, seed=1), ["councils"])
    >>> sorted(out), out["councils"].seats["census"].shape
    (['councils'], (20, 2, 2))
    """
    unknown = set(engines) - {"councils", "security", "settle"}
    if unknown:
        raise ConfigError(f"unknown engines {sorted(unknown)}",
                          hint="use councils, security or settle")
    _check_data(set(engines), data)
    names = list(censuses) if censuses is not None else list(draws.census_names)
    cname = census if census is not None else names[-1]
    out: dict[str, Any] = {}
    if "councils" in engines:
        from dayafter.councils.draws import council_draws

        out["councils"] = council_draws(territory, plan, draws, rules=data.council_rules,
                                        census=names)
    if "security" in engines:
        from dayafter.security.draws import security_draws

        out["security"] = security_draws(territory, data.forces, plan, draws, census=cname,
                                         per_1000=data.per_1000, max_lp=max_lp)
    if "settle" in engines:
        from dayafter.settle.draws import settle_draws

        out["settle"] = settle_draws(territory, data.valuation, data.disputed_units, draws,
                                     census=settle_census if settle_census is not None else cname,
                                     plan=plan, reference=data.reference,
                                     rules=list(rules) if rules is not None else [data.release_rule],
                                     budget=data.budget, max_solves=max_solves)
    return out


def engine_draws(
    territory: Territory,
    plan: Plan,
    criteria: Sequence[Criterion],
    data: EngineData,
    draws: Any,
    *,
    censuses: Sequence[str] | None = None,
    max_lp: int = 100,
    max_solves: int = 1000,
) -> Any:
    """:func:`engine_outputs` over census draws: the engines the criteria need, run on every draw
    (councils) or on the first ``max_lp`` / ``max_solves`` draws (the security LP, the
    settlement), as :class:`dayafter.uncertainty.EngineDraws`; ``None`` when none is needed."""
    from dayafter.uncertainty import EngineDraws

    need = engines_needed(criteria)
    if not need:
        return None
    res = engine_draw_results(territory, plan, data, draws, need, censuses=censuses,
                              max_lp=max_lp, max_solves=max_solves)
    return EngineDraws.collect(councils=res.get("councils"), security=res.get("security"),
                               settlement=res.get("settle"), rule=data.release_rule)
