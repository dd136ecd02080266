"""``dayafter settle run|methods``: allocate disputed units among parties, with compensation."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from dayafter.cli._common import CaseOpt, ProjectOpt, console, open_project, print_json
from dayafter.errors import ConfigError, ConvergenceWarning, InputDataError

if TYPE_CHECKING:
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
}


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
    import math

    if not (math.isfinite(budget) and budget >= 0):
        raise ConfigError(f"--budget must be a sum of money >= 0, got {budget}",
                          hint="give the outside fund, e.g. --budget 1e8 (0: none)")
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
    if skipped:
        out.print(f"note: {len(skipped)} disputed units are not in the territory and were left "
                  f"out: {', '.join(skipped[:5])}{' ...' if len(skipped) > 5 else ''}")


@app.command("run")
def run_cmd(
    method: Annotated[list[str] | None, typer.Option(
        "--method", "-m", help="Method (repeatable; default every method that applies).")] = None,
    values: Annotated[Path | None, typer.Option(
        help="CSV of values entered by the user: unit_id, then one column per party (with "
        "--project, --case or --plan the ids must be units of that territory).")] = None,
    parties: Annotated[Path | None, typer.Option(
        help="Parties JSON (constituencies, authorities, disputed units); default: the case's.")] = None,
    case: CaseOpt = None,
    project: ProjectOpt = None,
    census: Annotated[str | None, typer.Option(help="Census for the derived values.")] = None,
    budget: Annotated[float, typer.Option(help="Outside compensation fund (donor money).")] = 0.0,
    resources: Annotated[Path | None, typer.Option(
        help="CSV unit_id,<party>,...: resource values added to the derived values.")] = None,
    population_weight: Annotated[float | None, typer.Option(
        help="Value of one constituency resident in the derived values (default 1).")] = None,
    split: Annotated[str, typer.Option(
        help="Adjusted Winner's split unit: 'shared' administration or 'money'.")] = "shared",
    plan: Annotated[str | None, typer.Option(
        help="Base plan (file or scenario) to apply the settlement to.")] = None,
    out: Annotated[Path | None, typer.Option(
        help="Write the resulting plan here (.json, .csv, .gpkg); needs --plan and one method.")] = None,
    authority: Annotated[list[str] | None, typer.Option(
        help="PARTY=AUTHORITY: authority of the regions a party's units join (repeatable; "
        "default: from the parties file, else the party's name).")] = None,
    time_limit: Annotated[float, typer.Option(
        help="Seconds for the MILP methods (max-nash-welfare, min-subsidy) before they return "
        "their best allocation with a warning.")] = 60.0,
    json_out: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Allocate the disputed units with each method and report transfers, envy and welfare."""
    import math

    from dayafter.settle import METHODS, adjusted_winner, settle, settlement_plan

    if not (math.isfinite(time_limit) and time_limit > 0):
        raise ConfigError(f"--time-limit must be a positive number of seconds, got {time_limit}",
                          hint="e.g. --time-limit 60")
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
    for k, s in enumerate(results):
        d = s.to_dict()
        d["label"] = _LABELS.get(s.method, s.method)
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
    if json_out:
        print_json(payload)
        return
    labels: dict[str, str] = {}
    if values is None or plan is not None:
        t = open_project(case, project).territory
        known = set(t.unit_ids.tolist())
        ids = [u for u in problem.unit_ids if u in known]
        labels = {u: t.unit_label(int(i)) for u, i in zip(ids, t.index(ids), strict=True)}
    for s in results:
        _print(s, skipped, labels)
    for w in caught:
        console().print(f"[yellow]warning: {w}[/yellow]")
    if out is not None:
        console().print(f"wrote {out}")


@app.command("compensate")
def compensate_cmd(
    plan: Annotated[str, typer.Option(help="Plan (file or scenario) whose allocation is priced.")],
    rule: Annotated[list[str] | None, typer.Option(
        "--rule", help="min-subsidy, knaster or efeq (repeatable; default all three).")] = None,
    values: Annotated[Path | None, typer.Option(
        help="CSV of values entered by the user: unit_id, then one column per party (units of "
        "the plan's territory).")] = None,
    parties: Annotated[Path | None, typer.Option(
        help="Parties JSON (constituencies, authorities, disputed units); default: the case's.")] = None,
    case: CaseOpt = None,
    project: ProjectOpt = None,
    census: Annotated[str | None, typer.Option(help="Census for the derived values.")] = None,
    budget: Annotated[float, typer.Option(help="Outside compensation fund (donor money).")] = 0.0,
    resources: Annotated[Path | None, typer.Option(
        help="CSV unit_id,<party>,...: resource values added to the derived values.")] = None,
    population_weight: Annotated[float | None, typer.Option(
        help="Value of one constituency resident in the derived values (default 1).")] = None,
    authority: Annotated[list[str] | None, typer.Option(
        help="PARTY=AUTHORITY (repeatable; default: from the parties file, else the name).")] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Price a plan's allocation of the disputed units: the money that makes it acceptable."""
    from dayafter.errors import InfeasibleError
    from dayafter.settle import compensate, owner_from_plan

    problem, authorities, skipped = _problem(values, parties, case, project, census, budget,
                                             resources, population_weight, plan)
    _set_authorities(authorities, authority, problem.parties)
    rules = list(rule) if rule else ["min-subsidy", "knaster", "efeq"]
    bad = [r for r in rules if r not in ("min-subsidy", "knaster", "efeq")]
    if bad:
        raise ConfigError(f"unknown compensation rules {bad}", hint="use min-subsidy, knaster, efeq")
    proj = open_project(case, project)
    t = proj.territory
    base = proj.resolve_plan(plan)
    sub, owner, left_out = owner_from_plan(problem, base, t, authorities=authorities)
    results, failures = [], {}
    for r in rules:
        try:
            results.append(compensate(sub, owner, rule=r))  # type: ignore[arg-type]
        except InfeasibleError as exc:
            if len(rules) == 1:
                raise
            failures[r] = exc.one_line()
    if not results:
        raise InfeasibleError("no compensation rule applies: " + "; ".join(failures.values()),
                              hint="raise the budget (--budget) or choose another rule")
    if json_out:
        print_json({"plan": base.name, "parties": list(sub.parties), "units": list(sub.unit_ids),
                    "left_out": left_out, "skipped_units": skipped,
                    "derivation": dict(problem.meta), "failures": failures,
                    "results": [s.to_dict() for s in results]})
        return
    known = set(t.unit_ids.tolist())
    ids = [u for u in sub.unit_ids if u in known]
    labels = {u: t.unit_label(int(i)) for u, i in zip(ids, t.index(ids), strict=True)}
    out = console()
    out.print(f"[bold]Allocation of plan {base.name}[/bold]: {len(sub.unit_ids)} disputed units")
    for s in results:
        _print(s, skipped, labels)
    for r, msg in failures.items():
        out.print(f"[red]{r}: {msg}[/red]")
    if left_out:
        out.print(f"note: {len(left_out)} disputed units are held by no party's authority in this "
                  f"plan and were left out: {', '.join(left_out[:8])}"
                  f"{' ...' if len(left_out) > 8 else ''}")


@app.command("methods")
def methods_cmd(json_out: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List the settlement methods."""
    if json_out:
        print_json(_LABELS)
        return
    for k, v in _LABELS.items():
        console().print(f"{k:20s} {v}")
