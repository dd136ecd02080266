"""``dayafter ensemble run|summary|compare|replay``: ReCom ensembles from the command line."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer

from dayafter.cli._common import CaseOpt, ProjectOpt, console, err_line, open_project, print_json
from dayafter.cli._progress import cli_progress
from dayafter.errors import ConfigError
from dayafter.validation import PARAMETERS

app = typer.Typer(help="Run ReCom ensembles and place plans in them.", no_args_is_help=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output on stdout.")]


def _constraints(path: Path | None, tolerance: float | None, census: str | None) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    if path is not None:
        from dayafter.io.specs import read_spec

        spec = read_spec(path, what="constraints file")
        if not isinstance(spec, dict):
            raise ConfigError("the constraints file must hold a mapping (key: value lines)",
                              hint="write e.g. 'tolerance: 0.05' and 'locked_units: [...]'", source=str(path))
    if tolerance is not None:
        spec["tolerance"] = tolerance
    if census is not None:
        spec["census"] = census
    return spec


@app.command("run")
def run_cmd(
    out: Annotated[Path, typer.Option("--out", help="Run directory to write (new, or with --resume).")],
    plan: Annotated[str | None, typer.Option("--plan", help="Starting plan: file, project plan or case scenario.")] = None,
    regions: Annotated[str | None, typer.Option("--regions", help="Start from random plans with this many regions: a number, a range such as 3..5, or a list 3,5 (chains take them in turn). With --subset, the subset is split and the rest of --plan kept.")] = None,
    subset: Annotated[str | None, typer.Option("--subset", help="Units the chains may change, e.g. governorate=IQG15 (or unit ids, comma-separated); the rest of the plan stays.")] = None,
    balance: Annotated[str | None, typer.Option("--balance", help="Population bounds of the regions taking part: equal (tolerance around an equal share), plan (between the plan's smallest and largest region, widened by the tolerance) or wide (none).")] = None,
    case: CaseOpt = None,
    project: ProjectOpt = None,
    steps: Annotated[int, typer.Option(help="Steps per chain.")] = 10_000,
    chains: Annotated[int, typer.Option(help="Number of chains (one process each).")] = 2,
    seed: Annotated[int, typer.Option(help="Root seed.")] = 0,
    method: Annotated[str, typer.Option(help="recom or reversible.")] = "recom",
    pair_rule: Annotated[str, typer.Option(help="cut_edge or region_pair.")] = "cut_edge",
    tree: Annotated[str, typer.Option(help="uniform (Wilson) or random_mst.")] = "uniform",
    m_bound: Annotated[int | None, typer.Option(help="Reversible ReCom's bound M on balanced cuts per tree.")] = None,
    max_tree_attempts: Annotated[int, typer.Option(help="Trees per ReCom step before a self-loop.")] = 1000,
    tolerance: Annotated[float | None, typer.Option(help=PARAMETERS["tolerance"].help())] = None,
    census: Annotated[str | None, typer.Option(help="Census balanced by the population bounds.")] = None,
    constraints: Annotated[Path | None, typer.Option(help="Constraints file (YAML or JSON): tolerance, pop_min, pop_max, locked_units, locked_regions, max_splits.")] = None,
    metric: Annotated[list[str] | None, typer.Option("--metric", help="Scalar recorded per step (repeatable): community (all community metrics, computed in the kernel), largest_share, stranded:yazidi, empowerment_plurality:yazidi, or (slower, in Python) theil_h, mean_polsby_popper.")] = None,
    metric_census: Annotated[list[str] | None, typer.Option("--metric-census", help="Census of the metrics (repeatable; default all).")] = None,
    thin: Annotated[int, typer.Option(help="Keep every N-th plan (int16); 0 keeps none.")] = 0,
    fmt: Annotated[str, typer.Option("--format", help="npz or parquet.")] = "npz",
    checkpoint_every: Annotated[int, typer.Option(help="Steps per streamed block and checkpoint.")] = 10_000,
    jobs: Annotated[int | None, typer.Option("--jobs", help="Local processes (default one per chain).")] = None,
    scheduler: Annotated[str | None, typer.Option(help="Dask scheduler address (tcp://host:8786); --out must be on a file system the workers share.")] = None,
    resume: Annotated[bool, typer.Option("--resume", help="Continue an interrupted run in --out.")] = False,
    progress: Annotated[bool, typer.Option("--progress/--no-progress", help="Progress bar on stderr.")] = True,
    json_out: JsonOpt = False,
) -> int:
    """Run ReCom chains from a plan (or a random seed plan) and write a run directory."""
    import numpy as np

    from dayafter.ensemble import ReComSampler, seed_plan

    proj = open_project(case, project)
    territory = proj.territory
    cons = _constraints(constraints, tolerance, census)
    if subset is not None:
        cons["subset"] = subset
    if balance is not None:
        cons["balance"] = balance
    ks = _region_counts(regions)
    if plan is not None:
        start = proj.resolve_plan(plan)
    elif ks is not None and subset is None:
        # a plan to hand to the sampler; each chain starts from its own random plan of ks
        start = seed_plan(territory, ks[0], rng=np.random.default_rng(seed), constraints=cons)
        if len(ks) == 1:
            ks = None  # the plan drawn here is the chains' start, as before
    elif ks is not None:
        raise ConfigError("--subset with --regions needs the plan whose rest is kept",
                          hint="add --plan, e.g. --plan status-quo-2014")
    else:
        raise ConfigError("give a starting plan (--plan) or a number of regions (--regions)")
    sampler = ReComSampler(
        steps=steps, chains=chains, seed=seed, method=method, pair_rule=pair_rule, tree=tree,
        m_bound=m_bound, max_tree_attempts=max_tree_attempts, constraints=cons,
        metrics=tuple(metric or ()), censuses=metric_census, thin=thin, format=fmt,
        checkpoint_every=checkpoint_every, regions=ks, n_jobs=jobs, scheduler=scheduler)
    files = {"constraints": str(constraints)} if constraints is not None else {}
    if plan is not None and Path(plan).exists():
        files["plan"] = plan
    if project is not None:
        files["project"] = str(project)
    t0 = time.perf_counter()
    with cli_progress(progress and not json_out, "ReCom") as (report, token):
        res = sampler.run(territory, start, out, resume=resume, progress=report, cancel=token,
                          input_files=files)
    secs = time.perf_counter() - t0
    if res.interrupted:
        err_line(f"interrupted: {res.counts['proposals']:,} steps kept, checkpoints saved in "
                 f"{out}. Fix: resume with the same command and --resume.")
        return 130
    if json_out:
        print_json(res.to_dict())
        return 0
    c = res.counts
    con = console()
    con.print(f"wrote {out}: {c['proposals']:,} steps, {c['moved']:,} moves "
              f"({c['moved'] / max(c['proposals'], 1):.1%}), {res.unique_plans:,} distinct plans, "
              f"{secs:.1f} s")
    _print_diagnostics(res.diagnostics)
    return 0


def _region_counts(text: str | None) -> tuple[int, ...] | None:
    """``"4"``, ``"3..5"`` or ``"3,5"`` as numbers of regions."""
    if text is None:
        return None
    try:
        if ".." in text:
            lo, hi = (int(x) for x in text.split("..", 1))
            ks = tuple(range(lo, hi + 1))
        else:
            ks = tuple(int(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise ConfigError(f"--regions {text!r} is not a number, a range or a list",
                          hint="e.g. --regions 4, --regions 3..5 or --regions 3,5") from None
    if not ks or min(ks) < 2:
        raise ConfigError(f"--regions {text!r}: every number of regions must be at least 2")
    return ks


def _print_diagnostics(diag: dict[str, dict[str, float]]) -> None:
    from rich.table import Table

    if not diag:
        return
    rows = list(diag.items())
    shown = rows
    if len(rows) > 20:  # the least mixed first
        shown = sorted(rows, key=lambda kv: -(kv[1].get("rhat") or 0.0)
                       if kv[1].get("rhat") == kv[1].get("rhat") else 0.0)[:20]
    tab = Table(title="diagnostics across chains" + (
        f" (the 20 least mixed of {len(rows)} metrics; all in --json)" if len(rows) > 20
        else ""))
    for col in ("metric", "mean", "sd", "split R-hat", "ESS"):
        tab.add_column(col, justify="left" if col == "metric" else "right")
    for name, d in shown:
        def f(x: Any, p: str = ".4g") -> str:
            return "-" if x is None or x != x else format(x, p)

        tab.add_row(name, f(d.get("mean")), f(d.get("sd")), f(d.get("rhat"), ".3f"),
                    f(d.get("ess"), ",.0f"))
    console().print(tab)
    high = [name for name, d in diag.items()
            if d.get("rhat") is not None and d["rhat"] == d["rhat"] and d["rhat"] > 1.1]
    if high:
        err_line(f"warning: split R-hat above 1.1 for {', '.join(high)}: the chains have not "
                 "mixed; run more steps (or more chains) before reading these metrics.")


@app.command("summary")
def summary_cmd(
    run: Annotated[Path, typer.Argument(help="Run directory.")],
    json_out: JsonOpt = False,
) -> int:
    """Counts, self-loops by cause, diagnostics and metric quantiles of a run."""
    from rich.table import Table

    from dayafter.ensemble import summarize

    s = summarize(run)
    if json_out:
        print_json(s)
        return 0
    con = console()
    con.print(f"{run}: {s['status']}, {s['chains']} chains x {s['steps']:,} steps, "
              f"{s.get('unique_plans') or 0:,} distinct plans")
    tab = Table(title="proposals")
    tab.add_column("outcome")
    tab.add_column("count", justify="right")
    for key, val in s["counts"].items():
        if key != "moves":
            tab.add_row(key, f"{val:,}")
    con.print(tab)
    if "steps_per_second_per_chain" in s:
        con.print(f"{s['steps_per_second_per_chain']:,.0f} steps/s and "
                  f"{s['moves_per_second_per_chain']:,.0f} moves/s per chain")
    _print_diagnostics(s.get("diagnostics", {}))
    if s.get("quantiles"):
        q = Table(title="ensemble quantiles")
        q.add_column("metric")
        for col in ("min", "p05", "median", "p95", "max"):
            q.add_column(col, justify="right")
        for name, d in s["quantiles"].items():
            q.add_row(name, *(f"{d[c]:.4g}" if d[c] == d[c] else "-"
                              for c in ("min", "p05", "median", "p95", "max")))
        con.print(q)
    return 0


@app.command("compare")
def compare_cmd(
    run: Annotated[Path, typer.Argument(help="Run directory.")],
    plan: Annotated[str, typer.Option("--plan", help="Plan to place: file, project plan or case scenario.")],
    case: CaseOpt = None,
    project: ProjectOpt = None,
    subset: Annotated[str | None, typer.Option("--subset", help="The subset the question is about (refused unless it is the run's).")] = None,
    json_out: JsonOpt = False,
) -> int:
    """Where a plan sits in the ensemble: percentile per metric, sorted-region comparison. A plan
    is compared only with an ensemble of the same subset, the same fixed rest and its number of
    regions."""
    from rich.table import Table

    from dayafter.ensemble.outliers import where_in_ensemble

    proj = open_project(case, project)
    territory = proj.territory
    p = proj.resolve_plan(plan)
    rep = where_in_ensemble(territory, p, run, subset=subset)
    if json_out:
        print_json(rep)
        return 0
    tab = Table(title=f"plan {p.name or plan} in ensemble {run}")
    for col in ("metric", "plan", "p05", "median", "p95", "percentile"):
        tab.add_column(col, justify="left" if col == "metric" else "right")
    for name, d in rep["scalars"].items():
        def f(x: Any) -> str:
            return "-" if x is None or x != x else f"{x:.4g}"

        tab.add_row(name, f(d["value"]), f(d["p05"]), f(d["median"]), f(d["p95"]),
                    f(d["percentile"]))
    console().print(tab)
    return 0


@app.command("replay")
def replay_cmd(
    run: Annotated[Path, typer.Argument(help="Run directory to reproduce.")],
    out: Annotated[Path | None, typer.Option("--out", help="Where to write the replay (default RUN.replay).")] = None,
    jobs: Annotated[int | None, typer.Option("--jobs", help="Local processes.")] = None,
    json_out: JsonOpt = False,
) -> int:
    """Rerun a run from its directory and check that every result array is identical."""
    from dayafter.ensemble import replay

    target = out or run.with_name(run.name + ".replay")
    res = replay(run, target, n_jobs=jobs)
    if json_out:
        print_json({"identical": res.identical, "chains": res.chains, "replay_dir": str(target)})
    elif res.identical:
        console().print(f"replay in {target} is identical to {run} (bit for bit)")
    else:
        bad = [c["chain"] for c in res.chains if not c["identical"]]
        err_line(f"replay differs from the original in chains {bad}")
    return 0 if res.identical else 1
