"""``dayafter optimize run|pareto``: optimized plans from a YAML/JSON specification."""

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
    "--subset", help="Restrict to admin units, e.g. governorate=IQG15,IQG09.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output on stdout.")]
ProgressOpt = Annotated[bool, typer.Option("--progress/--no-progress", help="Progress on stderr.")]


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


def _progress(enabled: bool):
    if not enabled:
        return None

    def report(d: dict[str, Any]) -> None:
        parts = [f"{d.get('method', '')}", f"{d.get('elapsed', 0.0):6.1f}s"]
        if "steps" in d:
            parts.append(f"{d['steps']:,} steps")
        if d.get("best") is not None:
            parts.append(f"best {d['best']:.6g}")
        if d.get("bound") is not None:
            parts.append(f"bound {d['bound']:.6g}")
        if "points" in d:
            parts.append(f"{d['points']} points")
        err_line("  ".join(parts))

    return report


@app.command("run")
def run_cmd(
    spec: SpecArg,
    case: CaseOpt = None,
    project: ProjectOpt = None,
    subset: SubsetOpt = None,
    method: Annotated[str, typer.Option(help="auto (bursts, then MIP), anneal, bursts or mip.")] = "auto",
    time_limit: Annotated[float, typer.Option("--time-limit", help="Seconds in all.")] = 60.0,
    steps: Annotated[int, typer.Option(help="Heuristic steps per restart.")] = 200_000,
    restarts: Annotated[int, typer.Option(help="Heuristic restarts.")] = 4,
    seed: Annotated[int, typer.Option(help="Seed of the heuristics.")] = 0,
    name: Annotated[str | None, typer.Option(help="Name of the plan (default from the spec).")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Write the plan (.json, .csv, .gpkg).")] = None,
    json_out: JsonOpt = False,
    progress: ProgressOpt = False,
) -> None:
    """Find the best plan for a specification; the objective values and the certificate (bound,
    gap) go into the plan's notes. Exit code 4 when no plan meets the constraints."""
    from dayafter.optimize.api import optimize
    from dayafter.optimize.problem import Problem

    t = _territory(case, project, subset)
    d = _spec(spec)
    d.pop("second", None)
    if name:
        d["name"] = name
    with errors_name(spec):
        problem = Problem.from_dict(d)
        problem.compile(t)  # names, bounds and quick feasibility, blamed on the spec
    res = optimize(problem, t, method=method, time_limit=time_limit, seed=seed, steps=steps,
                   restarts=restarts, progress=_progress(progress))
    if out is not None:
        from dayafter.io.plans import write_plan

        write_plan(res.plan, t, out)
    if json_out:
        d_out = res.to_dict()
        d_out["territory"] = t.name
        d_out["notes"] = res.plan.notes
        d_out["regions"] = [{**r.to_dict(), "units": [str(u) for u in
                                                       t.unit_ids[res.plan.assignment == j]]}
                            for j, r in enumerate(res.plan.regions)]
        if out is not None:
            d_out["out"] = str(out)
        print_json(d_out)
        if not res.feasible:
            raise typer.Exit(4)
        return
    from rich.markup import escape
    from rich.table import Table

    con = console()
    con.print(f"[bold]{escape(res.plan.name)}[/bold] on {escape(t.name)} ({t.n_units} units), "
              f"method {res.method}: objective [bold]{res.objective:.6g}[/bold]"
              + ("" if res.feasible else " [red](constraints not met)[/red]"))
    tab = Table(title="Objective terms")
    tab.add_column("term")
    tab.add_column("weight", justify="right")
    tab.add_column("value", justify="right")
    for term in problem.objective.terms:
        tab.add_row(escape(term.label), f"{term.weight:g}", f"{res.values[term.label]:.6g}")
    con.print(tab)
    if res.bound is not None:
        con.print(f"MIP {res.status}: bound {res.bound:.6g}, gap {res.gap:.3%}")
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
