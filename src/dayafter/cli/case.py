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

    from dayafter.project import Project

    c = Project.from_case(name)
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


_STATUSES = ("sourced", "derived", "imputed")


def _check_status(value: str | None, option: str) -> None:
    from dayafter.errors import InputDataError

    if value is not None and value not in _STATUSES:
        raise InputDataError(f"unknown {option} {value!r}", hint="use sourced, derived or imputed")


@app.command("sources")
def sources(
    name: Annotated[str, typer.Argument(help="Case name.")] = "northern-iraq",
    unit: Annotated[list[str] | None, typer.Option("--unit", help="Only these unit ids (repeatable).")] = None,
    status: Annotated[str | None, typer.Option(help="Only figures with this status (the less certain of "
                                                    "size and composition): sourced, derived, imputed.")] = None,
    size_status: Annotated[str | None, typer.Option("--size-status", help="Only figures whose unit total has "
                                                                          "this status.")] = None,
    composition_status: Annotated[str | None, typer.Option("--composition-status",
                                                           help="Only figures whose share has this status.")] = None,
    census: Annotated[str | None, typer.Option(help="Only this census.")] = None,
    districts: Annotated[bool, typer.Option("--districts", help="The case's totals against the 2024 census, "
                                                               "per district.")] = False,
    summary_only: Annotated[bool, typer.Option("--summary", help="Counts per unit only.")] = False,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Show, per unit, how each figure was obtained: size and composition status, range, rules,
    sources and confidence; with --districts, the census comparison per district."""
    from rich.table import Table

    from dayafter.project import Project

    c = Project.from_case(name)
    if districts:
        from dayafter import cases

        census2024 = cases.load(c.name).census2024  # the census build's tables: case data only
        comp = census2024.get("comparison")
        if comp is None or comp.empty:
            from dayafter.errors import InputDataError

            raise InputDataError(f"case {c.name!r} has no census comparison",
                                 hint="only cases built from a census table have one")
        if json_out:
            print_json(comp.to_dict("records"))
            return
        tab = Table(title=f"Current totals against the 2024 census, case {c.name} (per COD-AB district)")
        for col, just in (("district", "left"), ("name", "left"), ("census districts", "left"),
                          ("census total", "right"), ("case current", "right"), ("range", "right"),
                          ("match", "left"), ("baseline", "right"), ("growth", "right")):
            tab.add_column(col, justify=just)  # type: ignore[arg-type]
        for r in comp.to_dict("records"):
            cd = "; ".join(x for x in (r["census_districts"],
                                       f"part: {r['census_districts_part']}" if r["census_districts_part"] else "") if x)
            tab.add_row(r["district"], r["district_en"], cd, f"{int(r['census_total']):,}",
                        f"{int(r['case_current']):,}", f"{int(r['current_low']):,}-{int(r['current_high']):,}",
                        r["match"], f"{int(r['case_baseline']):,}", r["growth"])
        out = console()
        out.print(tab)
        exact = int((comp["match"] == "exact").sum())
        out.print(f"{exact} of {len(comp)} districts match the census exactly; the others hold nahiyas the census "
                  "counts in another district (see ground moves and the crosswalk in the case's census2024 folder).")
        moves = census2024.get("ground_moves")
        if moves is not None and not moves.empty:
            out.print("Ground moves (census governorate -> COD-AB governorate): " + "; ".join(
                f"{m['census_district']} ({m['census_governorate']}) -> {m['to']}: {int(m['people']):,}"
                for m in moves.to_dict("records")))
        return
    prov = c.provenance
    assert prov is not None
    _check_status(status, "status")
    _check_status(size_status, "size status")
    _check_status(composition_status, "composition status")
    if unit:
        c.territory.index(unit)  # unknown ids: one clear error
        prov = prov[prov["unit_id"].isin(unit)]
    if status:
        prov = prov[prov["status"] == status]
    if size_status:
        prov = prov[prov["size_status"] == size_status]
    if composition_status:
        prov = prov[prov["composition_status"] == composition_status]
    if census:
        c.territory.census(census)
        prov = prov[prov["census"] == census]
    names = dict(zip(c.territory.unit_ids.tolist(), c.territory.labels.get("name_en", c.territory.unit_ids).tolist(),
                     strict=True))
    if summary_only or not unit:
        comm = prov[prov["field"] != "total"]
        tot = prov[prov["field"] == "total"]
        counts = (comm.groupby(["unit_id", "composition_status"]).size().unstack(fill_value=0)
                  .reindex(columns=list(_STATUSES), fill_value=0))
        size = tot.pivot_table(index="unit_id", columns="census", values="size_status", aggfunc="first")
        cur = tot[tot["census"] == "current"].set_index("unit_id")
        conf = prov.groupby("unit_id")["confidence"].agg(lambda s: "/".join(sorted(set(s) - {""})))
        uids = sorted(set(counts.index) | set(size.index))
        records = []
        for u in uids:
            row = counts.loc[u] if u in counts.index else dict.fromkeys(_STATUSES, 0)
            rec = {"unit_id": u, "name": names.get(u, "")}
            for cname in size.columns:
                rec[f"size_{cname}"] = str(size.loc[u, cname]) if u in size.index else ""
            rec.update({f"composition_{k}": int(row[k]) for k in _STATUSES})
            if u in cur.index:
                rec.update(current=int(cur.loc[u, "value"]), current_low=int(cur.loc[u, "low"]),
                           current_high=int(cur.loc[u, "high"]))
            rec["confidence"] = conf.get(u, "")
            records.append(rec)
        if json_out:
            print_json(records)
            return
        tab = Table(title=f"Provenance of census figures, case {c.name}: size status per census, composition "
                          "status (counts of community figures), current total and range")
        cols = ["unit", "name", *[f"size {cn}" for cn in size.columns], "comp. sourced", "comp. derived",
                "comp. imputed", "current", "range", "confidence"]
        for col in cols:
            tab.add_column(col, justify="right" if col.startswith(("comp.", "current", "range")) else "left")
        for rec in records:
            tab.add_row(rec["unit_id"], rec["name"], *[rec.get(f"size_{cn}", "") for cn in size.columns],
                        *[str(rec[f"composition_{k}"]) for k in _STATUSES],
                        f"{rec['current']:,}" if "current" in rec else "",
                        f"{rec['current_low']:,}-{rec['current_high']:,}" if "current" in rec else "",
                        rec["confidence"])
        out = console()
        out.print(tab)
        n = len(comm)
        sizes = tot["size_status"].value_counts()
        comps = comm["composition_status"].value_counts()
        out.print(f"unit totals: {len(tot)}; " + ", ".join(f"{k} {int(sizes.get(k, 0))}" for k in _STATUSES)
                  + f". community figures: {n}; " + ", ".join(f"{k} {int(comps.get(k, 0))}" for k in _STATUSES)
                  + f" ({100.0 * comps.get('imputed', 0) / max(n, 1):.0f}% of shares imputed; every figure has a "
                  "low and a high). Use --unit ID for the figures of one unit, --districts for the census "
                  "comparison.")
        return
    if json_out:
        print_json(prov.to_dict("records"))
        return
    cols = [col for col in ("census", "unit_id", "field", "value", "low", "high", "size_status", "composition_status",
                            "rule", "range_rule", "source_ids", "confidence") if col in prov.columns]
    tab = Table(title=f"Census figures and their sources, case {c.name}")
    for col in cols:
        tab.add_column(col)
    for r in prov.to_dict("records"):
        tab.add_row(*[str(r.get(col, "")) for col in cols])
    console().print(tab)
