"""``dayafter plan evaluate|compare|export``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from dayafter.cli import _uncertainty as U
from dayafter.cli._common import CaseOpt, ProjectOpt, console, open_project, print_json
from dayafter.errors import ConfigError, InputDataError
from dayafter.metrics.registry import format_value as fmt
from dayafter.validation import PARAMETERS

if TYPE_CHECKING:
    from dayafter.project import Project

app = typer.Typer(help="Evaluate, compare and export plans.", no_args_is_help=True)

CensusOpt = Annotated[list[str] | None, typer.Option("--census", help="Census to report (repeatable; default all).")]


def _criteria(path: Path | None, proj: Project) -> list:
    """The criteria of ``--criteria FILE``, else the project's own."""
    from dayafter.criteria import criteria_from_spec

    if path is None:
        return list(proj.criteria)
    from dayafter.io.specs import read_spec

    try:
        return criteria_from_spec(read_spec(path, what="criteria file"))
    except ConfigError as exc:
        if exc.source:
            raise
        raise ConfigError(exc.message, hint=exc.hint, source=str(path)) from None


def _engine_draws(t: Any, plan: Any, crits: list, proj: Project, dev: Any) -> Any:
    """Engine outputs over the census draws of ``dev``, for criteria that read them."""
    from dayafter.outcomes import EngineData, engine_draws, engines_needed

    if not engines_needed(crits):
        return None
    return engine_draws(t, plan, crits, EngineData.from_project(proj), dev.draws,
                        censuses=list(dev.censuses))


def _engines(t: Any, plans: list, crits: list, proj: Project,
             censuses: list[str]) -> dict[str, Any]:
    """Engine outputs (councils, security, transfers) for criteria that read them, from the
    project's engine data."""
    from dayafter.outcomes import EngineData, engine_outputs, engines_needed

    if not engines_needed(crits):
        return {}
    data = EngineData.from_project(proj)
    return {p.name: engine_outputs(t, p, crits, data, censuses=censuses) for p in plans}


@app.command("evaluate")
def evaluate_cmd(
    plan: Annotated[str, typer.Argument(help="Plan file (.json, .csv, .gpkg) or scenario name.")],
    case: CaseOpt = None,
    project: ProjectOpt = None,
    census: CensusOpt = None,
    criteria: Annotated[Path | None, typer.Option(help="Criteria file (YAML or JSON).")] = None,
    threshold: Annotated[float, typer.Option(help=PARAMETERS["threshold"].help())] = PARAMETERS["threshold"].default,
    reference: Annotated[str | None, typer.Option(help="Reference plan to measure change from.")] = None,
    reock: Annotated[bool, typer.Option(help="Also compute Reock compactness (geometry).")] = False,
    require_contiguous: Annotated[bool, typer.Option(help="Fail (exit 3) when a region is not contiguous.")] = False,
    draws: U.DrawsOpt = 0,
    seed: U.SeedOpt = 0,
    ranges: U.RangesOpt = None,
    sweep: Annotated[bool, typer.Option(
        "--sweep", help="With --draws: sweep the stranded threshold (5-20%) and the empowerment rule.")] = False,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Evaluate one plan: every metric on every census, and the criteria (with ranges: --draws)."""
    from rich.markup import escape
    from rich.table import Table

    import dayafter as da
    from dayafter.criteria import check_criteria

    U.check_draws(draws)
    proj = open_project(case, project)
    t = U.with_ranges(proj.territory, ranges)
    p = proj.resolve_plan(plan)
    ref = proj.resolve_plan(reference) if reference else (
        proj.reference_plan if p.name != proj.reference else None)
    ev = da.evaluate(t, p, censuses=census, threshold=threshold, reference=ref, reock=reock)
    crits = _criteria(criteria, proj)
    engines = _engines(t, [p], crits, proj, list(ev.censuses)).get(p.name)
    try:
        results = check_criteria(ev, crits, engines=engines)
    except ConfigError as exc:
        raise ConfigError(exc.message, hint=exc.hint, source=str(criteria or "")) from None
    if require_contiguous:
        bad = [j for j in range(p.k) if ev.geometry.pieces[j] > 1]
        if bad:
            comps = t.graph.components(p.assignment)
            detail = []
            for j in bad[:3]:
                pieces = sorted({int(c) for c in comps[p.assignment == j]})
                smallest = min(pieces, key=lambda c: int((comps == c).sum()))
                detail.append(f"{p.regions[j].name!r} in {len(pieces)} pieces (smallest: "
                              f"{', '.join(t.unit_ids[comps == smallest][:4].tolist())})")
            raise InputDataError(
                f"{len(bad)} regions are not contiguous: " + "; ".join(detail),
                hint="reassign the detached units or drop --require-contiguous",
                unit_ids=[u for j in bad for u in t.unit_ids[p.assignment == j].tolist()][:50],
                source=plan)
    labels = dict(proj.community_labels)
    unc = None
    if draws:
        from dayafter.uncertainty import summary_dict, threshold_sweep

        dev = U.evaluate_with_draws(t, [p], draws=draws, seed=seed, censuses=census,
                                    threshold=threshold, reference=ref)[0]
        unc = summary_dict(dev, criteria=crits, labels=labels, engines=engines,
                           engine_draws=_engine_draws(t, p, crits, proj, dev))
        if sweep:
            unc["sweep"] = {c: s.to_dict() for c, s in threshold_sweep(dev).items()}
    if json_out:
        d = ev.to_dict()
        d["criteria"] = [r.to_dict() for r in results]
        if unc is not None:
            d["uncertainty"] = unc
        print_json(d)
        return
    out = console()
    out.print(f"[bold]{p.name}[/bold] {p.meta.get('title', '')}: {p.k} regions on {t.name} "
              f"({t.n_units} units)")
    g = ev.geometry
    for cname, cm in ev.censuses.items():
        tab = Table(title=f"Polities (regions), census {cname}; control: units held by each authority")
        for col in ("region", "authority", "control", "units", "population", "deviation",
                    "largest community", "share", "fractionalization", "Polsby-Popper", "pieces"):
            tab.add_column(col, justify="left" if col in ("region", "authority", "control",
                                                          "largest community") else "right")
        by_region = p.control_by_region()
        for j, r in enumerate(p.regions):
            lg = cm.largest[j]
            control = ", ".join(f"{k} {v}" for k, v in by_region[j].items())
            tab.add_row(escape(r.name), escape(r.authority), escape(control), str(g.n_units[j]),
                        f"{cm.population[j]:,.0f}",
                        fmt("deviation", cm.deviation[j]),
                        labels.get(cm.communities[lg], cm.communities[lg]) if lg >= 0 else "-",
                        fmt("largest_share", cm.largest_share[j]),
                        fmt("fractionalization", cm.fractionalization[j]),
                        fmt("polsby_popper", g.polsby_popper[j]), str(g.pieces[j]))
        out.print(tab)
        ct = Table(title=f"Communities, census {cname} (polity layer; stranded: share below "
                         f"{cm.threshold:.0%})")
        for col in ("community", "population", "empowered (plurality)", "empowered (majority)",
                    "stranded", "stranded people"):
            ct.add_column(col, justify="left" if col == "community" else "right")
        tot = cm.community_totals()
        for j, comm in enumerate(cm.communities):
            ct.add_row(labels.get(comm, comm), f"{tot[j]:,.0f}", fmt("empowerment_plurality", cm.empowerment_plurality[j]),
                       fmt("empowerment_majority", cm.empowerment_majority[j]), fmt("stranded", cm.stranded[j]),
                       f"{cm.stranded_people[j]:,.0f}")
        out.print(ct)
        out.print(f"Theil's H: {cm.theil_h:.3f}")
    out.print(f"cut edges {g.cut_edges}; splits " + ", ".join(f"{k}: {v}" for k, v in g.splits.items()))
    if ev.reock is not None:
        out.print("Reock: " + ", ".join(f"{r.name} {v:.3f}" for r, v in zip(p.regions, ev.reock, strict=True)))
    out.print("control (units held): " + ", ".join(f"{k} {v}" for k, v in p.control_summary().items())
              + ("" if p.has_control else " (no stated control: control follows the polities)"))
    if ev.change is not None:
        ch = ev.change
        out.print(f"change from {ch.reference}, control layer: {ch.units_moved} units change control ("
                  + ", ".join(f"{c}: {v:,.0f} people" for c, v in ch.people_moved.items()) + ")")
        out.print(f"change from {ch.reference}, polity layer: {ch.polity_units_moved} units change "
                  f"polity authority, {ch.units_reassigned} units change polity ("
                  + ", ".join(f"{c}: {v:,.0f} people" for c, v in ch.people_reassigned.items()) + ")")
    for res in results:
        colour = {"pass": "[green]", "fail": "[red]"}.get(res.status, "[yellow]")
        out.print(colour + escape(res.message()) + "[/]")
    if unc is not None:
        U.print_plan_uncertainty(out, dev, unc, labels)
        if sweep:
            _print_sweep(out, unc["sweep"], labels)


def _print_sweep(out: Any, sweep: dict[str, Any], labels: dict[str, str]) -> None:
    from rich.markup import escape

    for cname, sw in sweep.items():
        out.print(f"[bold]Threshold sweep, census {cname}[/bold]: stranded share at 5-20%, and where "
                  "it jumps (the community's share of a region: stranded there above that threshold)")
        for comm, d in sw["communities"].items():
            if not d["flips"]:
                continue
            pts = ", ".join(f"{100 * x['threshold']:.0f}%: {100 * (x['point'] or 0):.0f}%"
                            for x in d["stranded"][::3])
            flips = "; ".join(f"{escape(f['region'])} {100 * f['share']:.1f}% "
                              f"[{100 * f['p05']:.1f}-{100 * f['p95']:.1f}]" for f in d["flips"])
            frag = [f"{100 * x['threshold']:.0f}%" for x in d["stranded"] if x.get("verdict") == "fragile"]
            out.print(f"  {escape(labels.get(comm, comm))}: {pts}; jumps at {flips}"
                      + (f"; fragile at {', '.join(frag)}" if frag else "; robust at every threshold"))


@app.command("compare")
def compare_cmd(
    plans: Annotated[list[str] | None, typer.Argument(help="Plan files or scenario names.")] = None,
    case: CaseOpt = None,
    project: ProjectOpt = None,
    all_scenarios: Annotated[bool, typer.Option("--all-scenarios", help="Compare every scenario of the case.")] = False,
    census: CensusOpt = None,
    threshold: Annotated[float, typer.Option(help=PARAMETERS["threshold"].help())] = PARAMETERS["threshold"].default,
    criteria: Annotated[Path | None, typer.Option(help="Criteria file (YAML or JSON).")] = None,
    draws: U.DrawsOpt = 0,
    seed: U.SeedOpt = 0,
    ranges: U.RangesOpt = None,
    against: Annotated[str | None, typer.Option(
        "--against", help="Judge every plan against this one (a compared plan's name): "
                          "better / worse by each metric's direction.")] = None,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Compare N plans side by side (one column each) on every census (with ranges: --draws)."""
    from rich.markup import escape
    from rich.table import Table

    from dayafter.comparison import compare_plans, comparison_table, judge, row_format

    U.check_draws(draws)
    proj = open_project(case, project)
    t = U.with_ranges(proj.territory, ranges)
    chosen = [proj.resolve_plan(s) for s in plans or []]
    ref = proj.reference_plan
    if all_scenarios:
        chosen = list(proj.plans.values()) + chosen
    if len(chosen) < 1:
        raise InputDataError("nothing to compare", hint="name plans or pass --all-scenarios")
    evs = compare_plans(t, chosen, reference=ref, censuses=census, threshold=threshold)
    labels = dict(proj.community_labels)
    crits = _criteria(criteria, proj)
    table = comparison_table(evs, community_labels=labels, criteria=crits,
                             engines=_engines(t, chosen, crits, proj, list(evs[0].censuses)))
    verdicts = judge(table, against) if against is not None else None
    unc = None
    if draws:
        unc = _compare_draws(t, chosen, draws=draws, seed=seed, censuses=census, threshold=threshold,
                             reference=ref, criteria=crits, labels=labels, proj=proj)
    if json_out:
        d: dict[str, Any] = {f"{s} / {m}": row for (s, m), row in table.to_dict("index").items()}
        if unc is not None:
            d["uncertainty"] = unc
        if verdicts is not None:
            d["verdicts"] = {"against": against, **{f"{s} / {m}": row for (s, m), row
                                                     in verdicts.to_dict("index").items()}}
        print_json(d)
        return
    out = console()
    if unc is not None:
        _print_compare_draws(out, unc, table, labels)
        return
    for section in dict.fromkeys(table.index.get_level_values(0)):
        sub = table.loc[section]
        tab = Table(title=f"{t.name}: {section}", title_justify="left")
        tab.add_column("metric")
        for col in table.columns:
            tab.add_column(col, justify="right")
        for metric, row in sub.iterrows():
            f = row_format(table, section, str(metric))
            cells = [escape(f(v)) for v in row.tolist()]
            if verdicts is not None:
                marks = {"better": " [green]better[/]", "worse": " [red]worse[/]"}
                cells = [c + marks.get(v, "") for c, v in
                         zip(cells, verdicts.loc[(section, metric)].tolist(), strict=True)]
            tab.add_row(escape(str(metric)), *cells)
        out.print(tab)


@app.command("export")
def export_cmd(
    plan: Annotated[str, typer.Argument(help="Plan file or scenario name.")],
    out: Annotated[Path, typer.Option("--out", help="Output: .json, .csv, .psv, .gpkg (project) or .geojson (regions).")],
    case: CaseOpt = None,
    project: ProjectOpt = None,
) -> None:
    """Export a plan to another format (or its dissolved regions to GeoJSON)."""
    from dayafter.io.plans import write_plan

    proj = open_project(case, project)
    t = proj.territory
    p = proj.resolve_plan(plan)
    suffix = out.suffix.lower()
    if suffix == ".geojson":
        from dayafter.io.export import write_regions_geojson

        write_regions_geojson(t, p, out)
    elif suffix == ".gpkg" and not out.exists():
        from dayafter.io.project import write_project

        write_project(t, out, plans=[p])
    else:
        write_plan(p, t, out)
    console(stderr=True).print(f"wrote {out}")


def _compare_draws(t: Any, plans: list[Any], *, draws: int, seed: int, censuses: list[str] | None,
                   threshold: float, reference: Any, criteria: list[Any],
                   labels: dict[str, str], proj: Project) -> dict[str, Any]:
    """Per plan: ranges, pass shares and verdicts; per pair of plans: share of draws A beats B."""
    from dayafter.uncertainty import compare_draws, summary_dict

    names = [p.name for p in plans]
    if len(set(names)) != len(names):
        raise InputDataError(f"plans to compare need distinct names, got {names}",
                             hint="pass each plan once")
    devs = U.evaluate_with_draws(t, plans, draws=draws, seed=seed, censuses=censuses,
                                 threshold=threshold, reference=reference)
    out: dict[str, Any] = {"draws": devs[0].draws.describe(), "plans": {}, "paired": {}}
    engines = _engines(t, plans, criteria, proj, list(devs[0].censuses))
    for dev in devs:
        s = summary_dict(dev, criteria=criteria, labels=labels, regions=False,
                         engines=engines.get(dev.plan.name),
                         engine_draws=_engine_draws(t, dev.plan, criteria, proj, dev))
        s.pop("draws")
        out["plans"][dev.plan.name] = s
    for i, a in enumerate(devs):
        for b in devs[i + 1:]:
            out["paired"][f"{a.plan.name} vs {b.plan.name}"] = {
                k: v.to_dict() for k, v in compare_draws(a, b).items() if v.direction != 0}
    return out


def _print_compare_draws(out: Any, unc: dict[str, Any], table: Any, labels: dict[str, str]) -> None:
    from rich.markup import escape
    from rich.table import Table

    from dayafter.cli._uncertainty import fmt_range

    plans = list(unc["plans"])
    d = unc["draws"]
    out.print(f"[bold]Ranges over {d['draws']} census draws[/bold] (seed {d['seed']}): "
              + escape("point [p05-p95]; * fragile (the verdicts: plan evaluate --draws)"))
    first = unc["plans"][plans[0]]["figures"]
    censuses = list(dict.fromkeys(k.split("/", 1)[0] for k in first))
    for cname in censuses:
        tab = Table(title=f"census {cname}", title_justify="left")
        tab.add_column("metric")
        for p in plans:
            tab.add_column(escape(p), justify="right")
        keys = [k for k in first if k.startswith(cname + "/") and
                k.split("/", 1)[1].split(":", 1)[0] in ("empowerment_plurality", "empowerment_majority",
                                                        "stranded", "theil_h", "mean_fractionalization")]
        for key in keys:
            metric = key.split("/", 1)[1]
            name, _, comm = metric.partition(":")
            if comm and all(unc["plans"][p]["figures"][key]["point"] is None for p in plans):
                continue
            title = _metric_label(name)
            row = [escape(f"{title}: {labels.get(comm, comm)}" if comm else title)]
            for p in plans:
                f = unc["plans"][p]["figures"][key]
                kind = "index" if name in ("theil_h", "mean_fractionalization") else "pct"
                row.append(fmt_range(f, kind) + (" *" if f.get("verdict") == "fragile" else ""))
            tab.add_row(*row)
        out.print(tab)
    for pair, items in unc["paired"].items():
        a, b = pair.split(" vs ", 1)
        shown = [(k, v) for k, v in items.items() if max(v["a_better"], v["b_better"]) > 0
                 and k.split("/", 1)[1].split(":", 1)[0] in ("stranded", "empowerment_plurality")]
        if not shown:
            continue
        pt = Table(title=f"{escape(a)} vs {escape(b)}: share of paired draws in which each is better",
                   title_justify="left")
        for col in ("metric", escape(a), escape(b), "tie"):
            pt.add_column(col, justify="left" if col == "metric" else "right")
        for k, v in shown:
            cname, metric = k.split("/", 1)
            name, _, comm = metric.partition(":")
            pt.add_row(escape(f"{_metric_label(name)}: {labels.get(comm, comm)} ({cname})"),
                       f"{100 * v['a_better']:.0f}%", f"{100 * v['b_better']:.0f}%", f"{100 * v['tie']:.0f}%")
        out.print(pt)


def _metric_label(name: str) -> str:
    """The registry's label of a metric (its key when the registry does not know it)."""
    from dayafter.metrics.registry import get

    try:
        return get(name).label
    except ConfigError:
        return name
