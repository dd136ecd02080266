"""``dayafter claims adjudicate|table``: land and property claims, decided within a budget."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

from dayafter.cli._article140 import CaseOpt, JsonOpt, ProjectOpt, case_name, fmt
from dayafter.cli._common import console, open_project, print_json

app = typer.Typer(help="Land and property claims: restitution, compensation and a budget.",
                  no_args_is_help=True)
TableOpt = Annotated[Path | None, typer.Option("--table", help="Claims table CSV; default: the case's.")]
RulesOpt = Annotated[Path | None, typer.Option("--rules", help="Adjudication rules JSON; default: the case's.")]


def _load(table: Path | None, rules: Path | None, case: str | None):
    from dayafter.claims import case_claims_folder, load_rules, read_claims

    if table is None or rules is None:
        folder = case_claims_folder(case_name(case))
        table = table if table is not None else folder / "claims.csv"
        rules = rules if rules is not None else folder / "rules.json"
    return read_claims(table), load_rules(rules)


@app.command("adjudicate")
def adjudicate_cmd(
    table: TableOpt = None,
    rules: RulesOpt = None,
    budget: Annotated[float | None, typer.Option(min=0, help="Budget in USD (overrides the rules).")] = None,
    occupants: Annotated[str | None, typer.Option(
        help="Secondary-occupant policy: restitute_and_compensate, compensate_claimant or restitute.")] = None,
    case: CaseOpt = None,
    project_path: ProjectOpt = None,
    census: Annotated[str, typer.Option(help="Census weighting the spread of area-level rows.")] = "baseline",
    json_out: JsonOpt = False,
) -> None:
    """Decide the claims: restitution, compensation, people who must move, and the budget."""
    from rich.markup import escape
    from rich.table import Table

    from dayafter.claims import adjudicate

    tab, rl = _load(table, rules, case)
    if budget is not None:
        rl = replace(rl, budget_usd=budget)
    if occupants is not None:
        rl = replace(rl, secondary_occupants=occupants)
    t = open_project(case, project_path).territory
    res = adjudicate(tab, rl, territory=t, census=census)
    if json_out:
        print_json(res.to_dict())
        return
    c = console()
    b = res.budget()
    tot = {k: float(v.sum()) for k, v in res.row_outcomes().items()}
    c.print(f"[bold]Claims[/bold]: {fmt(tab.n_claims)} claims ({fmt(tab.count[tab.illustrative].sum())} "
            f"illustrative); resolved {fmt(tot['resolved'])}, restituted {fmt(tot['restituted'])}, "
            f"compensated {fmt(tot['compensated'])}, rejected {fmt(tot['rejected'])}, pending "
            f"{fmt(tot['pending'])}; people who must move {fmt(tot['people_move'])}")
    bt = Table(title="Budget (USD)")
    bt.add_column("line")
    bt.add_column("amount", justify="right")
    for key, label in (("available_usd", "available"), ("administration_usd", "administration"),
                       ("claimant_compensation_usd", "compensation to claimants"),
                       ("occupant_compensation_usd", "compensation to secondary occupants"),
                       ("remaining_usd", "remaining"), ("unfunded_claims_usd", "cost of the pending claims")):
        bt.add_row(label, fmt(b[key], "usd") if b[key] is not None else "unlimited")
    c.print(bt)
    ct = Table(title="By claimant community")
    for col in ("community", "claims", "restituted", "compensated", "rejected", "pending",
                "compensation", "occupants moving", "of them own people moving"):
        ct.add_column(col, justify="left" if col == "community" else "right")
    for row in res.by_community():
        ct.add_row(row["community"], fmt(row["claims"]), fmt(row["restituted"]),
                   fmt(row["compensated"]), fmt(row["rejected"]), fmt(row["pending"]),
                   fmt(row["claimant_usd"] + row["occupant_usd"], "usd"), fmt(row["people_move"]),
                   fmt(row["people_move_as_occupants"]))
    c.print(ct)
    ut = Table(title="By unit (most claims first, top 15)")
    for col in ("unit", "claims", "resolved", "pending", "compensation", "people moving"):
        ut.add_column(col, justify="left" if col == "unit" else "right")
    for row in sorted(res.by_unit(), key=lambda r: -r["claims"])[:15]:
        ut.add_row(escape(row["unit"]), fmt(row["claims"]), fmt(row["resolved"]), fmt(row["pending"]),
                   fmt(row["claimant_usd"] + row["occupant_usd"], "usd"), fmt(row["people_move"]))
    c.print(ut)


@app.command("table")
def table_cmd(
    table: TableOpt = None,
    rules: RulesOpt = None,
    case: CaseOpt = None,
    json_out: JsonOpt = False,
) -> None:
    """Show the claims table and the rules (with their sources)."""
    from rich.markup import escape
    from rich.table import Table

    tab, rl = _load(table, rules, case)
    if json_out:
        print_json({"claims": tab.to_records(), "rules": rl.to_dict()})
        return
    c = console()
    t = Table(title=f"{len(tab)} rows, {fmt(tab.n_claims)} claims")
    for col in ("claim_id", "area", "community", "property", "count", "cause", "tier", "status",
                "illustrative", "sources"):
        t.add_column(col)
    for r in tab.to_records():
        t.add_row(r["claim_id"], escape(r["area"]), r["community"], r["property_type"],
                  fmt(r["count"]), r["cause"], str(r["evidence_tier"]), r["status"],
                  "yes" if r["illustrative"] else "no", ", ".join(r["source_ids"]))
    c.print(t)
    c.print(f"rules {escape(rl.name)}: restitution up to tier {rl.restitution_max_tier}, compensation "
            f"up to tier {rl.compensation_max_tier}; occupants: {rl.secondary_occupants}; budget "
            f"{fmt(rl.budget_usd, 'usd')} ({rl.budget_rule}); priority {', '.join(rl.priority)}")
