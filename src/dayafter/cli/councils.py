"""``dayafter councils apportion|simulate|methods``: seats from votes, councils of a plan."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import numpy as np
import typer

from dayafter.cli import _uncertainty as U
from dayafter.cli._common import CaseOpt, ProjectOpt, console, open_project, print_json
from dayafter.errors import ConfigError, InputDataError
from dayafter.validation import PARAMETERS as P

_CASE_RULES = ("case", "iraq-2023")  # 'iraq-2023': the name the built-in case's rules had first

if TYPE_CHECKING:
    from dayafter.councils import CouncilRules
    from dayafter.project import Project

app = typer.Typer(help="Apportion seats and simulate the councils of a plan's regions.",
                  no_args_is_help=True)


_METHOD_HELP = ("dhondt (jefferson), sainte-lague (webster), huntington-hill, adams, dean, "
                "hare (hamilton), droop")


def read_votes_csv(path: Path) -> dict[str, list[Any]]:
    """A vote table: columns ``list`` and ``votes``, optional ``community`` and ``race``.

    ``race`` names the reserved race a list runs in (empty: the general count). Errors name the
    file and the row (the header is row 1).
    """
    from dayafter._inputs import read_input_text

    text = read_input_text(path, what="vote table")
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise InputDataError(f"the vote table is not a readable CSV ({exc})", source=str(path),
                             hint="save it as CSV (UTF-8) with one row per list") from None
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        raise InputDataError("the vote table is empty", source=str(path),
                             hint="give a header 'list,votes' and one row per list")
    header = [h.strip().lower() for h in rows[0]]
    for col in ("list", "votes"):
        if col not in header:
            raise InputDataError(f"the vote table has no {col!r} column (found {rows[0]})",
                                 source=str(path), hint="use a header 'list,votes[,community,race]'")
    if len(rows) < 2:
        raise InputDataError("the vote table has a header but no lists", source=str(path),
                             hint="add one row per list")
    ix = {h: header.index(h) for h in ("list", "votes", "community", "race") if h in header}
    out: dict[str, list[Any]] = {"list": [], "votes": [], "community": [], "race": []}
    seen: dict[str, int] = {}
    for k, row in enumerate(rows[1:], start=2):
        row = row + [""] * (len(header) - len(row))
        name = row[ix["list"]].strip()
        if not name:
            raise InputDataError(f"row {k} has no list name", source=str(path))
        if name in seen:
            raise InputDataError(f"row {k}: list {name!r} already appears on row {seen[name]}",
                                 source=str(path), hint="give every list one row")
        seen[name] = k
        raw = row[ix["votes"]].strip().replace(",", "").replace("_", "")
        try:
            v = float(raw)
        except ValueError:
            raise InputDataError(f"row {k} (list {name!r}): votes {row[ix['votes']]!r} is not a "
                                 "number", source=str(path), hint="write plain vote counts") from None
        if not np.isfinite(v) or v > 1e15:
            raise InputDataError(f"row {k} (list {name!r}): votes {raw} is not a usable count",
                                 source=str(path), hint="write a finite whole vote count")
        if v < 0:
            raise InputDataError(f"row {k} (list {name!r}) has negative votes ({raw})",
                                 source=str(path), hint="vote counts must be zero or more")
        if v != int(v):
            raise InputDataError(f"row {k} (list {name!r}): votes {raw} is not a whole number",
                                 source=str(path), hint="give whole vote counts")
        out["list"].append(name)
        out["votes"].append(int(v))
        out["community"].append(row[ix["community"]].strip() if "community" in ix else "")
        out["race"].append(row[ix["race"]].strip() if "race" in ix else "")
    return out


def _parse_reserved(items: list[str] | None) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in items or []:
        name, sep, n = item.rpartition("=")
        if not sep or not name.strip():
            raise ConfigError(f"--reserved {item!r}: expected RACE=SEATS",
                              hint="write the race and its seats, e.g. --reserved Christian=1")
        try:
            out[name.strip()] = int(n)
        except ValueError:
            raise ConfigError(f"--reserved {item!r}: {n!r} is not a whole number",
                              hint="e.g. --reserved Christian=1") from None
    return out


@app.command("methods")
def methods_cmd(json_out: Annotated[bool, typer.Option("--json")] = False) -> None:
    """List the apportionment methods and their divisors or quotas."""
    rows = [
        ("dhondt", "jefferson", "divisors 1, 2, 3, ..."),
        ("sainte-lague", "webster", "divisors f, 3, 5, 7, ... (first divisor f = 1; Iraq 2018-2025 1.7)"),
        ("huntington-hill", "equal proportions", "divisors sqrt(k (k+1)): 0, 1.41, 2.45, ..."),
        ("adams", "smallest divisors", "divisors 0, 1, 2, ..."),
        ("dean", "harmonic mean", "divisors 2k(k+1)/(2k+1): 0, 1.33, 2.4, ..."),
        ("hare", "hamilton", "largest remainder, quota V / S"),
        ("droop", "", "largest remainder, quota floor(V / (S+1)) + 1"),
    ]
    if json_out:
        print_json([{"method": m, "alias": a, "rule": r} for m, a, r in rows])
        return
    from rich.table import Table

    tab = Table(title="Apportionment methods (exact integer arithmetic; ties reported)")
    for col in ("method", "alias", "rule"):
        tab.add_column(col)
    for r in rows:
        tab.add_row(*r)
    console().print(tab)


@app.command("apportion")
def apportion_cmd(
    votes: Annotated[Path, typer.Argument(help="CSV with columns list, votes[, community, race].")],
    seats: Annotated[int, typer.Option("--seats", help=P["seats"].help())],
    method: Annotated[str, typer.Option("--method", help=P["apportion_method"].help())] = P["apportion_method"].default,
    first_divisor: Annotated[str | None, typer.Option("--first-divisor", help=P["first_divisor"].help())] = None,
    threshold: Annotated[float | None, typer.Option("--threshold", help=P["vote_threshold"].help())] = None,
    exempt: Annotated[list[str] | None, typer.Option("--exempt", help="List exempt from the threshold (repeatable).")] = None,
    reserved: Annotated[list[str] | None, typer.Option("--reserved", help="Reserved seats of a race, RACE=N (repeatable); lists run in it through the 'race' column.")] = None,
    min_seats: Annotated[int, typer.Option("--min-seats", help=P["min_seats"].help())] = P["min_seats"].default,
    seed: Annotated[int | None, typer.Option("--seed", help="Break ties by a lot drawn with this seed (reported).")] = None,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Allocate seats among the lists of a vote table."""
    import numpy as np

    from dayafter.councils import apportion, effective_number, gallagher, loosemore_hanby

    table = read_votes_csv(votes)
    res = _parse_reserved(reserved)
    rng = np.random.default_rng(seed) if seed is not None else None
    r = apportion(
        table["votes"], seats, method=method, first_divisor=first_divisor, threshold=threshold,
        threshold_exempt=exempt or (), min_seats=min_seats, lists=table["list"],
        communities=table["community"], races=table["race"], reserved=res, rng=rng,
        source=str(votes))
    gen = [i for i, x in enumerate(table["race"]) if not x]
    gv = r.votes[gen]
    gs = r.general[gen]
    idx = {"gallagher": float(gallagher(gv, gs)), "loosemore_hanby": float(loosemore_hanby(gv, gs)),
           "enp_votes": float(effective_number(gv)), "enp_seats": float(effective_number(gs))}
    if json_out:
        print_json({
            "method": r.method, "first_divisor": None if r.first_divisor is None else str(r.first_divisor),
            "threshold": None if r.threshold is None else str(r.threshold), "seats": seats,
            "decided": r.decided, "lists": r.to_records(),
            "ties": [{"race": t.race, "lists": list(t.lists), "seats": t.seats,
                      "by_lot": t.by_lot, "winners": list(t.winners), "seed": seed} for t in r.ties],
            "indices": idx, "by_community": r.by_community(),
        })
        return
    from rich.markup import escape
    from rich.table import Table

    rule = r.method + (f" (first divisor {float(r.first_divisor):g})" if r.first_divisor is not None else "")
    tab = Table(title=f"{seats} seats, {rule}" + (f", threshold {float(r.threshold):.2%}" if r.threshold else ""))
    for col in ("list", "community", "race", "votes", "vote %", "seats", "seat %"):
        tab.add_column(col, justify="left" if col in ("list", "community", "race") else "right")
    tv = max(int(r.votes.sum()), 1)
    for rec in r.to_records():
        tab.add_row(escape(rec["list"]), escape(rec["community"]), escape(rec["race"]),
                    f"{rec['votes']:,}" + ("" if rec["eligible"] or rec["race"] else " *"),
                    f"{rec['votes'] / tv:.2%}", str(rec["seats"]), f"{rec['seats'] / max(seats, 1):.2%}")
    out = console()
    out.print(tab)
    if r.threshold:
        out.print("* below the threshold")
    out.print(f"Gallagher {idx['gallagher']:.2f}, Loosemore-Hanby {idx['loosemore_hanby']:.2f}, "
              f"effective number of lists: votes {idx['enp_votes']:.2f}, seats {idx['enp_seats']:.2f}")
    for t in r.ties:
        out.print(("[yellow]" if not t.by_lot else "") + escape(t.describe()) + (f" (seed {seed})" if t.by_lot else "")
                  + ("[/]" if not t.by_lot else ""))


def _rules(rules: str | None, *, proj: Project, size: int | None, residents_per_seat: float | None,
           method: str | None, first_divisor: str | None, threshold: float | None,
           turnout: float | None, adult_share: float | None) -> CouncilRules:
    from dataclasses import replace

    from dayafter.councils import CouncilRules, VotingModel

    if rules is None and size is None and residents_per_seat is None:
        rules = "case"
    if rules in _CASE_RULES:
        if proj.council_rules is None:
            raise ConfigError(f"{proj.source} ships no council rules (councils/rules.json)",
                              hint="pass --size N, --residents-per-seat N or --rules FILE")
        base = proj.council_rules
    elif rules is not None:
        path = Path(rules)
        if not path.exists() and not path.is_symlink():
            raise InputDataError("council rules file not found" if path.suffix or "/" in rules else
                                 f"{rules!r} is neither 'case' nor a rules file",
                                 hint="give a JSON/YAML rules file or 'case' (the case's own rules)",
                                 source=str(rules))
        from dayafter.io.specs import read_spec

        spec = read_spec(path, what="council rules file")
        if not isinstance(spec, dict):
            raise InputDataError("council rules must be a mapping of keys to values", source=str(path))
        base = CouncilRules.from_dict(spec, source=str(path))
    else:
        base = CouncilRules(size=size, residents_per_seat=residents_per_seat)
    kw: dict[str, Any] = {}
    if size is not None or residents_per_seat is not None:
        kw.update(size=size, residents_per_seat=residents_per_seat, admin=None)
    if method is not None:
        kw["method"] = method
        if first_divisor is None:
            kw["first_divisor"] = None
    if first_divisor is not None:
        kw["first_divisor"] = first_divisor
    if threshold is not None:
        kw["threshold"] = threshold
    if turnout is not None or adult_share is not None:
        kw["voting"] = VotingModel(
            adult_share=base.voting.adult_share if adult_share is None else adult_share,
            turnout=base.voting.turnout if turnout is None else turnout)
    return replace(base, **kw) if kw else base


@app.command("simulate")
def simulate_cmd(
    plan: Annotated[str, typer.Argument(help="Plan file (.json, .csv, .gpkg) or scenario name.")],
    case: CaseOpt = None,
    project: ProjectOpt = None,
    census: Annotated[list[str] | None, typer.Option("--census", help="Census (repeatable; default all).")] = None,
    rules: Annotated[str | None, typer.Option("--rules", help="'case' (the rules the case ships, the default; 'iraq-2023' is the same) or a JSON/YAML rules file.")] = None,
    size: Annotated[int | None, typer.Option("--size", help="Fixed council size of every region (replaces the sizes and quota seats of --rules).")] = None,
    residents_per_seat: Annotated[float | None, typer.Option("--residents-per-seat", help="One seat per N residents.")] = None,
    method: Annotated[str | None, typer.Option("--method", help=_METHOD_HELP)] = None,
    first_divisor: Annotated[str | None, typer.Option("--first-divisor", help="Sainte-Laguë first divisor (replaces the rules').")] = None,
    threshold: Annotated[float | None, typer.Option("--threshold", help="Minimum vote share of a list, e.g. 0.05.")] = None,
    turnout: Annotated[float | None, typer.Option("--turnout", help="Turnout of every community (share).")] = None,
    adult_share: Annotated[float | None, typer.Option("--adult-share", help="Voting-age share of every community.")] = None,
    votes: Annotated[Path | None, typer.Option("--votes", help="Vote table per region instead of the voting model: CSV with region,list,votes,community[,race].")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Break ties by lot with this seed (reported); also seeds --draws (default 0).")] = None,
    out_csv: Annotated[Path | None, typer.Option("--out", help="Write the seats table (census x region x community) as CSV.")] = None,
    draws: U.DrawsOpt = 0,
    ranges: U.RangesOpt = None,
    json_out: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Simulate the council of every region of a plan, on every census (with seat ranges: --draws)."""
    import numpy as np

    from dayafter.councils import simulate_councils

    U.check_draws(draws)
    if draws and votes is not None:
        raise ConfigError("--draws varies the census behind the voting model; a vote table does not "
                          "depend on it", hint="drop --votes or --draws")
    proj = open_project(case, project)
    t = U.with_ranges(proj.territory, ranges)
    p = proj.resolve_plan(plan)
    r = _rules(rules, proj=proj, size=size, residents_per_seat=residents_per_seat, method=method,
               first_divisor=first_divisor, threshold=threshold, turnout=turnout, adult_share=adult_share)
    table = None
    if votes is not None:
        import pandas as pd

        try:
            table = pd.read_csv(votes, dtype={"region": str, "list": str, "community": str,
                                              "race": str}, keep_default_na=False)
        except pd.errors.EmptyDataError:
            raise InputDataError("the vote table is empty", source=str(votes),
                                 hint="give a header region,list,votes,community[,race]") from None
        except pd.errors.ParserError as exc:
            raise InputDataError(f"not a readable CSV: {exc}", source=str(votes)) from None
        table = table.replace({"": None}) if "race" in table.columns else table
    sim = simulate_councils(t, p, rules=r, census=census or None, votes=table,
                            votes_source=str(votes or ""),
                            rng=np.random.default_rng(seed) if seed is not None else None)
    if out_csv is not None:
        from dayafter.io.atomic import atomic_path

        with atomic_path(out_csv) as tmp:
            sim.seats.to_csv(tmp, index=False)
    unc = None
    if draws:
        from dayafter.councils.draws import council_draws

        cd = council_draws(t, p, U.census_draws(t, draws, seed or 0, census or None), rules=r)
        unc = {"draws": {"draws": draws, "seed": seed or 0}, "councils": cd.summary()}
    if json_out:
        d = sim.to_dict()
        if unc is not None:
            d["uncertainty"] = unc
        print_json(d)
        return
    from rich.markup import escape
    from rich.table import Table

    labels = dict(proj.community_labels)
    out = console()
    rule = r.method + (f" {r.first_divisor}" if r.first_divisor is not None else "")
    out.print(f"[bold]{escape(p.name)}[/bold]: councils of {p.k} polities (one per region of the "
              "polity layer, whoever holds its units); rules "
              f"{escape(r.name or 'custom')} ({rule}); voting: adult share {r.voting.adult_share}, "
              f"turnout {r.voting.turnout}")
    comms = list(t.communities)
    for cname in sim.notes:
        tab = Table(title=f"Seats by community, census {cname}")
        tab.add_column("polity")
        tab.add_column("control (units)")
        tab.add_column("size", justify="right")
        for cm in comms:
            tab.add_column(labels.get(cm, cm), justify="right")
        tab.add_column("Gallagher", justify="right")
        tab.add_column("ENP seats", justify="right")
        S = sim.seats_table(cname)
        seats = sim.seats[sim.seats.census == cname]
        reg = sim.regions[sim.regions.census == cname].reset_index(drop=True)
        for j, nm in enumerate(sim.region_names):
            rs = seats[seats.region == j]["reserved"].to_numpy()
            cells = [(f"{S[j, i]}" + (f" ({rs[i]}r)" if rs[i] else "")) if S[j, i] else "-"
                     for i in range(len(comms))]
            g = reg.loc[j, "gallagher"]
            tab.add_row(escape(nm), escape(str(reg.loc[j, "control"])),
                        str(reg.loc[j, "council_size"]), *cells,
                        "-" if g != g else f"{g:.1f}", f"{reg.loc[j, 'enp_seats']:.2f}")
        out.print(tab)
        tot = sim.totals()
        tot = tot[tot.census == cname]
        out.print("All councils: " + ", ".join(
            f"{labels.get(row.community, row.community)} {row.seats} seats ({row.seat_share:.1%}; "
            f"population {row.pop_share:.1%})" for row in tot.itertuples() if row.seats or row.pop_share >= 0.005))
        for j, txt in enumerate(reg["ties"]):
            if txt:
                out.print(f"[yellow]{escape(sim.region_names[j])}: {escape(txt)}[/]")
        for note in sim.notes[cname]:
            out.print(f"note: {escape(note)}")
    if sim.vote_source == "table":
        out.print(f"(r) = reserved (quota) seats. Votes from {escape(str(votes))}.")
    else:
        out.print("(r) = reserved (quota) seats. Each community votes for its own list (model assumption).")
    if unc is not None:
        U.print_council_ranges(out, unc, labels)
