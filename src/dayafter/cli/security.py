"""``dayafter security run|forces``: requisite forces per unit and an acceptable allocation."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from dayafter.cli._common import CaseOpt, ProjectOpt, console, open_project, print_json
from dayafter.errors import InputDataError

if TYPE_CHECKING:
    from dayafter.project import Project
    from dayafter.security import ForceCatalog

app = typer.Typer(help="Security feasibility: forces needed per unit and who can provide them.",
                  no_args_is_help=True)

ForcesOpt = Annotated[Path | None, typer.Option(
    "--forces", help="Forces JSON (strengths, acceptability rules); default: the case's.")]


def _catalog(forces: Path | None, proj: Project | None, min_share: float | None,
             drop_rule: list[str] | None, *, case: str | None = None) -> ForceCatalog:
    """The forces of ``--forces``, else those the project ships (the case is opened only then)."""
    from dataclasses import replace

    from dayafter.security import load_force_catalog

    if forces is None:
        proj = proj or open_project(case, None)
    path = forces or proj.require_data_file("security", "forces.json", option="--forces")  # type: ignore[union-attr]
    cat = load_force_catalog(path)
    if drop_rule:
        cat = cat.without_rules(drop_rule)
    if min_share is not None:
        cat = replace(cat, min_accept_share=float(min_share))
    return cat


def _multipliers(path: Path | None, territory: Any = None) -> dict[str, float] | None:
    if path is None:
        return None
    from dayafter._inputs import read_csv_dicts

    rows = read_csv_dicts(path, what="multipliers table")
    if not rows or "unit_id" not in rows[0] or "multiplier" not in rows[0]:
        raise InputDataError("a multipliers table needs the columns unit_id and multiplier",
                             hint="write the header 'unit_id,multiplier'", source=str(path))
    out: dict[str, float] = {}
    import math

    for i, r in enumerate(rows, start=2):
        unit = (r["unit_id"] or "").strip()
        try:
            val = float(r["multiplier"])
        except (TypeError, ValueError):
            raise InputDataError(f"row {i}: multiplier {r.get('multiplier')!r} is not a number",
                                 hint="write unit_id,multiplier with a number on every row",
                                 source=str(path)) from None
        if not (math.isfinite(val) and val >= 0):
            raise InputDataError(f"row {i} (unit {unit!r}): multiplier {r.get('multiplier')!r} is not a "
                                 "finite number >= 0", unit_ids=[unit], source=str(path),
                                 hint="1 leaves the requirement as it is, 2 doubles it")
        if unit in out:
            raise InputDataError(f"row {i}: unit {unit!r} is listed twice", unit_ids=[unit],
                                 source=str(path), hint="keep one row per unit")
        out[unit] = val
    if territory is not None:
        territory.index(list(out), source=str(path))  # unknown ids name the file
    return out


@app.command("run")
def run_cmd(
    case: CaseOpt = None,
    project: ProjectOpt = None,
    forces: ForcesOpt = None,
    census: Annotated[str | None, typer.Option(help="Census (default: the territory's first).")] = None,
    per_1000: Annotated[float, typer.Option(
        "--per-1000", help="Personnel per 1,000 residents (Quinlivan / FM 3-24: 20).")] = 20.0,
    multipliers: Annotated[Path | None, typer.Option(
        help="CSV unit_id,multiplier: threat-level factors on the requirement (default 1).")] = None,
    urban: Annotated[Path | None, typer.Option(
        help="CSV unit_id,multiplier: urban factors on the requirement (default 1).")] = None,
    min_share: Annotated[float | None, typer.Option(
        help="Acceptance threshold: share of residents from accepting communities.")] = None,
    drop_rule: Annotated[list[str] | None, typer.Option(
        "--drop-rule", help="Ignore an acceptability rule by id (repeatable).")] = None,
    plan: Annotated[str | None, typer.Option(
        help="Plan (file or scenario) for the per-region table; default: the case's reference.")] = None,
    require_full: Annotated[bool, typer.Option(
        help="Exit 4 unless every unit's requirement can be met.")] = False,
    sensitivity: Annotated[bool, typer.Option(
        help="Also report totals for 10, 20, 25, 30 and 40 per 1,000.")] = False,
    top: Annotated[int, typer.Option(help="Units to list in the table (largest shortfall first).")] = 15,
    json_out: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Allocate forces to units (LP), report requirements, gaps and which rules bind."""
    import numpy as np
    from rich.markup import escape
    from rich.table import Table

    from dayafter.security import allocate_forces, force_requirement, requirement_sensitivity

    proj = open_project(case, project)
    t = proj.territory
    cat = _catalog(forces, proj, min_share, drop_rule)
    threat_f, urban_f = _multipliers(multipliers, t), _multipliers(urban, t)
    req = force_requirement(t, census=census, per_1000=per_1000, threat=threat_f, urban=urban_f)
    a = allocate_forces(t, cat, census=census, requirement=req, require_full=require_full)
    base = None
    if plan is not None:
        base = proj.resolve_plan(plan)
    else:
        base = proj.reference_plan
    payload: dict[str, Any] = a.to_dict()
    payload["per_1000"] = per_1000
    payload["catalog"] = {"name": cat.name, "min_accept_share": cat.min_accept_share,
                          "rules": [{"id": r.id, "kind": r.kind, "forces": list(r.forces),
                                     "text": r.text, "sources": list(r.sources)}
                                    for r in cat.rules]}
    if base is not None:
        payload["regions"] = a.by_region(base)
        payload["plan"] = base.name
    if sensitivity:
        payload["sensitivity"] = requirement_sensitivity(t, cat, census=census, threat=threat_f,
                                                         urban=urban_f)
    if json_out:
        print_json(payload)
        return
    out = console()
    out.print(f"[bold]Security feasibility[/bold] on {escape(t.name or 'territory')}: "
              f"{per_1000:g} per 1,000 residents, census {a.meta['census']}, acceptance share "
              f">= {cat.min_accept_share:.0%}")
    out.print(f"required {a.requirement.sum():,.0f}; covered {a.covered.sum():,.0f}; shortfall "
              f"{a.total_shortfall:,.0f} in {(a.shortfall > 1e-9).sum()} units")
    ft = Table(title="Forces")
    for col in ("force", "strength", "used", "spare", "value of one more"):
        ft.add_column(col, justify="left" if col == "force" else "right")
    for f, name in enumerate(a.force_names):
        ft.add_row(escape(name), f"{a.strength[f]:,.0f}", f"{a.used[f]:,.0f}",
                   f"{a.strength[f] - a.used[f]:,.0f}", f"{a.strength_price[f]:.3f}")
    out.print(ft)
    if base is not None:
        rt = Table(title=f"Regions of {escape(base.name)}")
        for col in ("region", "authority", "required", "covered", "shortfall", "main forces"):
            rt.add_column(col, justify="left" if col in ("region", "authority", "main forces") else "right")
        for r in payload["regions"]:
            main = sorted(r["forces"].items(), key=lambda kv: -kv[1])[:3]
            rt.add_row(escape(r["region"]), escape(r["authority"]), f"{r['requirement']:,.0f}",
                       f"{r['covered']:,.0f}", f"{r['shortfall']:,.0f}",
                       escape(", ".join(f"{k} {v:,.0f}" for k, v in main)))
        out.print(rt)
    ut = Table(title=f"Units (largest shortfall first, top {top})")
    for col in ("unit", "required", "covered", "shortfall", "forces"):
        ut.add_column(col, justify="left" if col in ("unit", "forces") else "right")
    order = np.lexsort((-a.requirement, -a.shortfall))[:top]
    for u in order:
        alloc = {a.forces[f]: a.allocation[f, u] for f in range(len(a.forces)) if a.allocation[f, u] > 0}
        ut.add_row(escape(t.unit_label(int(u))), f"{a.requirement[u]:,.0f}", f"{a.covered[u]:,.0f}",
                   f"{a.shortfall[u]:,.0f}", escape(", ".join(f"{k} {v:,.0f}" for k, v in alloc.items())))
    out.print(ut)
    binding = a.binding_rules()
    if binding:
        bt = Table(title="Binding constraints (shortfall saved per extra person)")
        for col in ("rule", "force", "price", "units", "sources"):
            bt.add_column(col, justify="right" if col == "price" else "left")
        for b in binding:
            units = b["units"]
            bt.add_row(b["rule"], b["force"], f"{b['price']:.3f}",
                       f"{len(units)}: {', '.join(units[:3])}{' ...' if len(units) > 3 else ''}"
                       if units else "", ", ".join(b["sources"]))
        out.print(bt)
    zero = a.zero_capacity_units()
    if zero:
        out.print(f"[red]{len(zero)} units with a requirement have no acceptable force:[/red] "
                  + ", ".join(z["unit_id"] for z in zero[:10]) + (" ..." if len(zero) > 10 else ""))
    if sensitivity:
        st = Table(title="Sensitivity to the force ratio")
        for col in ("per 1,000", "required", "covered", "shortfall", "units short"):
            st.add_column(col, justify="right")
        for r in payload["sensitivity"]:
            st.add_row(f"{r['per_1000']:g}", f"{r['requirement']:,.0f}", f"{r['covered']:,.0f}",
                       f"{r['shortfall']:,.0f}", str(r["units_short"]))
        out.print(st)


@app.command("forces")
def forces_cmd(
    case: CaseOpt = None,
    forces: ForcesOpt = None,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Show the forces and the acceptability rules with their sources."""
    from rich.markup import escape
    from rich.table import Table

    cat = _catalog(forces, None, None, None, case=case)
    data = {"name": cat.name, "min_accept_share": cat.min_accept_share,
            "forces": [{"key": f.key, "name": f.name, "strength": f.strength,
                        "strength_basis": f.strength_basis, "sources": list(f.sources)}
                       for f in cat.forces],
            "rules": [{"id": r.id, "kind": r.kind, "forces": list(r.forces),
                       "communities": list(r.communities), "units": list(r.units),
                       "text": r.text, "sources": list(r.sources)} for r in cat.rules],
            "sources": dict(cat.sources)}
    if json_out:
        print_json(data)
        return
    out = console()
    ft = Table(title=escape(cat.name or "Forces"))
    for col in ("key", "force", "strength", "basis"):
        ft.add_column(col, justify="right" if col == "strength" else "left")
    for f in cat.forces:
        ft.add_row(f.key, escape(f.name), f"{f.strength:,.0f}", escape(f.strength_basis))
    out.print(ft)
    rt = Table(title=f"Acceptability rules (threshold {cat.min_accept_share:.0%} of residents)")
    for col in ("id", "kind", "forces", "what", "rule", "sources"):
        rt.add_column(col)
    for r in cat.rules:
        rt.add_row(r.id, r.kind, ", ".join(r.forces), escape(", ".join(r.communities or r.units)),
                   escape(r.text), ", ".join(r.sources))
    out.print(rt)
