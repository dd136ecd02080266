"""``dayafter sequence run|list``: a settlement as ordered steps, with its timeline."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from dayafter.cli._article140 import (
    CaseOpt,
    CensusDrawsOpt,
    DrawsOpt,
    JsonOpt,
    SeedOpt,
    case_name,
    census_draws,
    fmt,
)
from dayafter.cli._common import console, print_json
from dayafter.errors import InputDataError

app = typer.Typer(help="Settlement sequencing: normalise, census, referendum, transfer, deploy, elect.",
                  no_args_is_help=True)


def _settlement(spec: str, case: str | None):
    from dayafter.sequence import case_settlements, load_settlement

    if Path(spec).exists():
        return load_settlement(spec)
    known = case_settlements(case_name(case))
    if spec not in known:
        raise InputDataError(f"{spec!r} is neither a settlement file nor a settlement of the case",
                             hint=f"give a path or one of {sorted(known)}")
    return known[spec]


@app.command("run")
def run_cmd(
    settlement: Annotated[str, typer.Argument(help="Settlement file (JSON) or a case settlement name.")] = "article-140",
    case: CaseOpt = None,
    draws: DrawsOpt = 200,
    seed: SeedOpt = 0,
    with_census_draws: CensusDrawsOpt = True,
    json_out: JsonOpt = False,
) -> None:
    """Run the steps in order and print the timeline with each precondition and effect."""
    from rich.markup import escape
    from rich.table import Table

    from dayafter.project import Project
    from dayafter.sequence import SequenceInputs, run_sequence

    s = _settlement(settlement, case)
    c = Project.from_case(case_name(case))
    # the project holds what the inputs read (territory, plans, reference, criteria, name) and
    # the council rules the case ships, if any
    res = run_sequence(s, SequenceInputs.from_case(c, council_rules=c.council_rules),
                       rng=np.random.default_rng(seed), draws=draws,
                       census_draws=census_draws(c.territory, draws, seed, with_census_draws))
    if json_out:
        d = res.to_dict()
        d["seed"] = seed
        print_json(d)
        return
    out = console()
    out.print(f"[bold]{escape(s.title or s.name)}[/bold] from {escape(s.plan or c.reference or '')}: "
              f"{'completed' if res.completed else 'stopped'} after {res.years:g} years; census of "
              f"record {res.census}; plan in force {escape(res.plan.name)}")
    t = Table(title="Timeline")
    for col in ("years", "step", "status", "preconditions", "effects"):
        t.add_column(col)
    for o in res.timeline:
        pre = "; ".join(f"{p['name']}: {'pass' if p['passed'] else 'FAIL'}"
                        + (f" ({p['reason']})" if p.get("reason") else "") for p in o.preconditions)
        eff = {k: v for k, v in o.effects.items() if k not in ("budget", "forces", "plan")}
        t.add_row(f"{o.start:g}-{o.end:g}", escape(o.step.name), o.status, escape(pre),
                  escape(", ".join(f"{k} {v if not isinstance(v, float) else fmt(v) if v > 1 else f'{v:.2f}'}"
                                   for k, v in eff.items())))
    out.print(t)
    m = res.metrics
    out.print("returned share {}; claims resolved {}; people moved {}; referendum certainty {}; "
              "security coverage {}".format(fmt(m.get("returned_share"), "pct"),
                                            fmt(m.get("claims_resolved_share"), "pct"),
                                            fmt(m.get("people_moved")),
                                            fmt(m.get("referendum_certainty"), "pct"),
                                            fmt(m.get("security_coverage"), "pct")))


@app.command("list")
def list_cmd(case: CaseOpt = None, json_out: JsonOpt = False) -> None:
    """List the case's settlements and their steps."""
    from rich.markup import escape

    from dayafter.sequence import case_settlements

    known = case_settlements(case_name(case))
    if json_out:
        print_json({k: v.to_dict() for k, v in known.items()})
        return
    out = console()
    for name, s in known.items():
        out.print(f"[bold]{name}[/bold]: {escape(s.title)}")
        for i, st in enumerate(s.steps, start=1):
            out.print(f"  {i}. {escape(st.name)} ({st.kind}, {st.years:g} years)")
