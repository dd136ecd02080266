"""CLI helpers for ``--draws``: census draws, and printing ranges, pass shares and verdicts.

The commands only translate: the work is :mod:`dayafter.uncertainty`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from dayafter.errors import ConfigError

if TYPE_CHECKING:
    from dayafter.plan import Plan
    from dayafter.territory import Territory
    from dayafter.uncertainty import CensusDraws, DrawEvaluation

DrawsOpt = Annotated[int, typer.Option(
    "--draws", help="Census draws from each figure's range: report p05/p50/p95, pass shares and "
    "robust/fragile verdicts (0: the census as given only).")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Seed of the census draws (same seed, same draws).")]
RangesOpt = Annotated[Path | None, typer.Option(
    "--ranges", help="Census ranges file (census,unit_id,field,low,high) for a project territory.")]


def check_draws(draws: int) -> None:
    """Reject a negative or huge ``--draws`` before any work."""
    if draws < 0 or draws > 100_000:
        raise ConfigError(f"--draws must lie in 0..100000, got {draws}", hint="e.g. --draws 1000")


def with_ranges(t: Territory, ranges: Path | None) -> Territory:
    """The territory with the ranges of a file added (``--ranges``)."""
    if ranges is None:
        return t
    from dayafter.io.ranges import read_ranges

    return t.with_ranges(read_ranges(ranges, t))


def census_draws(t: Territory, draws: int, seed: int, censuses: Sequence[str] | None = None) -> CensusDraws:
    """``CensusModel(t).draw(draws, seed=seed)`` (the default error model)."""
    from dayafter.uncertainty import CensusModel

    return CensusModel(t).draw(draws, seed=seed, censuses=censuses)


def fmt_range(r: Mapping[str, Any], kind: str = "pct") -> str:
    """``84.2% [13.7-87.5]`` from a figure's point/p05/p95 dict (``kind``: pct, index or count)."""
    def f(x: Any) -> str:
        if x is None:
            return "-"
        if kind == "pct":
            return f"{100 * x:.1f}"
        if kind == "index":
            return f"{x:.3f}"
        return f"{x:,.0f}"

    unit = "%" if kind == "pct" else ""
    lo, hi = r.get("p05"), r.get("p95")
    sep = " to " if (lo is not None and lo < 0) or (hi is not None and hi < 0) else "-"
    return f"{f(r.get('point'))}{unit} [{f(lo)}{sep}{f(hi)}]"


def print_plan_uncertainty(out: Any, dev: DrawEvaluation, summary: Mapping[str, Any],
                           labels: Mapping[str, str]) -> None:
    """Tables of community figures with ranges and verdicts, criteria pass shares, fragile regions."""
    from rich.markup import escape
    from rich.table import Table

    figs = summary["figures"]
    d = summary["draws"]
    out.print(f"[bold]Ranges over {d['draws']} census draws[/bold] (seed {d['seed']}): "
              + escape("point value [90% range], verdict"))
    for cname, cm in dev.censuses.items():
        tab = Table(title=escape(f"Communities, census {cname}: point [p05-p95]"))
        for col in ("community", "empowered (plurality)", "empowered (majority)", "stranded", "verdict"):
            tab.add_column(col, justify="left" if col in ("community", "verdict") else "right")
        for comm in cm.communities:
            keys = [f"{cname}/{m}:{comm}" for m in ("empowerment_plurality", "empowerment_majority",
                                                     "stranded")]
            if figs[keys[0]]["point"] is None:
                continue
            fragile = [figs[k] for k in keys if figs[k].get("verdict") == "fragile"]
            verdict = "[red]fragile[/]" if fragile else "[green]robust[/]"
            tab.add_row(escape(labels.get(comm, comm)), *[fmt_range(figs[k]) for k in keys], verdict)
        out.print(tab)
    fragile = [v for v in summary["verdicts"] if v["verdict"] == "fragile"]
    if summary["criteria"]:
        ct = Table(title="Criteria over draws")
        for col in ("criterion", "census", "point", "pass share", "verdict"):
            ct.add_column(col, justify="right" if col == "pass share" else "left")
        for c in summary["criteria"]:
            ct.add_row(escape(c["name"]), c["census"], "PASS" if c["passed"] else "FAIL",
                       f"{100 * c['pass_share']:.1f}%",
                       "[green]robust[/]" if c["verdict"] == "robust" else "[red]fragile[/]")
        out.print(ct)
    if fragile:
        out.print("[bold]Fragile findings[/bold]")
        for v in fragile:
            out.print(escape(f"  [{v['census']}] {v['subject']}: {v['reason']}"))
    else:
        out.print("Every finding is robust.")


def evaluate_with_draws(t: Territory, plans: Sequence[Plan], *, draws: int, seed: int,
                        censuses: Sequence[str] | None, threshold: float,
                        reference: Plan | None) -> list[DrawEvaluation]:
    """Draw the censuses once and evaluate every plan on the same draws."""
    from dayafter.uncertainty import evaluate_draws

    cd = census_draws(t, draws, seed, censuses)
    return evaluate_draws(t, list(plans), cd, threshold=threshold, reference=reference)


def print_council_ranges(out: Any, unc: Mapping[str, Any], labels: Mapping[str, str]) -> None:
    """Seats per region and community over draws: point [p05-p95] and the share with a seat."""
    from rich.markup import escape
    from rich.table import Table

    d = unc["draws"]
    for cname, regions in unc["councils"].items():
        tab = Table(title=escape(f"Seats over {d['draws']} census draws (seed {d['seed']}), census "
                                 f"{cname}: point [p05-p95], share of draws with a seat"),
                    title_justify="left")
        tab.add_column("region")
        tab.add_column("size", justify="right")
        tab.add_column("seats by community")
        for r in regions:
            parts = [f"{labels.get(c, c)} {v['point']} [{v['p05']:.0f}-{v['p95']:.0f}]"
                     + (f" ({100 * v['any_seat']:.0f}%)" if 0 < v["any_seat"] < 1 else "")
                     for c, v in r["communities"].items()]
            size = r["size"]
            tab.add_row(escape(r["region"]), f"{size['p05']:.0f}-{size['p95']:.0f}",
                        escape("; ".join(parts)))
        out.print(tab)


def print_security_ranges(out: Any, unc: Mapping[str, Any]) -> None:
    """Requirement and shortfall over draws, in total and per region."""
    from rich.markup import escape
    from rich.table import Table

    s = unc["security"]
    d = unc["draws"]
    out.print(f"[bold]Over {d['draws']} census draws[/bold] (seed {d['seed']}; the shortfall from "
              f"the first {s['lp_draws']}): required {fmt_range(s['requirement'], 'count')}; "
              f"shortfall {fmt_range(s['shortfall'], 'count')}, some shortfall in "
              f"{100 * s['short_share']:.0f}% of draws")
    tab = Table(title=escape("Per region: point [p05-p95]"), title_justify="left")
    for col in ("region", "required", "shortfall", "draws short"):
        tab.add_column(col, justify="left" if col == "region" else "right")
    for r in s["regions"]:
        tab.add_row(escape(r["region"]), escape(fmt_range(r["requirement"], "count")),
                    escape(fmt_range(r["shortfall"], "count")) if r["shortfall"] else "-",
                    f"{100 * r['short_share']:.0f}%" if r["short_share"] is not None else "-")
    out.print(tab)


def print_settle_ranges(out: Any, unc: Mapping[str, Any]) -> None:
    """Transfers per party over draws and how often the allocation changes."""
    from rich.markup import escape
    from rich.table import Table

    s = unc["settle"]
    d = unc["draws"]
    unit = s.get("value_unit", "")
    tab = Table(title=escape(f"Over {s['solved']} of {d['draws']} census draws (seed {d['seed']}): "
                             f"transfers, point [p05-p95] ({unit})"), title_justify="left")
    for col in ("rule or method", "party", "transfer", "outside money", "allocation changes"):
        tab.add_column(col, justify="left" if col in ("rule or method", "party") else "right")
    for name, st in s["settlements"].items():
        for k, (party, r) in enumerate(st["parties"].items()):
            tab.add_row(escape(name) if k == 0 else "", escape(party), fmt_range(r, "count"),
                        fmt_range(st["outside_money"], "count") if k == 0 else "",
                        f"{100 * st['allocation_changes']:.0f}% of draws" if k == 0 else "")
    out.print(tab)
