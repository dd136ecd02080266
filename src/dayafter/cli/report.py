"""``dayafter report PLAN [PLAN ...] --out dossier.html|dossier.pdf|dossier.xlsx``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from dayafter.cli._common import CaseOpt, console, open_project
from dayafter.errors import ConfigError, InputDataError
from dayafter.validation import PARAMETERS

if TYPE_CHECKING:
    from dayafter.project import Project


def report(
    plans: Annotated[list[str] | None, typer.Argument(
        help="Plan files (.json, .csv, .gpkg) or scenario names of the case.")] = None,
    out: Annotated[list[Path] | None, typer.Option(
        "--out", help="Output file: .html, .pdf or .xlsx (repeat for several formats).")] = None,
    case: CaseOpt = None,
    project: Annotated[Path | None, typer.Option("--project", help="Project GeoPackage instead of a case.")] = None,
    all_scenarios: Annotated[bool, typer.Option("--all-scenarios",
                                                help="Include every scenario of the case.")] = False,
    reference: Annotated[str | None, typer.Option(
        help="Reference plan to measure change from (default: the case's status quo).")] = None,
    no_reference: Annotated[bool, typer.Option("--no-reference", help="Leave out change from a reference.")] = False,
    ensemble: Annotated[Path | None, typer.Option(
        "--ensemble", help="Finished ensemble run directory (dayafter ensemble run --out).")] = None,
    criteria: Annotated[Path | None, typer.Option(help="Criteria file (YAML or JSON).")] = None,
    census: Annotated[list[str] | None, typer.Option("--census", help="Census to report (repeatable).")] = None,
    threshold: Annotated[float, typer.Option(help=PARAMETERS["threshold"].help())] = PARAMETERS["threshold"].default,
    councils: Annotated[str | None, typer.Option(
        "--councils", help="Simulate councils: 'case' (the rules the case ships; 'iraq-2023' is the same) or a rules file.")] = None,
    council_seats: Annotated[int | None, typer.Option(
        "--council-seats", help="Simulate a council of this fixed size in every region.")] = None,
    council_method: Annotated[str | None, typer.Option(
        "--council-method", help="Apportionment method for the councils.")] = None,
    security: Annotated[bool, typer.Option(
        "--security", help="Add force requirements, allocation and gaps (dayafter.security).")] = False,
    forces: Annotated[Path | None, typer.Option(
        "--forces", help="Forces JSON for --security (default: the case's).")] = None,
    per_1000: Annotated[float, typer.Option(
        "--per-1000", help="Security personnel per 1,000 residents.")] = 20.0,
    settle: Annotated[list[str] | None, typer.Option(
        "--settle", help="Add a settlement of the disputed units by this method (repeatable).")] = None,
    parties: Annotated[Path | None, typer.Option(
        "--parties", help="Parties JSON for --settle (default: the case's).")] = None,
    budget: Annotated[float, typer.Option(help="Outside compensation fund for --settle.")] = 0.0,
    compensation: Annotated[bool, typer.Option(
        "--compensation", help="Add, per plan, the compensation in money against the reference "
        "(indemnity and nash-reference, with an explanation per party; needs a parties file with "
        "a valuation).")] = False,
    article140: Annotated[str | None, typer.Option(
        "--article140", help="Add the Article 140 section: returns under this scenario, a "
                             "referendum by district on every census, claims and the case's "
                             "settlements (built-in case only).")] = None,
    horizon: Annotated[float, typer.Option(help="Years of returns for --article140.")] = 5.0,
    maps: Annotated[bool, typer.Option("--maps/--no-maps", help="Draw maps (needs geometry).")] = True,
    title: Annotated[str | None, typer.Option(help="Report title.")] = None,
    format: Annotated[str | None, typer.Option(
        "--format", help="html, pdf or xlsx when the --out name has another extension.")] = None,
    draws: Annotated[int, typer.Option(
        "--draws", help="Census draws: adds ranges, robust/fragile verdicts, pass shares and a "
        "sensitivity chart (0: none).")] = 0,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the census draws.")] = 0,
    json_out: Annotated[bool, typer.Option(
        "--json", help="Print the files written and the run manifest as JSON.")] = False,
) -> None:
    """Write a settlement dossier: maps, tables, criteria, comparison, ensemble context, provenance."""
    from dayafter.manifest import sha256_file
    from dayafter.report import (
        build_dossier,
        pdf_available,
        report_format,
        write_report,
    )

    if not out:
        raise InputDataError("no output file given", hint="pass --out dossier.html (or .pdf, .xlsx)")
    from dayafter.cli._uncertainty import check_draws

    check_draws(draws)
    for path in out:  # check every output before the (slow) work
        if report_format(path, format) == "pdf":
            ok, why = pdf_available()
            if not ok:
                raise ConfigError(f"cannot write {path}: {why}",
                                  hint="install the report extra, or write .html instead")
    from dayafter.report.dossier import project_context

    proj = open_project(case, project)
    t = proj.territory
    chosen = [proj.resolve_plan(s) for s in plans or []]
    if all_scenarios:
        chosen = list(proj.plans.values()) + [p for p in chosen if p.name not in proj.plans]
    kwargs: dict = project_context(proj)
    ref = kwargs.pop("reference")
    if not chosen:
        raise InputDataError("no plans to report", hint="name plans or pass --all-scenarios")
    if reference:
        ref = proj.resolve_plan(reference)
    if no_reference:
        ref = None
    if criteria is not None:
        from dayafter.criteria import criteria_from_spec
        from dayafter.io.specs import read_spec

        kwargs["criteria"] = criteria_from_spec(read_spec(criteria, what="criteria file"))
    if title:
        kwargs["title"] = title
    inputs: dict[str, str] = kwargs.pop("inputs", {})
    inputs.update({str(Path(s)): sha256_file(s)
                   for s in [*(plans or []), *([reference] if reference else [])] if Path(s).is_file()})
    if criteria is not None:
        inputs[str(criteria)] = sha256_file(criteria)
    ens = None
    if ensemble is not None:
        from dayafter.report import EnsembleContext

        ens = EnsembleContext.from_run(ensemble, t, censuses=census)
    rules = _council_rules(councils, council_seats, council_method, inputs, proj)
    assessment = catalog = None
    if security:
        from dayafter.security import allocate_forces, load_force_catalog

        path = forces or proj.require_data_file("security", "forces.json", option="--forces")
        inputs[str(path)] = sha256_file(path)
        catalog = load_force_catalog(path)
        assessment = {p.name: allocate_forces(t, catalog, plan=p, per_1000=per_1000,
                                              census=census[0] if census else None)
                      for p in chosen}  # the allocation follows each plan's control layer
    settlements = []
    if settle:

        from dayafter.settle import claims_from_spec
        from dayafter.settle import settle as run_settle

        path = parties or proj.require_data_file("settle", "parties.json", option="--parties")
        inputs[str(path)] = sha256_file(path)
        from dayafter._inputs import read_json_file

        spec = read_json_file(path, what="parties file")
        problem, _, _ = claims_from_spec(t, spec, census=census[0] if census else None,
                                         budget=budget, source=str(path))
        settlements = [run_settle(problem, m) for m in settle]
    extras = []
    if article140 is not None:
        if proj.case is None:
            raise ConfigError("--article140 needs the built-in case's data", hint="drop --project")
        from dayafter import cases
        from dayafter.report.article140 import case_article140_section

        extras.append(case_article140_section(cases.load(proj.case), article140,
                                              horizon=horizon, council_rules=proj.council_rules))
    comp = valuation = None
    units: list[str] = []
    settle_census = None
    if compensation:
        from dayafter.project import read_json
        from dayafter.settle import model_from_spec, plan_against_reference

        if ref is None:
            raise ConfigError("--compensation needs a reference plan", hint="pass --reference PLAN")
        path = parties or proj.require_data_file("settle", "parties.json", option="--parties")
        inputs[str(path)] = sha256_file(path)
        spec = read_json(path)
        valuation = model_from_spec(spec, source=str(path))
        known = set(t.unit_ids.tolist())
        units = [str(u) for u in spec.get("disputed_units", []) if str(u) in known]
        settle_census = census[0] if census else spec.get("census")
        comp = {p.name: plan_against_reference(t, valuation, units, p, ref, census=settle_census,
                                               budget=budget)[0]
                for p in chosen if p.name != ref.name}
    from dayafter.outcomes import EngineData, engines_needed
    from dayafter.settle import RELEASE_RULES

    # the engines the report runs (again on every census draw: their ranges), and those the
    # criteria read, from the project's data when no option gave it
    need = engines_needed(kwargs.get("criteria", []))
    engine_data = None
    if need or (draws and (rules is not None or catalog is not None or valuation is not None)):
        base = EngineData.from_project(proj) if need else EngineData()
        own = valuation is not None
        engine_data = EngineData(
            council_rules=rules if rules is not None or "councils" not in need else base.council_rules,
            forces=catalog if catalog is not None or "security" not in need else base.forces,
            valuation=valuation if own or "settle" not in need else base.valuation,
            disputed_units=units if own or "settle" not in need else base.disputed_units,
            reference=ref if own else base.reference if "settle" in need else None,
            per_1000=per_1000, budget=budget)
    dossier = build_dossier(
        t, chosen, reference=ref, ensemble=ens, councils=rules, threshold=threshold,
        security=assessment, settlements=settlements, compensation=comp, extras=extras,
        censuses=census, maps=maps, inputs=inputs, draws=draws, seed=seed,
        engine_data=engine_data, settle_census=settle_census,
        settle_rules=list(RELEASE_RULES) if compensation else None,
        parameters={"case": proj.case,
                    "project": str(project) if project is not None else None,
                    "per_1000": per_1000 if security else None,
                    "settle_methods": list(settle or []), "budget": budget if settle else None},
        **kwargs)
    err = console(stderr=True)
    for path in out:
        write_report(dossier, path, format=format)
        if not json_out:
            err.print(f"wrote {path}")
    if json_out:
        from dayafter.cli._common import print_json

        print_json({"written": [str(p) for p in out], "manifest": dict(dossier.manifest)})


def _council_rules(spec: str | None, seats: int | None, method: str | None,
                   inputs: dict[str, str], proj: Project) -> object | None:
    """Council rules from --councils (a name or a file), --council-seats and --council-method."""
    from dataclasses import replace

    if spec is None and seats is None:
        if method is not None:
            raise ConfigError("--council-method needs --councils or --council-seats",
                              hint="add --council-seats N")
        return None
    from dayafter.councils import CouncilRules

    if spec in ("case", "iraq-2023"):  # 'iraq-2023': the name the built-in case's rules had first
        if proj.council_rules is None:
            raise ConfigError(f"{proj.source} ships no council rules (councils/rules.json)",
                              hint="pass --councils FILE or --council-seats N")
        rules = proj.council_rules
    elif spec is not None:
        from dayafter.io.specs import read_spec
        from dayafter.manifest import sha256_file

        data = read_spec(spec)
        if not isinstance(data, dict):
            raise InputDataError("council rules must be a mapping of keys to values", source=spec)
        rules = CouncilRules.from_dict(data, source=spec)
        inputs[spec] = sha256_file(spec)
    else:
        rules = CouncilRules(size=seats, first_divisor=None)
    if seats is not None and spec is not None:
        rules = replace(rules, size=seats, admin=None, sizes={}, residents_per_seat=None)
    if method is not None:
        rules = replace(rules, method=method, first_divisor=None)
    return rules
