"""``dayafter case list|show|sources``: the built-in cases."""

from __future__ import annotations

from typing import Annotated

import typer

from dayafter.cli._common import console, print_json

app = typer.Typer(help="Built-in cases (data shipped with dayafter).", no_args_is_help=True)


@app.command("list")
def list_cases(json_out: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False) -> None:
    """List the built-in cases."""
    from dayafter import cases

    names = cases.available()
    if json_out:
        print_json(names)
        return
    for n in names:
        console().print(n)


@app.command("show")
def show(
    name: Annotated[str, typer.Argument(help="Case name.")] = "northern-iraq",
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Summarise a case: units, communities, censuses, scenarios, criteria."""
    from rich.table import Table

    from dayafter import cases

    c = cases.load(name)
    t = c.territory
    summary = t.summary()
    summary["scenarios"] = {p.name: p.meta.get("title", p.name) for p in c.plans.values()}
    summary["reference"] = c.reference
    summary["criteria"] = [cr.name for cr in c.criteria]
    if json_out:
        print_json(summary)
        return
    out = console()
    out.print(f"[bold]{c.title}[/bold] ({c.name})")
    out.print(f"{t.n_units} units, {t.graph.n_edges} adjacencies, {summary['area_km2']:,.0f} km2, "
              f"admin levels {summary['admin_levels']}")
    tab = Table(title="Population by community (estimates)")
    tab.add_column("community")
    for cname in t.census_names:
        tab.add_column(cname, justify="right")
    for j, comm in enumerate(t.communities):
        tab.add_row(c.community_label(comm), *[f"{t.census(cn)[:, j].sum():,.0f}" for cn in t.census_names])
    tab.add_row("total", *[f"{t.census(cn).sum():,.0f}" for cn in t.census_names])
    out.print(tab)
    scen = Table(title="Scenario plans")
    scen.add_column("name")
    scen.add_column("title")
    scen.add_column("regions", justify="right")
    for p in c.plans.values():
        scen.add_row(p.name + (" (reference)" if p.name == c.reference else ""),
                     str(p.meta.get("title", "")), str(p.k))
    out.print(scen)


@app.command("sources")
def sources(
    name: Annotated[str, typer.Argument(help="Case name.")] = "northern-iraq",
    unit: Annotated[list[str] | None, typer.Option("--unit", help="Only these unit ids (repeatable).")] = None,
    status: Annotated[str | None, typer.Option(help="Only figures with this status: sourced, derived, imputed.")] = None,
    census: Annotated[str | None, typer.Option(help="Only this census.")] = None,
    summary_only: Annotated[bool, typer.Option("--summary", help="Counts per unit only.")] = False,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Show, per unit, which figures are sourced, derived or imputed, with sources and confidence."""
    from rich.table import Table

    from dayafter import cases
    from dayafter.errors import InputDataError

    c = cases.load(name)
    prov = c.provenance
    assert prov is not None
    if unit:
        c.territory.index(unit)  # unknown ids: one clear error
        prov = prov[prov["unit_id"].isin(unit)]
    if status:
        if status not in ("sourced", "derived", "imputed"):
            raise InputDataError(f"unknown status {status!r}", hint="use sourced, derived or imputed")
        prov = prov[prov["status"] == status]
    if census:
        c.territory.census(census)
        prov = prov[prov["census"] == census]
    if summary_only or not unit:
        counts = (prov.groupby(["unit_id", "status"]).size().unstack(fill_value=0)
                  .reindex(columns=["sourced", "derived", "imputed"], fill_value=0))
        conf = prov.groupby("unit_id")["confidence"].agg(lambda s: "/".join(sorted(set(s) - {""})))
        names = dict(zip(c.territory.unit_ids.tolist(), c.territory.labels.get("name_en", c.territory.unit_ids).tolist(), strict=True))
        if json_out:
            print_json([{"unit_id": u, "name": names.get(u, ""), **{k: int(v) for k, v in row.items()},
                         "confidence": conf.get(u, "")} for u, row in counts.iterrows()])
            return
        tab = Table(title=f"Provenance of census figures, case {c.name} (counts of figures per unit)")
        for col in ("unit", "name", "sourced", "derived", "imputed", "confidence"):
            tab.add_column(col, justify="right" if col in ("sourced", "derived", "imputed") else "left")
        for u, row in counts.iterrows():
            tab.add_row(str(u), names.get(u, ""), str(row["sourced"]), str(row["derived"]),
                        str(row["imputed"]), conf.get(u, ""))
        out = console()
        out.print(tab)
        tot = prov["status"].value_counts()
        out.print(f"figures: {len(prov)}; " + ", ".join(f"{k} {int(tot.get(k, 0))}" for k in ("sourced", "derived", "imputed"))
                  + f" ({100.0 * tot.get('imputed', 0) / max(len(prov), 1):.0f}% imputed). "
                  "Use --unit ID for the figures of one unit.")
        return
    if json_out:
        print_json(prov.to_dict("records"))
        return
    tab = Table(title=f"Census figures and their sources, case {c.name}")
    for col in ("census", "unit_id", "field", "value", "low", "high", "status", "rule", "source_ids", "confidence"):
        tab.add_column(col)
    for r in prov.to_dict("records"):
        tab.add_row(*[str(r.get(col, "")) for col in ("census", "unit_id", "field", "value", "low", "high",
                                                     "status", "rule", "source_ids", "confidence")])
    console().print(tab)
