"""``dayafter settle run|methods``: allocate disputed units among parties, with compensation."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from dayafter.cli import _uncertainty as U
from dayafter.cli._common import CaseOpt, ProjectOpt, console, open_project, print_json
from dayafter.errors import ConfigError, ConvergenceWarning, InputDataError
from dayafter.validation import PARAMETERS as P
from dayafter.validation import SETTLE_METHODS, check_parameters

if TYPE_CHECKING:
    from dayafter.plan import Plan
    from dayafter.project import Project
    from dayafter.settle import ClaimsProblem, Settlement

app = typer.Typer(help="Settle competing claims on disputed units, with compensation.",
                  no_args_is_help=True)


_LABELS = {
    "max-nash-welfare": "Maximum Nash welfare (integral, no money)",
    "min-subsidy": "Envy-free with minimum outside subsidy (Halpern-Shah; Brustle et al.)",
    "ef-matching-rounds": "Envy-free by matching rounds, subsidy <= max value each (Brustle et al.)",
    "efeq-transfers": "Envy-free and equitable, budget-balanced transfers (Aziz 2021)",
    "adjusted-winner": "Adjusted Winner, two parties (Brams-Taylor), points",
    "knaster": "Knaster's sealed bids (Steinhaus 1948)",
    "indemnity": "Against the reference: every party paid what it releases, by those who gain",
    "nash-reference": "Against the reference: the parties concerned split the net gain equally (Nash)",
}
_ENVY_RULES = ("min-subsidy", "knaster", "efeq")
_ENVY_NOTE = ("this rule prices envy in the plan's allocation, not what each party held before: "
              "it does not compensate releases (indemnity and nash-reference do)")


def read_values_csv(path: Path, *, budget: float) -> ClaimsProblem:
    """A claims problem from a CSV: a ``unit_id`` column, then one column of values per party."""
    import numpy as np

    from dayafter._inputs import read_csv_rows
    from dayafter.settle import ClaimsProblem

    rows = read_csv_rows(path, what="values table")
    if len(rows) < 2 or len(rows[0]) < 3 or rows[0][0].strip().lower() != "unit_id":
        raise InputDataError("a values table needs a header 'unit_id,<party>,<party>,...' and "
                             "one row per disputed unit", source=str(path),
                             hint="write 'unit_id,federal,krg' and one row per unit")
    parties = [p.strip() for p in rows[0][1:]]
    units, vals = [], []
    for k, row in enumerate(rows[1:], start=2):
        if not row or not any(c.strip() for c in row):
            continue
        if len(row) != len(parties) + 1:
            raise InputDataError(f"row {k} has {len(row)} cells, expected {len(parties) + 1}",
                                 source=str(path), hint="give one value per party on every row")
        try:
            vals.append([float(c) if c.strip() else 0.0 for c in row[1:]])
        except ValueError:
            raise InputDataError(f"row {k} has a value that is not a number: {row[1:]}",
                                 source=str(path), unit_ids=[row[0]],
                                 hint="write plain numbers (0 for a unit a party does not want)") from None
        if not all(np.isfinite(x) and x >= 0 for x in vals[-1]):
            raise InputDataError(f"row {k} (unit {row[0].strip()!r}) has a value that is not finite and non-negative",
                                 source=str(path), unit_ids=[row[0].strip()],
                                 hint="units are goods here: give 0 to a unit a party does not want")
        units.append(row[0].strip())
    seen: dict[str, int] = {}
    for k, u in enumerate(units):
        if u in seen:
            raise InputDataError(f"unit {u!r} is listed twice", source=str(path), unit_ids=[u],
                                 hint="keep one row per unit (sum the values if both rows hold part of it)")
        seen[u] = k
    return ClaimsProblem(tuple(parties), tuple(units), np.array(vals).T, budget=budget,
                         meta={"source": str(path)})


def _problem(values: Path | None, parties: Path | None, case: str | None, project: Path | None,
             census: str | None, budget: float, resources: Path | None = None,
             population_weight: float | None = None, plan: str | None = None,
             ) -> tuple[ClaimsProblem, dict[str, str], list[str]]:
    check_parameters({"budget": budget, "population_weight": population_weight}, "settle")
    if values is not None:
        if resources is not None or population_weight is not None:
            raise ConfigError("--resources and --population-weight apply to derived values, "
                              "not to --values", hint="add resources to the values table itself")
        pr = read_values_csv(values, budget=budget)
        if case is not None or project is not None or plan is not None:
            # read against a territory, the ids are its units: an unknown id is a mistake, never ignored
            open_project(case, project).territory.index(list(pr.unit_ids), source=str(values))
        return pr, {p: p for p in pr.parties}, []
    from dayafter.settle import claims_from_spec

    proj = open_project(case, project)
    spec_path = parties or proj.data_file("settle", "parties.json")
    if spec_path is None:
        raise InputDataError(f"no values given and {proj.source} ships no parties file",
                             hint="pass --values VALUES.csv or --parties PARTIES.json")
    from dayafter._inputs import read_json_file

    spec = read_json_file(Path(spec_path), what="parties file")
    res = None
    if resources is not None:
        table = read_values_csv(resources, budget=0.0)
        proj.territory.index(list(table.unit_ids), source=str(resources))
        res = {p: dict(zip(table.unit_ids, table.values[i].tolist(), strict=True))
               for i, p in enumerate(table.parties)}
    t = proj.territory
    return claims_from_spec(t, spec, census=census, budget=budget, source=str(spec_path),
                            resources=res, population_weight=population_weight)


def _spec(parties: Path | None, proj: Project) -> tuple[dict[str, Any], Path]:
    """The parties file of ``--parties``, else the project's, parsed."""
    from dayafter.project import read_json

    spec_path = parties or proj.data_file("settle", "parties.json")
    if spec_path is None:
        raise InputDataError(f"no parties file given and {proj.source} ships none",
                             hint="pass --parties PARTIES.json")
    spec = read_json(Path(spec_path))
    if not isinstance(spec, dict):
        raise InputDataError("a parties file is a JSON object", source=str(spec_path))
    return spec, Path(spec_path)


def _reference_plan(reference: str | None, spec: dict[str, Any] | None, proj: Project) -> Plan:
    """The reference plan: --reference, else the parties file's, else the project's."""
    name = reference or (spec or {}).get("reference")
    if name:
        return proj.resolve_plan(str(name))
    if proj.reference_plan is not None:
        return proj.reference_plan
    raise ConfigError("no reference plan", hint="pass --reference PLAN")


def _set_authorities(authorities: dict[str, str], items: list[str] | None,
                     parties: tuple[str, ...]) -> None:
    for item in items or []:
        party, sep, auth = item.partition("=")
        if not sep or party not in parties or not auth:
            raise ConfigError(f"--authority {item!r} is not PARTY=AUTHORITY for a known party",
                              hint=f"parties are {list(parties)}")
        authorities[party] = auth


def _fmt(x: float) -> str:
    return f"{x:,.2f}" if abs(x) < 1000 else f"{x:,.0f}"


def _print(s: Settlement, skipped: list[str], labels: dict[str, str]) -> None:
    from rich.markup import escape
    from rich.table import Table

    out = console()
    pr = s.problem
    out.print(f"[bold]{escape(_LABELS.get(s.method, s.method))}[/bold]  [dim]({s.method})[/dim]")
    units = Table(title="Units")
    units.add_column("unit")
    units.add_column("holder")
    for p in pr.parties:
        units.add_column(f"value to {p}", justify="right")
    for j, u in enumerate(pr.unit_ids):
        o = s.owner[j]
        holder = pr.parties[o] if o >= 0 else "shared: " + ", ".join(
            f"{pr.parties[i]} {s.shares[i, j]:.3f}" for i in range(pr.n_parties) if s.shares[i, j] > 0)
        units.add_row(escape(labels.get(u, u)), escape(holder), *[_fmt(v) for v in pr.values[:, j]])
    out.print(units)
    tab = Table(title=f"Parties (values in {pr.value_unit or 'the units given'})")
    for col in ("party", "units held", "value held", "transfer", "utility", "proportionality",
                "max envy"):
        tab.add_column(col, justify="left" if col == "party" else "right")
    env = s.envy
    prop = s.proportionality
    for i, p in enumerate(pr.parties):
        tab.add_row(escape(p), str(int((s.owner == i).sum())), _fmt(s.values_held[i]),
                    _fmt(s.transfers[i]), _fmt(s.utilities[i]), f"{prop[i]:.3f}",
                    _fmt(max(0.0, float(env[i].max()))))
    out.print(tab)
    et = Table(title="Envy matrix: row's gain from swapping for column's units and money")
    et.add_column("")
    for p in pr.parties:
        et.add_column(escape(p), justify="right")
    for i, p in enumerate(pr.parties):
        et.add_row(escape(p), *[_fmt(float(x)) for x in env[i]])
    out.print(et)
    out.print(f"Nash welfare (product of values held): {s.nash_welfare:.6g}; envy-free: "
              f"{s.is_envy_free()}; outside money: {_fmt(s.outside_money)} "
              f"(budget {_fmt(pr.budget)}, {'within' if s.within_budget else 'OVER'} budget)")
    for n in s.notes:
        out.print(f"note: {escape(n)}")
    if "reference_shares" in s.meta:
        from dayafter.settle import explain

        for text in explain(s, labels=labels).values():
            out.print(escape(text))
    if skipped:
        out.print(f"note: {len(skipped)} disputed units are not in the territory and were left "
                  f"out: {', '.join(skipped[:5])}{' ...' if len(skipped) > 5 else ''}")


@app.command("run")
def run_cmd(
    method: Annotated[list[str] | None, typer.Option(
        "--method", "-m", help=P["settle_method"].doc + f": {', '.join(SETTLE_METHODS)} "
        "(repeatable; default every method that applies).")] = None,
    values: Annotated[Path | None, typer.Option(
        help="CSV of values entered by the user: unit_id, then one column per party (with "
        "--project, --case or --plan the ids must be units of that territory).")] = None,
    parties: Annotated[Path | None, typer.Option(
        help="Parties JSON (constituencies, authorities, disputed units); default: the case's.")] = None,
    case: CaseOpt = None,
    project: ProjectOpt = None,
    census: Annotated[str | None, typer.Option(help="Census for the derived values.")] = None,
    budget: Annotated[float, typer.Option(help=P["budget"].help())] = P["budget"].default,
    resources: Annotated[Path | None, typer.Option(
        help="CSV unit_id,<party>,...: resource values added to the derived values.")] = None,
    population_weight: Annotated[float | None, typer.Option(
        help=P["population_weight"].help())] = None,
    split: Annotated[str, typer.Option(help=P["split"].help())] = P["split"].default,
    plan: Annotated[str | None, typer.Option(
        help="Base plan (file or scenario) to apply the settlement to.")] = None,
    out: Annotated[Path | None, typer.Option(
        help="Write the resulting plan here (.json, .csv, .gpkg); needs --plan and one method.")] = None,
    authority: Annotated[list[str] | None, typer.Option(
        help="PARTY=AUTHORITY: authority of the regions a party's units join (repeatable; "
        "default: from the parties file, else the party's name).")] = None,
    time_limit: Annotated[float, typer.Option(help=P["time_limit"].help())] = P["time_limit"].default,
    reference: Annotated[str | None, typer.Option(
        help="Reference plan (what each party held): each method's allocation is also priced "
        "against it (indemnity, nash-reference). Default: the parties file's reference.")] = None,
    draws: U.DrawsOpt = 0,
    seed: U.SeedOpt = 0,
    max_solves: Annotated[int, typer.Option(
        "--max-solves", help=P["max_solves"].help() + " A MILP method can take seconds per draw."
    )] = P["max_solves"].default,
    json_out: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Allocate the disputed units with each method and report transfers, envy and welfare (with
    ranges over census draws: --draws)."""

    from dayafter.settle import METHODS, adjusted_winner, settle, settlement_plan

    U.check_draws(draws)
    if draws and values is not None:
        raise ConfigError("--draws varies the census behind the derived values; values entered "
                          "with --values do not depend on it", hint="drop --values or --draws")
    check_parameters({"split": split, "time_limit": time_limit, "max_solves": max_solves}, "settle run")
    problem, authorities, skipped = _problem(values, parties, case, project, census, budget,
                                             resources, population_weight, plan)
    _set_authorities(authorities, authority, problem.parties)
    methods = list(method) if method else [
        m for m in METHODS if m != "adjusted-winner" or problem.n_parties == 2]
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        raise ConfigError(f"unknown settlement methods {unknown}", hint=f"use {sorted(METHODS)}")
    if out is not None and (plan is None or len(methods) != 1):
        raise ConfigError("--out writes one resulting plan: give --plan and exactly one --method")
    results = []
    caught: list[str] = []
    for m in methods:
        with warnings.catch_warnings(record=True) as got:
            warnings.simplefilter("always", ConvergenceWarning)
            if m == "adjusted-winner":
                results.append(adjusted_winner(problem, split=split))  # type: ignore[arg-type]
            elif m in ("max-nash-welfare", "min-subsidy"):
                results.append(settle(problem, m, time_limit=time_limit))
            else:
                results.append(settle(problem, m))
        caught += [f"{m}: {w.message}" for w in got if issubclass(w.category, ConvergenceWarning)]
    payload: dict[str, Any] = {"parties": list(problem.parties), "units": list(problem.unit_ids),
                               "values": problem.values.tolist(), "value_unit": problem.value_unit,
                               "budget": problem.budget, "skipped_units": skipped,
                               "derivation": dict(problem.meta), "warnings": caught,
                               "results": []}
    plans = []
    if plan is not None:
        proj = open_project(case, project)
        t = proj.territory
        base = proj.resolve_plan(plan)
        for s in results:
            new = settlement_plan(base, t, s, authorities=authorities)
            plans.append(new)
    ref_shares = None
    ref_name = ""
    if values is None and problem.value_unit != "residents":
        from dayafter.settle import holdings_from_plan, model_from_spec

        proj = open_project(case, project)
        spec, spec_path = _spec(parties, proj)
        t = proj.territory
        ref_plan = _reference_plan(reference, spec, proj)
        ref_shares, unheld = holdings_from_plan(problem, ref_plan, t,
                                                model_from_spec(spec, source=str(spec_path)))
        ref_name = ref_plan.name
        payload["reference"] = {"plan": ref_name, "unheld": unheld}
    for k, s in enumerate(results):
        d = s.to_dict()
        d["label"] = _LABELS.get(s.method, s.method)
        if ref_shares is not None and s.problem is problem:
            from dayafter.settle import RELEASE_RULES, compensate_releases

            held = ref_shares.sum(axis=0) > 0
            d["against_reference"] = {
                rule: dict(zip(problem.parties, compensate_releases(
                    problem.restricted(held), s.shares[:, held], ref_shares[:, held], rule=rule,
                    reference_name=ref_name).transfers.tolist(), strict=True))
                for rule in RELEASE_RULES}
        if plans:
            new = plans[k]
            auth = new.authority_of_units()
            idx = t.index(list(problem.unit_ids))
            d["plan"] = {"name": new.name, "regions": [r.to_dict() for r in new.regions],
                         "authority": {u: str(auth[i]) for u, i in zip(problem.unit_ids, idx,
                                                                        strict=True)}}
        payload["results"].append(d)
    if out is not None:
        from dayafter.io.plans import write_plan

        write_plan(plans[0], t, out)
        payload["written"] = str(out)
    if draws:
        payload["uncertainty"] = _settle_draws(
            case, project, parties, census, budget, draws, seed, max_solves, methods=methods,
            options={m: {"time_limit": time_limit} for m in ("max-nash-welfare", "min-subsidy")}
            | {"adjusted-winner": {"split": split}})
    if json_out:
        print_json(payload)
        return
    labels: dict[str, str] = {}
    if values is None or plan is not None:
        t = open_project(case, project).territory
        known = set(t.unit_ids.tolist())
        ids = [u for u in problem.unit_ids if u in known]
        labels = {u: t.unit_label(int(i)) for u, i in zip(ids, t.index(ids), strict=True)}
    for k, s in enumerate(results):
        _print(s, skipped, labels)
        against = payload["results"][k].get("against_reference")
        if against:
            from dayafter.settle import format_money

            for rule, tr in against.items():
                console().print(f"against {ref_name}, {rule}: " + "; ".join(
                    f"{p} {format_money(x, problem.value_unit)}" for p, x in tr.items()))
    for w in caught:
        console().print(f"[yellow]warning: {w}[/yellow]")
    if out is not None:
        console().print(f"wrote {out}")
    if draws:
        U.print_settle_ranges(console(), payload["uncertainty"])


@app.command("compensate")
def compensate_cmd(
    plan: Annotated[str, typer.Option(help="Plan (file or scenario) whose allocation is priced.")],
    rule: Annotated[list[str] | None, typer.Option(
        "--rule", help="indemnity or nash-reference (against the reference plan: releases are "
        "paid), min-subsidy, knaster or efeq (envy-free pricing of the plan's allocation); "
        "repeatable; default all (the envy rules only with --values).")] = None,
    reference: Annotated[str | None, typer.Option(
        help="Reference plan (what each party held) for indemnity and nash-reference; default: "
        "the parties file's reference, else the case's.")] = None,
    values: Annotated[Path | None, typer.Option(
        help="CSV of values entered by the user: unit_id, then one column per party (units of "
        "the plan's territory).")] = None,
    parties: Annotated[Path | None, typer.Option(
        help="Parties JSON (constituencies, authorities, disputed units); default: the case's.")] = None,
    case: CaseOpt = None,
    project: ProjectOpt = None,
    census: Annotated[str | None, typer.Option(help="Census for the derived values.")] = None,
    budget: Annotated[float, typer.Option(help=P["budget"].help())] = P["budget"].default,
    resources: Annotated[Path | None, typer.Option(
        help="CSV unit_id,<party>,...: resource values added to the derived values (version 1 "
        "parties files).")] = None,
    population_weight: Annotated[float | None, typer.Option(
        help=P["population_weight"].help() + " Version 1 parties files.")] = None,
    authority: Annotated[list[str] | None, typer.Option(
        help="PARTY=AUTHORITY (repeatable; default: from the parties file, else the name).")] = None,
    sensitivity: Annotated[bool, typer.Option(
        help="Also rerun with each valuation weight at the low and high ends of its range.")] = False,
    draws: U.DrawsOpt = 0,
    seed: U.SeedOpt = 0,
    max_solves: Annotated[int, typer.Option(
        "--max-solves", help=P["max_solves"].help().replace("default 20", "default 1000"))] = 1000,
    json_out: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Price a plan's allocation of the disputed units: the money that makes it acceptable (with
    ranges over census draws for indemnity and nash-reference: --draws).

    indemnity and nash-reference measure each party's holdings against a reference plan (read
    from the plans' control layers), so a party that releases holdings is compensated; each party
    gets a plain-language explanation. min-subsidy, knaster and efeq price the plan's allocation
    by envy, without a reference.
    """
    from dayafter.errors import InfeasibleError
    from dayafter.settle import (
        RELEASE_RULES,
        compensate,
        explain,
        format_money,
        model_from_spec,
        owner_from_plan,
        plan_against_reference,
        weight_sensitivity,
    )

    check_parameters({"max_solves": max_solves}, "settle compensate")
    rules = list(rule) if rule else (
        [*_ENVY_RULES] if values is not None else [*RELEASE_RULES, *_ENVY_RULES])
    bad = [r for r in rules if r not in (*RELEASE_RULES, *_ENVY_RULES)]
    if bad:
        raise ConfigError(f"unknown compensation rules {bad}",
                          hint=f"use {', '.join((*RELEASE_RULES, *_ENVY_RULES))}")
    release_rules = [r for r in rules if r in RELEASE_RULES]
    envy_rules = [r for r in rules if r in _ENVY_RULES]
    U.check_draws(draws)
    if draws and not release_rules:
        raise ConfigError("--draws prices the release rules (indemnity, nash-reference) over census "
                          "draws", hint="add --rule indemnity or drop --draws")
    proj = open_project(case, project)
    t = proj.territory
    base = proj.resolve_plan(plan)
    payload: dict[str, Any] = {"plan": base.name, "results": [], "failures": {}}
    results = []
    labels_all = {u: t.unit_label(int(i)) for i, u in enumerate(t.unit_ids.tolist())}
    if release_rules:
        if values is not None:
            raise ConfigError("indemnity and nash-reference need the parties file's valuation "
                              "(money by components) and holdings read from the plans",
                              hint="drop --values, or use --rule min-subsidy/knaster/efeq")
        spec, spec_path = _spec(parties, proj)
        if not isinstance(spec.get("valuation"), dict):
            raise ConfigError("indemnity and nash-reference need a parties file with a "
                              "'valuation' (version 2)", source=str(spec_path),
                              hint="add a valuation, or use --rule min-subsidy/knaster/efeq")
        model = model_from_spec(spec, source=str(spec_path))
        known = set(t.unit_ids.tolist())
        units = [str(u) for u in spec.get("disputed_units", []) if str(u) in known]
        if not units:
            raise InputDataError("none of the disputed units is in the territory",
                                 source=str(spec_path), hint="check the unit ids")
        ref = _reference_plan(reference, spec, proj)
        cname = census if census is not None else spec.get("census")
        res, problem, left = plan_against_reference(t, model, units, base, ref, rules=release_rules,
                                                    census=cname, budget=budget)
        payload.update(reference=ref.name, units=list(problem.unit_ids), left_out=left,
                       value_unit=problem.value_unit, derivation=dict(problem.meta),
                       parties=list(problem.parties))
        for r in release_rules:
            st = res[r]
            d = st.to_dict()
            d["compensates_releases"] = True
            d["explanation"] = explain(st, labels=labels_all)
            d["delta"] = dict(zip(problem.parties, st.meta["delta"], strict=True))
            payload["results"].append(d)
            results.append(st)
        if sensitivity:
            payload["sensitivity"] = weight_sensitivity(t, model, units, base, ref,
                                                        rules=release_rules, census=cname)
        if draws:
            payload["uncertainty"] = _settle_draws(case, project, parties, cname, budget, draws,
                                                   seed, max_solves, plan=base, reference=ref,
                                                   rules=release_rules)
    if envy_rules:
        problem_e, authorities, skipped = _problem(values, parties, case, project, census, budget,
                                                   resources, population_weight, plan)
        _set_authorities(authorities, authority, problem_e.parties)
        sub, owner, left_out = owner_from_plan(problem_e, base, t, authorities=authorities)
        payload.setdefault("parties", list(sub.parties))
        payload["envy"] = {"units": list(sub.unit_ids), "left_out": left_out,
                           "skipped_units": skipped, "value_unit": sub.value_unit}
        for r in envy_rules:
            try:
                st = compensate(sub, owner, rule=r)  # type: ignore[arg-type]
            except InfeasibleError as exc:
                if len(rules) == 1:
                    raise
                payload["failures"][r] = exc.one_line()
                continue
            d = st.to_dict()
            d["compensates_releases"] = False
            d["notes"] = [*d["notes"], _ENVY_NOTE]
            payload["results"].append(d)
            results.append(st)
    if not results:
        raise InfeasibleError("no compensation rule applies: " + "; ".join(
            payload["failures"].values()), hint="raise the budget (--budget) or choose another rule")
    if json_out:
        print_json(payload)
        return
    out = console()
    out.print(f"[bold]Allocation of plan {base.name}[/bold]"
              + (f", against {payload['reference']}" if "reference" in payload else ""))
    for st in results:
        _print(st, [], labels_all)
        if st.method.startswith("compensate-"):
            out.print(f"note: {_ENVY_NOTE}")
    for r, msg in payload["failures"].items():
        out.print(f"[red]{r}: {msg}[/red]")
    if payload.get("left_out"):
        out.print(f"note: {len(payload['left_out'])} disputed units are held by no party in one of "
                  f"the plans and were left out: {', '.join(payload['left_out'][:8])}")
    if sensitivity and payload.get("sensitivity"):
        from rich.markup import escape
        from rich.table import Table

        rows = payload["sensitivity"]
        unit = payload["value_unit"]
        tab = Table(title=f"Transfers with each weight at the ends of its range ({unit})")
        for col in ("rule", "party", "base", "lowest", "highest", "weights that move it most"):
            tab.add_column(col, justify="left" if col in ("rule", "party", "weights that move it most")
                           else "right")
        for r in release_rules:
            for p in payload["parties"]:
                sel = [x for x in rows if x["rule"] == r and x["party"] == p]
                base_v = next(x["transfer"] for x in sel if x["parameter"] == "(base)")
                lo = min(sel, key=lambda x: x["transfer"])
                hi = max(sel, key=lambda x: x["transfer"])
                tab.add_row(r, escape(p), format_money(base_v, unit), format_money(lo["transfer"], unit),
                            format_money(hi["transfer"], unit),
                            escape(f"{lo['parameter']} {lo['end']}; {hi['parameter']} {hi['end']}"))
        out.print(tab)
    if draws and "uncertainty" in payload:
        U.print_settle_ranges(out, payload["uncertainty"])


@app.command("methods")
def methods_cmd(json_out: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List the settlement methods."""
    if json_out:
        print_json(_LABELS)
        return
    for k, v in _LABELS.items():
        console().print(f"{k:20s} {v}")


def _settle_draws(case: str | None, project: Path | None, parties: Path | None, census: str | None,
                  budget: float, draws: int, seed: int, max_solves: int, *,
                  methods: list[str] | None = None, plan: Any = None, reference: Any = None,
                  rules: list[str] | None = None,
                  options: dict[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """Transfers and allocations over census draws (dayafter.settle.draws), JSON-ready."""
    from dayafter.settle import model_from_spec
    from dayafter.settle.draws import settle_draws

    if max_solves < 1:
        raise ConfigError(f"--max-solves must be at least 1, got {max_solves}", hint="e.g. 20")
    proj = open_project(case, project)
    spec, spec_path = _spec(parties, proj)
    if not isinstance(spec.get("valuation"), dict):
        raise ConfigError("--draws needs a parties file with a 'valuation' (version 2): the values "
                          "must be derived from the census", source=str(spec_path))
    model = model_from_spec(spec, source=str(spec_path))
    t = proj.territory
    known = set(t.unit_ids.tolist())
    units = [str(u) for u in spec.get("disputed_units", []) if str(u) in known]
    cname = census if census is not None else spec.get("census") or t.census_names[0]
    cd = U.census_draws(t, draws, seed, [cname])
    sd = settle_draws(t, model, units, cd, census=cname, plan=plan, reference=reference,
                      rules=rules or (), methods=methods or (), budget=budget,
                      max_solves=min(max_solves, draws), options=options)
    return {"draws": cd.describe(), "settle": sd.summary()}
