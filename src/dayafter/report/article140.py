"""The Article 140 section of a dossier: who returns where under a plan, how a referendum by
district would go on each census and how sure that is, what restitution costs, and the
settlements' timelines.

:func:`article140_section` computes it with the engines (:mod:`dayafter.returns`,
:mod:`dayafter.referendum`, :mod:`dayafter.claims`, :mod:`dayafter.sequence`);
:func:`case_article140_section` does so from a built-in case. The result is an extra section of a
:class:`~dayafter.report.dossier.Dossier` (``build_dossier(..., extras=[section])``): it renders
its own HTML fragment (:meth:`Article140Section.html`) and its workbook sheets
(:meth:`Article140Section.tables`), and is JSON-ready (:meth:`Article140Section.to_dict`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from dayafter.claims import AdjudicationRules, ClaimsResult, ClaimsTable
    from dayafter.plan import Plan
    from dayafter.referendum import Normalisation, ReferendumResult, VotingModel
    from dayafter.returns import ReturnModel, ReturnsResult
    from dayafter.sequence import SequenceInputs, SequenceResult, Settlement
    from dayafter.territory import Territory

__all__ = ["Article140Section", "article140_section", "case_article140_section"]


@dataclass(frozen=True, eq=False)
class Article140Section:
    """Results shown in the Article 140 section (see the module notes).

    Attributes
    ----------
    plan, horizon
        The plan the returns are projected under and the horizon in years.
    returns
        The return projection (with draws).
    referendums
        Census name to a referendum by ``level`` on that census (the projected census included).
    claims
        The adjudicated claims, or ``None``.
    sequences
        Settlement runs, or none.
    level, eligibility
        How the referendums were held.
    notes
        Provenance notes shown with the section.
    """

    plan: str
    horizon: float
    returns: ReturnsResult
    referendums: Mapping[str, ReferendumResult]
    claims: ClaimsResult | None = None
    sequences: tuple[SequenceResult, ...] = ()
    level: str = "district"
    eligibility: str = "residents"
    notes: tuple[str, ...] = ()
    parameters: Mapping[str, Any] = field(default_factory=dict)

    section_id = "article140"
    title = "The Article 140 road: returns, referendum, claims"

    # ------------------------------------------------------------------ tables
    def returns_by_community(self) -> pd.DataFrame:
        """Displaced, returns (with p05/p95), share returning and arrivals from outside."""
        rows = []
        for r in self.returns.by_community():
            if r["displaced"] <= 0:
                continue
            rows.append({"community": r["community"], "displaced": r["displaced"],
                         "returns": r["returns"], "returns p05": r.get("returns_p05", np.nan),
                         "returns p50": r.get("returns_p50", np.nan),
                         "returns p95": r.get("returns_p95", np.nan),
                         "returning share": r["return_share"], "from outside": r["from_outside"]})
        return pd.DataFrame(rows)

    def returns_by_unit(self, top: int = 25) -> pd.DataFrame:
        """Who returns where: the largest flows by unit and community."""
        rows = []
        for r in self.returns.by_unit(top=top, min_returns=0.5):
            if r["returns"] <= 0:
                continue
            rows.append({"unit": r["unit"], "community": r["community"], "control": r["control"],
                         "displaced": r["displaced"], "returns": r["returns"],
                         "returns p05": r.get("returns_p05", np.nan),
                         "returns p95": r.get("returns_p95", np.nan),
                         "propensity share": r["propensity"]})
        return pd.DataFrame(rows)

    def referendum_table(self) -> pd.DataFrame:
        """One row per area: the winner and its probability on each census."""
        censuses = list(self.referendums)
        first = self.referendums[censuses[0]]
        rows = []
        for k, (aid, name) in enumerate(zip(first.area_ids, first.area_names, strict=True)):
            row: dict[str, Any] = {"area": name, "status quo":
                                   first.options[first.status_quo[k]] if first.status_quo[k] >= 0 else "-"}
            for c in censuses:
                r = self.referendums[c]
                kk = r.area_ids.index(aid)
                row[f"{c}: winner"] = r.option_of(kk)
                row[f"{c}: probability share"] = (float(r.probability[kk].max())
                                                  if r.probability is not None else np.nan)
                row[f"{c}: margin share"] = float(r.margin[kk])
            rows.append(row)
        return pd.DataFrame(rows)

    def referendum_detail(self, census: str) -> pd.DataFrame:
        """Vote shares, probabilities and eligible people per area on one census."""
        r = self.referendums[census]
        rows = []
        for a in r.areas():
            row: dict[str, Any] = {"area": a["name"], "eligible": a["eligible"]}
            for o in r.options:
                row[f"{o} vote share"] = a["shares"][o]
            for o in r.options:
                row[f"P({o}) share"] = a.get("probability", {}).get(o, np.nan)
            row["winner"] = a["winner"]
            rows.append(row)
        return pd.DataFrame(rows)

    def claims_budget(self) -> pd.DataFrame:
        """The claims budget, line by line (USD)."""
        if self.claims is None:
            return pd.DataFrame()
        b = self.claims.budget()
        lines = [("available", b["available_usd"]), ("administration", b["administration_usd"]),
                 ("compensation to claimants", b["claimant_compensation_usd"]),
                 ("compensation to secondary occupants", b["occupant_compensation_usd"]),
                 ("remaining", b["remaining_usd"]),
                 ("cost of the claims left pending", b["unfunded_claims_usd"])]
        return pd.DataFrame([{"line": k, "usd": np.nan if v is None else float(v)} for k, v in lines])

    def claims_by_community(self) -> pd.DataFrame:
        """Claims per claimant community: decided, restituted, compensated, pending, cost, movers."""
        if self.claims is None:
            return pd.DataFrame()
        rows = []
        for r in self.claims.by_community():
            rows.append({"community": r["community"], "claims": r["claims"],
                         "restituted": r["restituted"], "compensated": r["compensated"],
                         "rejected": r["rejected"], "pending": r["pending"],
                         "compensation usd": r["claimant_usd"] + r["occupant_usd"],
                         "occupants who move": r["people_move"],
                         "own people moving as occupants": r["people_move_as_occupants"]})
        return pd.DataFrame(rows)

    def timeline(self, run: SequenceResult) -> pd.DataFrame:
        """A settlement's steps with dates, status, preconditions and effects."""
        rows = []
        for o in run.timeline:
            pre = "; ".join(f"{p['name']}: {'pass' if p['passed'] else 'FAIL'}"
                            + (f" ({p['reason']})" if p.get("reason") else "")
                            for p in o.preconditions)
            eff = {k: v for k, v in o.effects.items()
                   if k not in ("budget", "forces", "plan", "census_of_record")}
            rows.append({"from year": o.start, "to year": o.end, "step": o.step.name,
                         "status": o.status, "preconditions": pre,
                         "effects": "; ".join(f"{k}: {_short(v)}" for k, v in eff.items())})
        return pd.DataFrame(rows)

    def tables(self) -> dict[str, pd.DataFrame]:
        """Workbook sheets of the section (sheet name to table)."""
        out = {"a140 returns": self.returns_by_community(),
               "a140 returns by unit": self.returns_by_unit(top=200),
               "a140 referendum": self.referendum_table()}
        for c in self.referendums:
            out[f"a140 vote {c}"[:31]] = self.referendum_detail(c)
        if self.claims is not None:
            out["a140 claims budget"] = self.claims_budget()
            out["a140 claims"] = self.claims_by_community()
        for run in self.sequences:
            out[f"a140 seq {run.settlement.name}"[:31]] = self.timeline(run)
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (for the workbench panel)."""
        return {"plan": self.plan, "horizon": self.horizon, "level": self.level,
                "eligibility": self.eligibility, "notes": list(self.notes),
                "returns": self.returns.to_dict(top=25),
                "referendums": {c: r.to_dict() for c, r in self.referendums.items()},
                "claims": None if self.claims is None else {
                    "budget": self.claims.budget(), "communities": self.claims.by_community()},
                "sequences": [s.to_dict() for s in self.sequences]}

    def manifest(self) -> dict[str, Any]:
        """Parameters for the dossier's manifest."""
        return {"plan": self.plan, "horizon": self.horizon, "level": self.level,
                "eligibility": self.eligibility, "draws": self.returns.n_draws,
                "censuses": list(self.referendums), **dict(self.parameters),
                "settlements": [s.settlement.name for s in self.sequences]}

    # ------------------------------------------------------------------ HTML
    def html(self, dossier: Any = None) -> str:
        """The section's HTML (tables escaped; numbers formatted by column name)."""
        from markupsafe import escape

        from dayafter.report.render import _pct, html_table

        def p(text: str) -> str:
            return f"<p>{escape(text)}</p>"

        def note(text: str) -> str:
            return f'<p class="note">{escape(text)}</p>'

        label = (dossier.label if dossier is not None else (lambda c: c))
        rt = self.returns.totals()
        parts = [f"<h3>Who returns where under {escape(self.plan)}</h3>",
                 p(f"Within {self.horizon:g} years of the current census, "
                   f"{rt['returns']:,.0f} of {rt['displaced']:,.0f} displaced people return at the "
                   "central values"
                   + (f" (median {rt['returns_p50']:,.0f}, {rt['returns_p05']:,.0f} to "
                      f"{rt['returns_p95']:,.0f} over {self.returns.n_draws} draws of the model's "
                      "ranges and the censuses)" if "returns_p05" in rt else "")
                   + f"; {rt['from_outside']:,.0f} of them from outside the territory."),
                 note("Return propensity per community calibrated on published return figures "
                      "(IOM DTM and field counts), changed by the control of each unit under the "
                      "plan and by security coverage; ceilings and factors are assumptions with "
                      "ranges (returns/SOURCES.md). The projected census conserves people and "
                      "nobody returns who was not displaced.")]
        df = self.returns_by_community()
        if len(df):
            df = df.assign(community=[label(c) for c in df["community"]])
            parts.append(html_table(df, text_columns=("community",), table_id="a140-returns"))
        du = self.returns_by_unit()
        if len(du):
            du = du.assign(community=[label(c) for c in du["community"]])
            parts.append(html_table(du, text_columns=("unit", "community", "control"),
                                    table_id="a140-returns-units",
                                    caption="The largest flows (p05 and p95 over draws)"))
        parts.append(f"<h3>A referendum by {escape(self.level)} on each census</h3>")
        first = next(iter(self.referendums.values()))
        parts.append(p(f"Options: join the Kurdistan Region (krg), stay federal, self-administer; "
                       f"{self.eligibility} eligible; {first.rule} rule. Probability: share of "
                       f"{first.n_draws} draws (turnout and vote shares by community within their "
                       f"ranges) in which the winner wins."))
        parts.append(note(first.tie_rule + " Vote shares and turnouts are assumptions except the "
                          "Kurdish vote of 2017 (referendum/SOURCES.md)."))
        ref_table = self.referendum_table()
        shares = {f"{c}: {what} share": _pct for c in self.referendums for what in ("probability", "margin")}
        parts.append(html_table(ref_table, table_id="a140-referendum", formats=shares,
                                text_columns=[c for c in ref_table.columns
                                              if c in ("area", "status quo") or c.endswith("winner")]))
        for c, r in self.referendums.items():
            unsure = r.uncertain_areas()
            piv = sorted(r.pivotal.items(), key=lambda kv: -kv[1])[:6]
            parts.append(note(f"Census {c}: {len(unsure)} areas below 95% certainty"
                              + (f" ({', '.join(unsure)})" if unsure else "")
                              + ("; pivotal units (share of draws): "
                                 + ", ".join(f"{u} {v:.0%}" for u, v in piv) if piv else "")))
        if self.claims is not None:
            b = self.claims.budget()
            o = self.claims.row_outcomes()
            parts.append("<h3>What restitution costs</h3>")
            parts.append(p(f"{self.claims.table.n_claims:,.0f} claims; {o['resolved'].sum():,.0f} "
                           f"decided within the budget ({o['restituted'].sum():,.0f} restituted, "
                           f"{o['compensated'].sum():,.0f} compensated, {o['rejected'].sum():,.0f} "
                           f"rejected); {o['people_move'].sum():,.0f} secondary occupants must "
                           f"move; spent ${b['spent_usd']:,.0f}; the pending claims would cost a "
                           f"further ${b['unfunded_claims_usd']:,.0f}."))
            parts.append(note("The claim counts are published aggregates (property claims "
                              "commissions, courts); their split over units, communities, evidence "
                              "and values is ILLUSTRATIVE (claims/SOURCES.md). The budget balances: "
                              "available = administration + compensation + remaining."))
            parts.append(html_table(self.claims_budget(), text_columns=("line",),
                                    table_id="a140-claims-budget"))
            dc = self.claims_by_community()
            dc = dc.assign(community=[label(c) for c in dc["community"]])
            parts.append(html_table(dc, text_columns=("community",), table_id="a140-claims"))
        for run in self.sequences:
            parts.append(f"<h3>Settlement sequence: {escape(run.settlement.title or run.settlement.name)}</h3>")
            m = run.metrics
            parts.append(p(f"{'Completed' if run.completed else 'Stopped'} after {run.years:g} "
                           f"years; returned share {m.get('returned_share', float('nan')):.1%}; "
                           f"referendum certainty {m.get('referendum_certainty', float('nan')):.0%}; "
                           f"plan in force at the end: {run.plan.name}."))
            if run.settlement.notes:
                parts.append(note(run.settlement.notes))
            parts.append(html_table(self.timeline(run), table_id=f"a140-seq-{run.settlement.name}",
                                    text_columns=("step", "status", "preconditions", "effects"),
                                    formats={"from year": _years, "to year": _years}))
        for n in self.notes:
            parts.append(note(n))
        return "\n".join(parts)


def _years(v: Any) -> str:
    return f"{float(v):g}"


def _short(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:,.0f}" if abs(v) >= 10 else f"{v:.2f}"
    if isinstance(v, dict):
        return ", ".join(f"{k} {_short(x)}" for k, x in v.items())
    if isinstance(v, list | tuple):
        return ", ".join(str(x) for x in v)
    return str(v)


def article140_section(
    territory: Territory,
    plan: Plan,
    *,
    return_model: ReturnModel,
    voting: VotingModel,
    scope: Any = None,
    normalisation: Normalisation | None = None,
    claims: ClaimsTable | None = None,
    claims_rules: AdjudicationRules | None = None,
    settlements: Sequence[Settlement] = (),
    sequence_inputs: SequenceInputs | None = None,
    horizon: float = 5.0,
    level: str = "district",
    eligibility: str = "residents",
    secure: Any = None,
    draws: int = 500,
    seed: int = 0,
    census_draws: Any = None,
) -> Article140Section:
    """Compute the Article 140 section.

    Parameters
    ----------
    territory, plan
        The territory and the plan the returns are projected under (its control).
    return_model, voting, scope, normalisation
        Engine data (see :mod:`dayafter.returns`, :mod:`dayafter.referendum`).
    claims, claims_rules
        Claims table and rules (optional).
    settlements, sequence_inputs
        Settlements to run with their inputs (optional).
    horizon
        Years of returns for the projected census.
    level, eligibility
        How the referendums are held (one per census, the projected census included).
    secure
        Security coverage per unit for the returns (``None``: not assessed).
    draws, seed
        Draws of the ranges and their seed (reproducible).
    census_draws
        :class:`dayafter.uncertainty.CensusDraws` of the territory (their number of draws is
        used): the returns and the referendums then vary the census too, and the projected
        census's draws are the returns' draws.
    """
    from dayafter.referendum import simulate_referendum
    from dayafter.returns import project_returns

    rng = np.random.default_rng(seed)
    cd: dict[str, Any] = {}
    if census_draws is not None:
        cd = {c: census_draws.census(c) for c in census_draws.census_names
              if c in territory.census_names}
        draws = census_draws.n_draws
    r = project_returns(territory, plan, model=return_model, horizon=horizon, secure=secure,
                        draws=draws, rng=rng,
                        census_draws={k: v for k, v in cd.items() if k in ("baseline", "current")}
                        or None)
    t2, (plan2,) = r.with_projection(territory, [plan])
    if cd and r.draws is not None:
        cd["projected"] = r.draws.projected
    refs = {}
    for c in t2.census_names:
        refs[c] = simulate_referendum(t2, model=voting, census=c, level=level, scope=scope,
                                      eligibility=eligibility, normalisation=normalisation,
                                      reference=plan2, draws=draws, rng=rng,
                                      census_draws=cd.get(c), baseline_draws=cd.get("baseline"))
    cl = None
    if claims is not None and claims_rules is not None:
        from dayafter.claims import adjudicate

        cl = adjudicate(claims, claims_rules, territory=territory)
    runs = []
    if settlements and sequence_inputs is not None:
        from dayafter.sequence import run_sequence

        runs = [run_sequence(s, sequence_inputs, rng=np.random.default_rng(seed), draws=draws)
                for s in settlements]
    return Article140Section(plan=plan.name, horizon=float(horizon), returns=r, referendums=refs,
                             claims=cl, sequences=tuple(runs), level=level, eligibility=eligibility,
                             parameters={"seed": seed, "return_model": return_model.name,
                                         "voting_model": voting.name,
                                         "census_draws": None if census_draws is None
                                         else census_draws.describe()})


def case_article140_section(case: Any, plan: str | None = None, *, horizon: float = 5.0,
                            level: str = "district", eligibility: str = "residents",
                            draws: int = 500, seed: int = 0, sequences: bool = True,
                            council_rules: Any = None, census_draws: bool = True
                            ) -> Article140Section:
    """The Article 140 section for a built-in case (:func:`dayafter.cases.load`), under one of
    its scenario plans (default: its reference plan), with its settlements; with
    ``census_draws`` the censuses are drawn from their ranges
    (:class:`dayafter.uncertainty.CensusModel`, same seed)."""
    from dayafter.errors import InputDataError
    from dayafter.sequence import SequenceInputs, case_settlements

    name = plan or case.reference
    if name not in case.plans:
        raise InputDataError(f"case {case.name!r} has no scenario {name!r}",
                             hint=f"use one of {sorted(case.plans)}")
    inputs = SequenceInputs.from_case(case, council_rules=council_rules)
    settlements = list(case_settlements(case.name).values()) if sequences else []
    if council_rules is None:  # no council rules: the sequences stop before the elections
        settlements = [_without_elections(s) for s in settlements]
    return article140_section(
        case.territory, case.plans[name], return_model=inputs.return_model, voting=inputs.voting,
        scope=inputs.scope, normalisation=inputs.normalisation, claims=inputs.claims,
        claims_rules=inputs.claims_rules, settlements=settlements, sequence_inputs=inputs,
        horizon=horizon, level=level, eligibility=eligibility, draws=draws, seed=seed,
        census_draws=_census_draws(case.territory, draws, seed) if census_draws and draws else None)


def _census_draws(territory: Any, draws: int, seed: int) -> Any:
    from dayafter.uncertainty import CensusModel

    return CensusModel(territory).draw(draws, seed=seed)


def _without_elections(s: Settlement) -> Settlement:
    from dataclasses import replace

    return replace(s, steps=tuple(st for st in s.steps if st.kind != "elect"))
