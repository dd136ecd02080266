"""``dayafter returns project|model``: who returns where under a plan and a horizon."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from dayafter.cli._article140 import (
    CaseOpt,
    CensusDrawsOpt,
    DrawsOpt,
    JsonOpt,
    ProjectOpt,
    SecurityOpt,
    SeedOpt,
    census_draws,
    coverage,
    fmt,
    project,
    reference_plan,
    return_model,
)
from dayafter.cli._common import console, open_project, print_json

app = typer.Typer(help="Returns of the displaced: a projected census under a plan and a horizon.",
                  no_args_is_help=True)
ModelOpt = Annotated[Path | None, typer.Option(
    "--model", help="Return model folder (model.json, parameters.csv, calibration.csv); "
                    "default: the case's.")]


@app.command("project")
def project_cmd(
    plan: Annotated[str | None, typer.Option(help="Plan (file or scenario); default: the case's reference.")] = None,
    horizon: Annotated[float, typer.Option(min=0, help="Years after the current census.")] = 5.0,
    case: CaseOpt = None,
    project_path: ProjectOpt = None,
    model: ModelOpt = None,
    baseline: Annotated[str, typer.Option(help="Pre-displacement census (the right-of-return reference).")] = "baseline",
    current: Annotated[str, typer.Option(help="Census the projection starts from.")] = "current",
    growth: Annotated[str, typer.Option(
        help="Growth of the baseline to the current census: 'territory' (the total's), an admin "
             "level such as 'governorate' (each admin unit's own), or a number.")] = "territory",
    security: SecurityOpt = "none",
    per_1000: Annotated[float, typer.Option("--per-1000", help="Security requirement for --security forces.")] = 20.0,
    draws: DrawsOpt = 200,
    seed: SeedOpt = 0,
    with_census_draws: CensusDrawsOpt = True,
    top: Annotated[int, typer.Option(help="Flows to list (largest returns first).")] = 20,
    out: Annotated[Path | None, typer.Option(
        help="Write the projected census as CSV (census,unit_id,<communities>).")] = None,
    json_out: JsonOpt = False,
) -> None:
    """Project the census after returns: who returns where, with ranges over draws."""
    from rich.markup import escape
    from rich.table import Table

    proj = open_project(case, project_path)
    t = proj.territory
    p = reference_plan(plan, proj)
    m = return_model(model, case)
    sec, sec_text = coverage(security, proj, current, per_1000, p)
    cd = census_draws(t, draws, seed, with_census_draws)
    try:
        g: Any = float(growth)
    except ValueError:
        g = growth
    r = project(t, p, model=m, horizon=horizon, secure=sec, draws=draws, seed=seed, cdraws=cd,
                baseline=baseline, current=current, growth=g)
    if out is not None:
        from dayafter.io.atomic import atomic_write_text

        lines = ["census,unit_id," + ",".join(t.communities)]
        for i, u in enumerate(t.unit_ids.tolist()):
            lines.append("projected," + u + "," + ",".join(f"{x:.0f}" for x in r.projected[i]))
        atomic_write_text(out, "\n".join(lines) + "\n")
    if json_out:
        d = r.to_dict(top=top)
        d["security"] = sec_text
        d["seed"] = seed
        d["census_draws"] = None if cd is None else cd.describe()
        print_json(d)
        return
    c = console()
    tot = r.totals()
    rng = (f" at the central values; median {fmt(tot['returns_p50'])}, {fmt(tot['returns_p05'])} to "
           f"{fmt(tot['returns_p95'])} over {r.n_draws} draws of the model's ranges"
           f"{' and the censuses' if cd is not None else ''}" if r.n_draws else "")
    c.print(f"[bold]Returns[/bold] under {escape(r.plan or 'no plan')} within {horizon:g} years of "
            f"the current census; {escape(sec_text)}.")
    c.print(f"displaced {fmt(tot['displaced'])}; returns {fmt(tot['returns'])}{rng}; "
            f"from outside the territory {fmt(tot['from_outside'])}")
    ct = Table(title="By community")
    for col in ("community", "displaced", "returns", "p05", "p50", "p95", "share returning",
                "from outside"):
        ct.add_column(col, justify="left" if col == "community" else "right")
    for row in r.by_community():
        if row["displaced"] <= 0:
            continue
        ct.add_row(row["community"], fmt(row["displaced"]), fmt(row["returns"]),
                   fmt(row.get("returns_p05")), fmt(row.get("returns_p50")),
                   fmt(row.get("returns_p95")),
                   fmt(row["return_share"], "pct"), fmt(row["from_outside"]))
    c.print(ct)
    ut = Table(title=f"Who returns where (top {top})")
    for col in ("unit", "community", "control", "returns", "p05-p95", "displaced", "propensity"):
        ut.add_column(col, justify="left" if col in ("unit", "community", "control") else "right")
    for row in r.by_unit(top=top, min_returns=0.5):
        if row["returns"] <= 0:
            continue
        band = (f"{fmt(row['returns_p05'])}-{fmt(row['returns_p95'])}" if "returns_p05" in row else "")
        ut.add_row(escape(row["unit"]), row["community"], row["control"], fmt(row["returns"]), band,
                   fmt(row["displaced"]), fmt(row["propensity"], "pct"))
    c.print(ut)
    if out is not None:
        c.print(f"projected census written to {escape(str(out))}")


@app.command("model")
def model_cmd(
    case: CaseOpt = None,
    model: ModelOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Show the return model: calibration, ceilings, factors and their sources."""
    from rich.markup import escape
    from rich.table import Table

    m = return_model(model, case)
    d = m.to_dict()
    if json_out:
        print_json(d)
        return
    c = console()
    c.print(f"[bold]{escape(m.name)}[/bold]: current census year {m.census_year:g}")
    t = Table(title="Per community")
    for col in ("community", "calibrated on", "hazard /yr", "ceiling", "still to return", "returns began"):
        t.add_column(col, justify="left" if col in ("community", "calibrated on") else "right")
    for row in d["communities"]:
        ce = row["ceiling"]
        t.add_row(row["community"], row["calibration"], f"{row['hazard']:.3f}",
                  f"{ce['value']:.2f} [{ce['low']:.2f}-{ce['high']:.2f}]",
                  fmt(row["ceiling_now"], "pct"), f"{row['returns_start']['value']:.1f}")
    c.print(t)
    o = Table(title="Published figures the model is calibrated on")
    for col in ("id", "community", "place", "date", "returned share", "years", "sources"):
        o.add_column(col)
    for obs in m.observations:
        o.add_row(obs.obs_id, obs.community, escape(obs.place), obs.date,
                  f"{obs.share.value:.2f} [{obs.share.low:.2f}-{obs.share.high:.2f}]",
                  f"{obs.years.value:g}", ", ".join(obs.sources))
    c.print(o)
    k = Table(title="Published figures against the model (checks are not used to calibrate)")
    for col in ("id", "community", "place", "observed", "model", "model p05-p95", "use"):
        k.add_column(col, justify="right" if col in ("observed", "model", "model p05-p95") else "left")
    for row in d["checks"]:
        k.add_row(row["obs_id"], row["community"], escape(row["place"]), fmt(row["observed"], "pct"),
                  fmt(row["predicted"], "pct"),
                  f"{row['predicted_p05']:.0%}-{row['predicted_p95']:.0%}",
                  "calibrates" if row["calibrates"] else "check")
    c.print(k)
    f = Table(title="Factors on the return hazard (1 where none is listed)")
    for col in ("control", "community", "factor", "basis"):
        f.add_column(col)
    for ctrl, tab in m.control_factors.items():
        for comm, e in tab.items():
            f.add_row(ctrl, comm, f"{e.value:g} [{e.low:g}-{e.high:g}]", escape(e.basis))
    f.add_row("(no acceptable security)", "all", f"{m.insecure_factor.value:g} "
              f"[{m.insecure_factor.low:g}-{m.insecure_factor.high:g}]", escape(m.insecure_factor.basis))
    c.print(f)
