"""``dayafter security run|forces``: requisite forces per unit and an acceptable allocation."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from dayafter.cli import _uncertainty as U
from dayafter.cli._common import CaseOpt, ProjectOpt, console, open_project, print_json
from dayafter.errors import ConfigError, InputDataError

if TYPE_CHECKING:
    from dayafter.project import Project
    from dayafter.security import ForceCatalog

app = typer.Typer(help="Security feasibility: forces needed per unit and who can provide them.",
                  no_args_is_help=True)

ForcesOpt = Annotated[Path | None, typer.Option(
    "--forces", help="Forces JSON (strengths, acceptability rules); default: the case's.")]


def _catalog(forces: Path | None, proj: Project | None, min_share: float | None,
             drop_rule: list[str] | None, veto_share: float | None = None,
             no_veto: bool = False, *, case: str | None = None) -> ForceCatalog:
    """The forces of ``--forces``, else those the project ships (the case is opened only then),
    with rules dropped and the acceptance and veto thresholds changed as asked."""
    from dayafter.security import load_force_catalog

    if forces is None:
        proj = proj or open_project(case, None)
    path = forces or proj.require_data_file("security", "forces.json", option="--forces")  # type: ignore[union-attr]
    cat = load_force_catalog(path)
    if drop_rule:
        cat = cat.without_rules(drop_rule)
    if min_share is not None or veto_share is not None or no_veto:
        from dayafter.errors import ConfigError

        if veto_share is not None and no_veto:
            raise ConfigError("--veto-share and --no-veto contradict each other", hint="give one")
        cat = cat.with_thresholds(accept=min_share,
                                  veto=None if no_veto else (veto_share if veto_share is not None
                                                             else "keep"))
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
    veto_share: Annotated[float | None, typer.Option(
        help="Veto threshold: a community above this share that rejects a force bars it.")] = None,
    no_veto: Annotated[bool, typer.Option("--no-veto", help="Drop the veto threshold.")] = False,
    drop_rule: Annotated[list[str] | None, typer.Option(
        "--drop-rule", help="Ignore an acceptability rule by id (repeatable).")] = None,
    plan: Annotated[str | None, typer.Option(
        help="Plan (file or scenario) whose control layer the rules read, and whose polities "
        "the per-region table sums; default: the case's reference.")] = None,
    require_full: Annotated[bool, typer.Option(
        help="Exit 4 unless every unit's requirement can be met.")] = False,
    sensitivity: Annotated[bool, typer.Option(
        help="Also report totals for 10, 20, 25, 30 and 40 per 1,000.")] = False,
    thresholds: Annotated[bool, typer.Option(
        help="Also report the shortfall for acceptance shares 0.4-0.6 and veto shares "
        "none/0.15/0.25/0.35 (both thresholds are assumptions).")] = False,
    top: Annotated[int, typer.Option(help="Units to list in the table (largest shortfall first).")] = 15,
    draws: U.DrawsOpt = 0,
    seed: U.SeedOpt = 0,
    max_lp: Annotated[int, typer.Option(
        "--max-lp", help="With --draws: solve the allocation LP on at most this many draws (the "
        "first ones; the requirement uses every draw).")] = 100,
    json_out: Annotated[bool, typer.Option("--json", help="Machine-readable output.")] = False,
) -> None:
    """Allocate forces to units (LP), report requirements, gaps and which rules bind (with ranges
    over census draws: --draws)."""
    import numpy as np
    from rich.markup import escape
    from rich.table import Table

    from dayafter.security import (
        allocate_forces,
        force_requirement,
        requirement_sensitivity,
        threshold_sensitivity,
    )

    U.check_draws(draws)
    if max_lp < 1:
        raise ConfigError(f"--max-lp must be at least 1, got {max_lp}", hint="e.g. --max-lp 100")
    proj = open_project(case, project)
    t = proj.territory
    cat = _catalog(forces, proj, min_share, drop_rule, veto_share, no_veto)
    threat_f, urban_f = _multipliers(multipliers, t), _multipliers(urban, t)
    req = force_requirement(t, census=census, per_1000=per_1000, threat=threat_f, urban=urban_f)
    base = None
    if plan is not None:
        base = proj.resolve_plan(plan)
    else:
        base = proj.reference_plan
    a = allocate_forces(t, cat, plan=base, census=census, requirement=req,
                        require_full=require_full)
    payload: dict[str, Any] = a.to_dict()
    payload["per_1000"] = per_1000
    payload["catalog"] = {"name": cat.name, "min_accept_share": cat.min_accept_share,
                          "accept_basis": cat.accept_basis, "veto_share": cat.veto_share,
                          "veto_basis": cat.veto_basis,
                          "rules": [{"id": r.id, "kind": r.kind, "forces": list(r.forces),
                                     "control": list(r.control), "text": r.text,
                                     "sources": list(r.sources)}
                                    for r in cat.rules]}
    if base is not None:
        payload["regions"] = a.by_region(base)
        payload["plan"] = base.name
    if sensitivity:
        payload["sensitivity"] = requirement_sensitivity(t, cat, plan=base, census=census,
                                                         threat=threat_f, urban=urban_f)
    if thresholds:
        payload["thresholds"] = threshold_sensitivity(t, cat, plan=base, census=census,
                                                      per_1000=per_1000)
    if draws:
        from dayafter.security.draws import security_draws

        cname = str(a.meta["census"])
        cd = U.census_draws(t, draws, seed, [cname])
        sd = security_draws(t, cat, base, cd, census=cname, per_1000=per_1000, threat=threat_f,
                            urban=urban_f, max_lp=max_lp)
        payload["uncertainty"] = {"draws": cd.describe(), "security": sd.summary()}
    if json_out:
        print_json(payload)
        return
    out = console()
    veto = "no veto" if cat.veto_share is None else f"veto above {cat.veto_share:.0%}"
    out.print(f"[bold]Security feasibility[/bold] on {escape(t.name or 'territory')}: "
              f"{per_1000:g} per 1,000 residents, census {a.meta['census']}, acceptance share "
              f">= {cat.min_accept_share:.0%}, {veto}"
              + (f"; control layer of plan {escape(base.name)}" if base is not None else ""))
    out.print(f"required {a.requirement.sum():,.0f}; covered {a.covered.sum():,.0f}; shortfall "
              f"{a.total_shortfall:,.0f} in {(a.shortfall > 1e-9).sum()} units")
    ft = Table(title="Forces: where each serves, and why what it does not place is not placed")
    for col in ("force", "kind", "strength", "used", "units", "value of one more", "why not used"):
        ft.add_column(col, justify="left" if col in ("force", "kind", "why not used") else "right")
    for f, row in enumerate(payload["force_report"]):
        ft.add_row(escape(row["name"]), row["kind"], f"{row['strength']:,.0f}", f"{row['used']:,.0f}",
                   str(row["units_served"]), f"{a.strength_price[f]:.3f}",
                   escape("; ".join(row["why"])) if row["why"] else "-")
    out.print(ft)
    if base is not None:
        rt = Table(title=f"Polities of {escape(base.name)} (control: units held by each authority)")
        for col in ("region", "authority", "control", "required", "covered", "shortfall",
                    "main forces"):
            rt.add_column(col, justify="left" if col in ("region", "authority", "control",
                                                         "main forces") else "right")
        for r in payload["regions"]:
            main = sorted(r["forces"].items(), key=lambda kv: -kv[1])[:3]
            rt.add_row(escape(r["region"]), escape(r["authority"]),
                       escape(", ".join(f"{k} {v}" for k, v in r["control"].items())),
                       f"{r['requirement']:,.0f}",
                       f"{r['covered']:,.0f}", f"{r['shortfall']:,.0f}",
                       escape(", ".join(f"{k} {v:,.0f}" for k, v in main)))
        out.print(rt)
    ut = Table(title=f"Units (largest shortfall first, top {top}): which force covers which unit")
    for col in ("unit", "control", "required", "covered", "shortfall", "forces"):
        ut.add_column(col, justify="left" if col in ("unit", "control", "forces") else "right")
    order = np.lexsort((-a.requirement, -a.shortfall))[:top]
    for u in order:
        alloc = {a.forces[f]: a.allocation[f, u] for f in range(len(a.forces)) if a.allocation[f, u] > 0}
        ut.add_row(escape(t.unit_label(int(u))), "" if a.control is None else escape(str(a.control[u])),
                   f"{a.requirement[u]:,.0f}", f"{a.covered[u]:,.0f}",
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
    if thresholds:
        tt = Table(title="Sensitivity to the acceptance and veto thresholds (assumptions)")
        for col in ("accept share", "veto share", "covered", "shortfall", "units short"):
            tt.add_column(col, justify="right")
        for r in payload["thresholds"]:
            tt.add_row(f"{r['accept_share']:.0%}", "none" if r["veto_share"] is None
                       else f"{r['veto_share']:.0%}", f"{r['covered']:,.0f}",
                       f"{r['shortfall']:,.0f}", str(r["units_short"]))
        out.print(tt)
    out.print(f"acceptance: {escape(cat.accept_basis or 'no basis given')}")
    if cat.veto_share is not None:
        out.print(f"veto: {escape(cat.veto_basis or 'no basis given')}")
    if draws:
        U.print_security_ranges(out, payload["uncertainty"])


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
    data = cat.to_dict()
    if json_out:
        print_json(data)
        return
    out = console()
    ft = Table(title=escape(cat.name or "Forces"))
    for col in ("key", "force", "kind", "strength", "basis"):
        ft.add_column(col, justify="right" if col == "strength" else "left")
    for f in cat.forces:
        strength = (f"{f.per_1000:g} per 1,000" if f.kind == "local" and f.strength is None
                    else f"{f.strength or 0:,.0f}")
        ft.add_row(f.key, escape(f.name), f.kind, strength, escape(f.strength_basis))
    out.print(ft)
    veto = "no veto" if cat.veto_share is None else f"veto above {cat.veto_share:.0%}"
    rt = Table(title=f"Acceptability rules (acceptance {cat.min_accept_share:.0%} of residents, "
                     f"{veto})")
    for col in ("id", "kind", "forces", "what", "rule", "sources"):
        rt.add_column(col)
    for r in cat.rules:
        rt.add_row(r.id, r.kind, ", ".join(r.forces),
                   escape(", ".join(r.communities or r.units or r.control)),
                   escape(r.text), ", ".join(r.sources))
    out.print(rt)
    out.print(f"acceptance: {escape(cat.accept_basis or 'no basis given')}")
    out.print(f"veto: {escape(cat.veto_basis or 'no basis given')}")
