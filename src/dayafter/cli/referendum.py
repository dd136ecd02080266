"""``dayafter referendum run|model``: a status referendum by unit, district or governorate."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from dayafter.cli._article140 import (
    CaseOpt,
    CensusDrawsOpt,
    DrawsOpt,
    JsonOpt,
    ProjectOpt,
    SeedOpt,
    case_name,
    census_draws,
    fmt,
    project,
    reference_plan,
    return_model,
)
from dayafter.cli._common import console, open_project, print_json
from dayafter.errors import InputDataError

app = typer.Typer(help="Status referendum: join the Kurdistan Region, stay federal or self-administer.",
                  no_args_is_help=True)
VotingOpt = Annotated[Path | None, typer.Option(
    "--voting", help="Folder with voting.csv, turnout.csv (and scope.csv, normalisation.csv); "
                     "default: the case's.")]


@app.command("run")
def run_cmd(
    census: Annotated[str, typer.Option(
        help="Census to vote on: a census of the territory, or 'projected' (after returns over "
             "--horizon years under --plan).")] = "current",
    level: Annotated[str, typer.Option(help="unit, district, governorate or scope (one vote).")] = "district",
    eligibility: Annotated[str, typer.Option(help="residents, origin or normalised (Article 140).")] = "residents",
    rule: Annotated[str, typer.Option(help="plurality or majority.")] = "plurality",
    plan: Annotated[str | None, typer.Option(help="Plan giving the status quo (default: the case's reference).")] = None,
    horizon: Annotated[float, typer.Option(min=0, help="Years of returns for --census projected.")] = 5.0,
    scope: Annotated[str | None, typer.Option(
        help="'all', a scope CSV (level,area) or comma-separated unit ids; default: the case's scope.")] = None,
    case: CaseOpt = None,
    project_path: ProjectOpt = None,
    voting: VotingOpt = None,
    draws: DrawsOpt = 500,
    seed: SeedOpt = 0,
    with_census_draws: CensusDrawsOpt = True,
    json_out: JsonOpt = False,
) -> None:
    """Hold the referendum and report each area's outcome, its probability and the pivotal units."""
    from rich.markup import escape
    from rich.table import Table

    from dayafter.referendum import (
        case_referendum_folder,
        load_normalisation,
        load_scope,
        load_voting_model,
        simulate_referendum,
    )

    proj = open_project(case, project_path)
    t = proj.territory
    ref = reference_plan(plan, proj)
    folder = voting if voting is not None else (case_referendum_folder(case_name(case))
                                                if project_path is None else None)
    if folder is None:
        raise InputDataError("a project has no voting assumptions", hint="pass --voting DIR")
    model = load_voting_model(folder)
    norm = load_normalisation(folder / "normalisation.csv") \
        if (folder / "normalisation.csv").is_file() else None
    mask = None
    if scope is None:
        if (folder / "scope.csv").is_file():
            mask = load_scope(folder / "scope.csv", t)
    elif scope != "all":
        mask = load_scope(Path(scope), t) if Path(scope).exists() else \
            np.isin(t.unit_ids, t.unit_ids[t.index([u.strip() for u in scope.split(",") if u.strip()],
                                                   source="--scope")])
    note = ""
    cd = census_draws(t, draws, seed, with_census_draws)
    tables = {} if cd is None else {c: cd.census(c) for c in cd.census_names}
    if census == "projected" and "projected" not in t.census_names:
        r = project(t, ref, model=return_model(None, case), horizon=horizon, secure=None,
                    draws=draws, seed=seed, cdraws=cd)
        t, plans = r.with_projection(t, [ref] if ref is not None else [])
        ref = plans[0] if plans else None
        if r.draws is not None and cd is not None:
            tables["projected"] = r.draws.projected
        note = f"projected census: returns within {horizon:g} years under {r.plan or 'no plan'}"
    res = simulate_referendum(t, model=model, census=census, level=level, scope=mask,
                              eligibility=eligibility, normalisation=norm, reference=ref, rule=rule,
                              draws=draws, rng=np.random.default_rng(seed) if draws else None,
                              census_draws=tables.get(census), baseline_draws=tables.get("baseline"))
    if json_out:
        d = res.to_dict()
        d["note"] = note
        d["seed"] = seed
        d["census_draws"] = None if cd is None else cd.describe()
        print_json(d)
        return
    c = console()
    c.print(f"[bold]Referendum by {level}[/bold] on census {census} ({eligibility} eligible, "
            f"{rule} rule, {res.n_draws} draws of the voting assumptions"
            f"{' and the censuses' if tables.get(census) is not None else ''})"
            f"{'; ' + escape(note) if note else ''}")
    c.print(escape(res.tie_rule))
    tab = Table()
    for col in ("area", "eligible", *res.options, "winner", "P(winner)", "margin", "status quo"):
        tab.add_column(col, justify="left" if col in ("area", "winner", "status quo") else "right")
    for a in res.areas():
        tab.add_row(escape(a["name"]), fmt(a["eligible"]),
                    *[fmt(a["shares"][o], "pct") for o in res.options], a["winner"],
                    fmt(a.get("certainty"), "pct"), fmt(a["margin"], "pct"), a["status_quo"] or "-")
    c.print(tab)
    piv = res.to_dict()["pivotal_units"][:10]
    if piv:
        c.print("pivotal units (leaving them out changes their area's outcome, share of draws): "
                + ", ".join(f"{p['unit_id']} {p['probability']:.0%}" for p in piv))
    if res.plan is not None:
        c.print(f"resulting plan: {escape(res.plan.name)}; control "
                + ", ".join(f"{k} {v}" for k, v in res.plan.control_summary().items()))


@app.command("model")
def model_cmd(
    case: CaseOpt = None,
    voting: VotingOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Show the vote shares and turnouts by community with their ranges and sources."""
    from rich.markup import escape
    from rich.table import Table

    from dayafter.referendum import case_referendum_folder, load_voting_model

    m = load_voting_model(voting or case_referendum_folder(case_name(case)))
    if json_out:
        print_json(m.to_dict())
        return
    c = console()
    c.print(f"[bold]{escape(m.name)}[/bold]; voting-age share {m.adult_share.value:g}")
    t = Table()
    for col in ("community", "turnout", *m.options, "sources"):
        t.add_column(col)
    for comm, tau, row in zip(m.communities, m.turnout, m.shares, strict=True):
        srcs = sorted({s for e in (tau, *row) for s in e.sources})
        t.add_row(comm, f"{tau.value:.0%} [{tau.low:.0%}-{tau.high:.0%}]",
                  *[f"{e.value:.0%} [{e.low:.0%}-{e.high:.0%}]" for e in row], ", ".join(srcs))
    c.print(t)
