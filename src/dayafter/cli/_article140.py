"""Helpers shared by ``dayafter returns``, ``referendum``, ``claims`` and ``sequence``: engine
data from a built-in case or from files, security coverage, and the projected census."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
import typer

from dayafter.errors import ConfigError, InputDataError

if TYPE_CHECKING:
    from dayafter.plan import Plan
    from dayafter.project import Project
    from dayafter.returns import ReturnModel, ReturnsResult
    from dayafter.territory import Territory

from dayafter.cli._common import CaseOpt as CaseOpt
from dayafter.cli._common import ProjectOpt as ProjectOpt

SeedOpt = Annotated[int, typer.Option("--seed", help="Seed of the draws.")]
DrawsOpt = Annotated[int, typer.Option("--draws", min=0, help="Draws of the ranges (0: central values only).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]
CensusDrawsOpt = Annotated[bool, typer.Option(
    "--census-draws/--no-census-draws",
    help="Draw the censuses from their ranges too (dayafter.uncertainty), not only the model's "
         "parameters.")]
SecurityOpt = Annotated[str, typer.Option(
    "--security",
    help="Security coverage of the units: 'none' (not assessed), 'forces' (allocate the case's "
         "forces at --per-1000) or a CSV file unit_id,secure (1/0 or the covered share).")]


def case_name(case: str | None) -> str:
    """The built-in case's name (default :data:`dayafter.project.DEFAULT_CASE`)."""
    from dayafter.project import DEFAULT_CASE

    return case or DEFAULT_CASE


def return_model(model: Path | None, case: str | None) -> ReturnModel:
    """The return model from a folder, or the case's."""
    from dayafter.returns import case_return_model, load_return_model

    return load_return_model(model) if model is not None else case_return_model(case_name(case))


def reference_plan(plan: str | None, project: Project) -> Plan | None:
    """The named plan (a file or a plan of the project), or the project's reference plan
    (``None`` for a project without one)."""
    return project.resolve_plan(plan) if plan is not None else project.reference_plan


def read_coverage(path: Path, territory: Territory) -> dict[str, float]:
    """A CSV ``unit_id,secure`` with 1/0, yes/no or a covered share in [0, 1]."""
    from dayafter._inputs import read_csv_dicts

    rows = read_csv_dicts(path, what="security coverage table")
    if not rows or "unit_id" not in rows[0] or "secure" not in rows[0]:
        raise InputDataError("a security coverage table needs the columns unit_id and secure",
                             hint="write the header 'unit_id,secure'", source=str(path))
    out: dict[str, float] = {}
    for i, r in enumerate(rows, start=2):
        raw = (r.get("secure") or "").strip().lower()
        val = {"yes": 1.0, "true": 1.0, "no": 0.0, "false": 0.0}.get(raw)
        if val is None:
            try:
                val = float(raw)
            except ValueError:
                val = -1.0
        if not 0.0 <= val <= 1.0:
            raise InputDataError(f"row {i}: secure {r.get('secure')!r} is not yes/no or a share "
                                 "in [0, 1]", hint="write 1, 0, yes, no or the covered share",
                                 source=str(path))
        out[(r.get("unit_id") or "").strip()] = val
    territory.index(list(out), source=str(path))
    return out


def coverage(spec: str, project: Project, census: str, per_1000: float,
             plan: Plan | None = None) -> tuple[Any, str]:
    """Security coverage per unit of the project's territory for the returns and a one-line
    description."""
    territory = project.territory
    if spec == "none":
        return None, "security not assessed"
    if spec == "forces":
        from dayafter.security import allocate_forces, force_requirement

        cat = project.force_catalog
        if cat is None:
            raise InputDataError(f"{project.source} ships no forces file",
                                 hint="pass --security FILE.csv")
        req = force_requirement(territory, census=census, per_1000=per_1000)
        # security follows the plan's control (i18)
        a = allocate_forces(territory, cat, plan=plan, census=census, requirement=req)
        share = np.divide(a.covered, a.requirement, out=np.ones(territory.n_units),
                          where=a.requirement > 0)
        return np.clip(share, 0.0, 1.0), (f"security: the forces allocated at {per_1000:g} "
                                          f"per 1,000 on census {census} (share of the "
                                          "requirement covered)")
    path = Path(spec)
    if not path.exists():
        raise InputDataError(f"--security {spec!r} is neither none, forces nor a file",
                             hint="pass none, forces or a CSV unit_id,secure")
    return read_coverage(path, territory), f"security coverage from {path}"


def census_draws(territory: Territory, draws: int, seed: int, wanted: bool) -> Any:
    """Census draws from the territory's ranges (``None`` when not wanted or no draws)."""
    from dayafter.cli._uncertainty import check_draws

    check_draws(draws)
    if not wanted or draws <= 0:
        return None
    from dayafter.uncertainty import CensusModel

    return CensusModel(territory).draw(draws, seed=seed)


def project(territory: Territory, plan: Plan | None, *, model: ReturnModel, horizon: float,
            secure: Any, draws: int, seed: int, cdraws: Any = None, baseline: str = "baseline",
            current: str = "current", growth: Any = None) -> ReturnsResult:
    """Project returns (the CLI's one entry to the returns engine)."""
    from dayafter.cli._uncertainty import check_draws
    from dayafter.returns import project_returns

    check_draws(draws)
    if not 0 <= horizon <= 100:
        raise ConfigError(f"--horizon must lie in 0..100 years, got {horizon:g}",
                          hint="e.g. --horizon 5 (years after the current census)")

    cd = None
    if cdraws is not None:
        cd = {c: cdraws.census(c) for c in (baseline, current) if c in cdraws.census_names}
    return project_returns(territory, plan, model=model, horizon=horizon, secure=secure,
                           baseline=baseline, current=current, draws=draws, growth=growth,
                           rng=np.random.default_rng(seed) if draws else None,
                           census_draws=cd or None)


def fmt(v: Any, kind: str = "int") -> str:
    """A number for a table (``-`` when missing)."""
    if v is None or (isinstance(v, float) and not np.isfinite(v)):
        return "-"
    if kind == "pct":
        return f"{float(v):.1%}"
    if kind == "usd":
        return f"${float(v):,.0f}"
    return f"{float(v):,.0f}"
