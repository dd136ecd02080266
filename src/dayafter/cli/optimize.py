"""``dayafter optimize run|pareto``: optimized plans from a YAML/JSON specification.

A negotiation starts from a plan (``start:`` in the spec, or ``--start``): its regions keep their
names and authorities, only the ``movable`` units (``--movable governorate=IQG15``, unit ids, or
``disputed`` for the case's disputed units) may change region, within a move ``budget``
(``--budget-units``, ``--budget-people``). The result is a plan of the whole territory.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from dayafter.cli._common import (
    CaseOpt,
    ProjectOpt,
    console,
    err_line,
    errors_name,
    open_project,
    print_json,
)
from dayafter.errors import ConfigError

if TYPE_CHECKING:
    from dayafter.territory import Territory

app = typer.Typer(help="Optimize plans: heuristics (annealing, short bursts) and exact MIP.",
                  no_args_is_help=True)

SpecArg = Annotated[Path, typer.Argument(help="Specification (YAML or JSON): regions, maximize, "
                                              "minimize, constraints.")]
SubsetOpt = Annotated[str | None, typer.Option(
    "--subset", help="Optimize only these units, e.g. governorate=IQG15,IQG09: with a start plan "
                     "they are the movable units; without one the spec's regions are drawn in "
                     "them and the rest keeps the case's reference plan.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output on stdout.")]
ProgressOpt = Annotated[bool, typer.Option(
    "--progress/--no-progress", help="Progress on stderr, refreshed every second (Ctrl-C stops the "
                                     "search and keeps the best plan so far).")]


def _territory(case: str | None, project: Path | None, subset: str | None) -> Territory:
    t = open_project(case, project).territory
    if subset:
        from dayafter.optimize.subset import subset_territory

        level, _, codes = subset.partition("=")
        if not codes:
            raise ConfigError(f"--subset {subset!r} must read LEVEL=CODE[,CODE...]",
                              hint="e.g. --subset governorate=IQG15")
        t = subset_territory(t, level=level.strip(),
                             codes=[c.strip() for c in codes.split(",") if c.strip()])
    return t


def _spec(path: Path) -> dict[str, Any]:
    from dayafter.io.specs import read_spec

    spec = read_spec(path, what="optimize spec")
    if not isinstance(spec, dict):
        raise ConfigError("an optimization spec must be a mapping", source=str(path),
                          hint="write 'regions: 3' and 'maximize: [...]' lines")
    return spec


def _disputed(proj: Any) -> list[str]:
    """The project's disputed units (its ``settle/parties.json``)."""
    from dayafter.errors import InputDataError

    spec = proj.parties_spec
    if not spec or not spec.get("disputed_units"):
        raise InputDataError("movable: disputed needs the project's list of disputed units "
                             "(settle/parties.json), and it has none",
                             hint="list the units, or use a filter such as governorate=IQG15")
    return [str(u) for u in spec["disputed_units"]]


def _start_plan(d: dict[str, Any], spec_path: Path, proj: Any, start: str | None) -> Any:
    """The start plan the spec (or ``--start``) names: a scenario, a plan file (relative to the
    spec), optionally split (``start: {from: ..., split: ...}``)."""
    from dayafter.optimize.problem import split_start

    spec_start = start if start is not None else d.get("start")
    if spec_start is None:
        return None
    split = None
    if isinstance(spec_start, dict):
        split = spec_start.get("split")
        bad = set(spec_start) - {"from", "split"}
        if bad or "from" not in spec_start:
            raise ConfigError("start must name a plan, or be {from: <plan>, split: {...}}",
                              source=str(spec_path))
        spec_start = spec_start["from"]
    name = str(spec_start)
    near = spec_path.parent / name
    plan = proj.resolve_plan(near if near.exists() else name)
    return split_start(plan, proj.territory, split) if split is not None else plan


def _report_line(res: Any) -> str:
    ch = res.change
    if not ch:
        return ""
    ids = ch.get("unit_ids", [])
    return (f"changed from the start plan (by {ch['by']}): {ch['units']} units, "
            f"{ch['people']:,.0f} people" + (f": {', '.join(ids[:8])}"
                                             + (f" and {len(ids) - 8} more" if len(ids) > 8
                                                else "") if ids else ""))


def _progress(enabled: bool):
    """Pareto fronts: one line per point on stderr."""
    if not enabled:
        return None

    def report(ev: Any) -> None:
        err_line(f"{ev.task}  {ev.elapsed:6.1f}s  {ev.message}")

    return report


@app.command("run")
def run_cmd(
    spec: SpecArg,
    case: CaseOpt = None,
    project: ProjectOpt = None,
    subset: SubsetOpt = None,
    start: Annotated[str | None, typer.Option("--start", help="Start plan of a negotiation (scenario or plan file); overrides the spec's start.")] = None,
    movable: Annotated[str | None, typer.Option("--movable", help="Units that may change region: LEVEL=CODE[,CODE], unit ids (comma-separated) or disputed.")] = None,
    budget_units: Annotated[int | None, typer.Option("--budget-units", help="Most units that may change region (or authority) from the start plan.")] = None,
    budget_people: Annotated[float | None, typer.Option("--budget-people", help="Most people who may change region (or authority) from the start plan.")] = None,
    budget_change: Annotated[str | None, typer.Option("--budget-change", help="What counts as a change: region or authority.")] = None,
    draws: Annotated[int | None, typer.Option("--draws", help="Robust over census uncertainty: also optimize on this many draws of each census from its stated ranges (the best worst case, or the best mean with 'combine: weighted' in the spec); overrides the spec's draws.")] = None,
    draw_seed: Annotated[int | None, typer.Option("--draw-seed", help="Seed of the census draws (default 0, the workbench's ranges).")] = None,
    method: Annotated[str, typer.Option(help="auto (bursts, then MIP), anneal, bursts or mip.")] = "auto",
    time_limit: Annotated[float, typer.Option("--time-limit", help="Seconds in all.")] = 60.0,
    steps: Annotated[int, typer.Option(help="Heuristic steps per restart.")] = 200_000,
    restarts: Annotated[int, typer.Option(help="Heuristic restarts.")] = 4,
    seed: Annotated[int, typer.Option(help="Seed of the heuristics.")] = 0,
    name: Annotated[str | None, typer.Option(help="Name of the plan (default from the spec).")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write the plan (.json, .csv, .gpkg).")] = None,
    json_out: JsonOpt = False,
    progress: ProgressOpt = True,
) -> None:
    """Find the best plan for a specification; the objective values, the census optimized and the
    certificate (bound, gap) go into the plan's notes. The plan covers the whole territory, with
    its regions' names and authorities. Exit code 4 when no plan meets the constraints."""
    import numpy as np

    from dayafter.cli._progress import cli_progress
    from dayafter.optimize.api import optimize
    from dayafter.optimize.problem import Problem

    proj = open_project(case, project)
    t_full = proj.territory
    d = _spec(spec)
    d.pop("second", None)
    if name:
        d["name"] = name
    start_plan = _start_plan(d, spec, proj, start)
    d.pop("start", None)
    if movable is not None:
        d["movable"] = movable
    if start_plan is not None and subset is not None and d.get("movable") is None:
        d["movable"] = subset
    if d.get("movable") == "disputed":
        d["movable"] = _disputed(proj)
    if budget_units is not None or budget_people is not None or budget_change is not None:
        b = dict(d.get("budget") or {})
        if budget_units is not None:
            b["units"] = budget_units
        if budget_people is not None:
            b["people"] = budget_people
        if budget_change is not None:
            b["change"] = budget_change
        d["budget"] = b
    if draws is not None or draw_seed is not None:
        dd = d.get("draws")
        dd = dict(dd) if isinstance(dd, dict) else ({} if dd is None else {"n": dd})
        if draws is not None:
            dd["n"] = draws
        if draw_seed is not None:
            dd["seed"] = draw_seed
        d["draws"] = dd
        d.setdefault("combine", "worst")
    t = t_full
    mask = None
    base = None
    if subset and start_plan is None:
        from dayafter.optimize.subset import select_units, subset_territory

        mask, _label = select_units(t_full, subset, what="--subset")
        t = subset_territory(t_full, mask)
        base = proj.reference_plan
        if base is None:
            raise ConfigError("--subset without a start plan needs the project's reference plan "
                              "(the plan kept around the subset)", hint="give --start PLAN")
    with errors_name(spec):
        problem = Problem.from_dict(d, start=start_plan)
        problem.compile(t)  # names, bounds and quick feasibility, blamed on the spec
    with cli_progress(progress and not json_out, "optimize") as (report, token):
        res = optimize(problem, t, method=method, time_limit=time_limit, seed=seed, steps=steps,
                       restarts=restarts, progress=report, cancel=token)
    plan = res.plan
    if mask is not None and base is not None:
        # the regions drawn in the subset, the rest of the project's reference plan around them
        from dayafter.optimize.subset import embed_plan

        plan = embed_plan(t_full, mask, plan, base, name=plan.name)
        plan = plan.renamed(plan.name, plan.notes + f" Regions drawn in {subset}; the rest is "
                            f"{base.name!r}.")
    cancelled = bool(res.stats.get("cancelled")) or res.status == "cancelled"
    if out is not None:
        from dayafter.io.plans import write_plan

        write_plan(plan, t_full, out)
    if json_out:
        d_out = res.to_dict()
        d_out["territory"] = t_full.name
        d_out["notes"] = plan.notes
        d_out["regions"] = [{**r.to_dict(), "units": [str(u) for u in
                                                       t_full.unit_ids[plan.assignment == j]]}
                            for j, r in enumerate(plan.regions)]
        d_out["cancelled"] = cancelled
        if out is not None:
            d_out["out"] = str(out)
        print_json(d_out)
        if not res.feasible:
            raise typer.Exit(4)
        return
    from rich.markup import escape
    from rich.table import Table

    con = console()
    con.print(f"[bold]{escape(plan.name)}[/bold] on {escape(t_full.name)} ({t_full.n_units} units"
              + (f", {int(np.sum(mask))} optimized" if mask is not None else "")
              + f"), method {res.method}: objective [bold]{res.objective:.6g}[/bold] on census "
              f"{escape(res.census)}" + ("" if res.feasible else " [red](constraints not met)[/red]")
              + (" [yellow](stopped early)[/yellow]" if cancelled else ""))
    tab = Table(title="Objective terms")
    tab.add_column("term")
    tab.add_column("weight", justify="right")
    tab.add_column("value", justify="right")
    weights = {tm.label: tm.weight for tm in problem.objective.terms}
    for label, v in res.values.items():
        tab.add_row(escape(label), f"{weights.get(label.split('/')[-1], 0):g}", f"{v:.6g}")
    con.print(tab)
    if len(res.census_objectives) > 1:
        con.print("by census: " + ", ".join(f"{escape(c)} {v:.6g}"
                                            for c, v in res.census_objectives.items()))
    line = _report_line(res)
    if line:
        con.print(escape(line))
    regs = Table(title="Regions")
    for col in ("region", "authority", "units"):
        regs.add_column(col, justify="right" if col == "units" else "left")
    sizes = np.bincount(plan.assignment[plan.assignment >= 0], minlength=plan.k)
    for j, r in enumerate(plan.regions):
        regs.add_row(escape(r.name), escape(r.authority), str(int(sizes[j])))
    con.print(regs)
    if res.bound is not None:
        con.print(f"MIP {res.status}: bound {res.bound:.6g}, gap {res.gap:.3%}")
        cb = res.stats.get("census_bounds")
        if cb:
            con.print("  bound by census alone: " + ", ".join(
                f"{escape(c)} <= {v:.6g}" for c, v in cb.items()))
        dec = res.stats.get("decomposition")
        if dec:
            terms = ", ".join(f"{escape(d['community'])} <= {d['bound']:.6g} ({d['status']})"
                              for d in dec["terms"])
            con.print(f"  bound by community (packing relaxation, {dec['elapsed']:.1f}s): "
                      f"{dec['sum']:.6g} = {terms}")
            if dec.get("joint"):
                con.print(f"  regions of {escape(', '.join(dec['joint']))} made disjoint by "
                          f"branching ({dec['branches']} branches, {dec['open']} open): "
                          f"{dec['bound']:.6g}")
            for tie in dec.get("ties", []):
                con.print(f"  plans where {escape(' and '.join(tie['communities']))} tie for "
                          f"largest: <= {tie['bound']:.6g}")
    else:
        con.print(f"{res.method}: no bound ({res.stats.get('steps', 0):,} steps)")
    for line in res.failing:
        con.print(f"[red]FAIL[/red] {escape(line)}")
    if out is not None:
        con.print(f"plan written to {escape(str(out))}")
    if not res.feasible:
        err_line("error: the best plan found does not meet every constraint (see FAIL above); "
                 "this is not a proof that none does. Fix: run --method mip to decide, or relax "
                 "the criteria.")
        raise typer.Exit(4)


@app.command("pareto")
def pareto_cmd(
    spec: SpecArg,
    case: CaseOpt = None,
    project: ProjectOpt = None,
    subset: SubsetOpt = None,
    method: Annotated[str, typer.Option(help="mip (exact epsilon-constraint), anneal or bursts.")] = "mip",
    time_limit: Annotated[float, typer.Option("--time-limit", help="Seconds per MIP solve.")] = 60.0,
    max_points: Annotated[int, typer.Option("--max-points", help="Most points (MIP).")] = 25,
    weights: Annotated[int, typer.Option(help="Weights of the weighted sums (heuristics).")] = 9,
    seed: Annotated[int, typer.Option(help="Seed of the heuristics.")] = 0,
    out: Annotated[Path | None, typer.Option("--out", help="Directory for one plan file (.json) per point.")] = None,
    json_out: JsonOpt = False,
    progress: ProgressOpt = False,
) -> None:
    """Pareto front of the spec's objective against its ``second`` objective (a mapping with
    ``maximize``/``minimize`` lists)."""
    from dayafter.optimize.pareto import pareto_front
    from dayafter.optimize.problem import Objective, Problem

    t = _territory(case, project, subset)
    d = _spec(spec)
    second_d = d.pop("second", None)
    if not isinstance(second_d, dict):
        raise ConfigError("the spec needs a 'second' objective for a Pareto front",
                          hint="add second: {minimize: [{metric: stranded, communities: [...]}]}",
                          source=str(spec))
    with errors_name(spec):
        problem = Problem.from_dict(d)
        second = Objective.from_dict({"census": problem.objective.census,
                                      "threshold": problem.objective.threshold, **second_d})
        problem.compile(t)
    front = pareto_front(problem, t, second, method=method, max_points=max_points,
                         time_limit=time_limit, weights=weights, seed=seed,
                         progress=_progress(progress))
    files = []
    if out is not None:
        from dayafter.io.plans import write_plan

        out.mkdir(parents=True, exist_ok=True)
        for pt in front.points:
            path = out / f"{pt.plan.name}.json"
            write_plan(pt.plan, t, path)
            files.append(str(path))
    if json_out:
        d_out = front.to_dict()
        if files:
            for p, f in zip(d_out["points"], files, strict=True):
                p["file"] = f
        print_json(d_out)
        return
    from rich.table import Table

    tab = Table(title=f"Pareto front ({front.method}, "
                      f"{'complete' if front.complete else 'partial'}, {front.elapsed:.1f} s)")
    for col in ("#", "first objective", "second objective", "exact"):
        tab.add_column(col, justify="right")
    for i, pt in enumerate(front.points, 1):
        tab.add_row(str(i), f"{pt.first:.6g}", f"{pt.second:.6g}", "yes" if pt.exact else "no")
    console().print(tab)
