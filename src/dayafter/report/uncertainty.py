"""The report's uncertainty section: interval bars, robust/fragile verdicts, a sensitivity chart.

:func:`uncertainty_section` evaluates every plan of a dossier on the same census draws
(:mod:`dayafter.uncertainty`) and keeps what the report shows:

* per plan, census and community: empowerment (plurality and majority) and stranded shares with
  their point value, p05/p50/p95 and verdict (robust or fragile, with the reason), drawn as
  interval bars in the HTML table and in a chart;
* per plan: the share of draws in which each criterion passes, and the fragile findings;
* per plan other than the reference: the share of paired draws in which it beats the reference;
* a sensitivity chart per census: stranded share against the stranded threshold (5-20%), point
  line and 90% band, one panel per community whose share jumps in that range;
* per plan, the engines the report runs, over the same draws (:func:`dayafter.outcomes.
  engine_draw_results`): council seats per region and community, the security requirement and
  shortfall per region, and the settlement's transfers per release rule and party, each with its
  point value, 90% range and a robust/fragile verdict on the finding it supports (holds a seat,
  holds a majority, is short of forces, pays or receives); criteria on engine outputs get their
  pass shares from the same runs.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from dayafter.criteria import Criterion
from dayafter.outcomes import EngineData
from dayafter.plan import Plan
from dayafter.territory import Territory
from dayafter.uncertainty.verdicts import DEFAULT_STABLE

__all__ = ["UncertaintySection", "council_ranges_table", "engine_ranges", "interval_svg",
           "security_ranges_table", "transfer_ranges_table", "uncertainty_section",
           "uncertainty_table"]

_METRICS = (("empowerment_plurality", "empowered (plurality)"),
            ("empowerment_majority", "empowered (majority)"), ("stranded", "stranded"))
_DPI = 96


@dataclass(frozen=True)
class UncertaintySection:
    """What the report shows about the census's uncertainty.

    Attributes
    ----------
    draws, seed, model
        Number of draws, seed and the census model's description (for the manifest).
    summaries
        Plan name to :func:`dayafter.uncertainty.summary_dict` (plan-level figures).
    sweeps
        Plan name to census to :meth:`SweepResult.to_dict`.
    paired
        Plan name to figure key to :meth:`Paired.to_dict` against the reference plan.
    reference
        Name of the reference plan (``None``: no paired comparisons).
    threshold
        The stranded threshold of the evaluation.
    figures
        PNG charts: ``intervals:<census>`` and ``sensitivity:<census>``.
    engines
        Engine ranges (:func:`engine_ranges`): ``councils``, ``security`` and ``transfers`` rows
        (every plan), and ``meta`` (draws the security LP and the settlement ran on).
    """

    draws: int
    seed: int
    model: Mapping[str, Any]
    summaries: Mapping[str, Mapping[str, Any]]
    sweeps: Mapping[str, Mapping[str, Any]]
    paired: Mapping[str, Mapping[str, Any]]
    reference: str | None
    threshold: float = 0.10
    figures: Mapping[str, bytes] = field(default_factory=dict)
    labels: Mapping[str, str] = field(default_factory=dict)
    engines: Mapping[str, Any] = field(default_factory=dict)

    section_id = "uncertainty"
    title = "How sure: ranges over census draws"

    @property
    def plan_names(self) -> list[str]:
        """Plans, in order."""
        return list(self.summaries)

    @property
    def census_names(self) -> list[str]:
        """Censuses evaluated."""
        first = next(iter(self.summaries.values()))["figures"]
        return list(dict.fromkeys(k.split("/", 1)[0] for k in first))

    # -------------------------------------------- the dossier's extra-section protocol
    def tables(self) -> dict[str, pd.DataFrame]:
        """XLSX sheets: ``uncertainty``, ``uncertainty criteria``, ``uncertainty paired``, and
        ``uncertainty councils``, ``uncertainty security``, ``uncertainty transfers`` when those
        engines ran."""
        out = {"uncertainty": uncertainty_table(self, labels=self.labels),
               "uncertainty criteria": criteria_table(self),
               "uncertainty paired": paired_table(self, labels=self.labels)}
        for key, table in (("councils", council_ranges_table), ("security", security_ranges_table),
                           ("transfers", transfer_ranges_table)):
            if self.engines.get(key):
                out[f"uncertainty {key}"] = table(self)
        return out

    def manifest(self) -> dict[str, Any]:
        """Draws, seed and the census model (every figure of the section follows from them), and
        the draws the engines ran on."""
        out = {"draws": self.draws, "seed": self.seed, "threshold": self.threshold,
               "model": dict(self.model)}
        if self.engines.get("meta"):
            out["engines"] = dict(self.engines["meta"])
        return out

    def html(self, dossier: Any = None) -> str:
        """The section's body: explanation, charts, tables with interval bars, reasons."""
        return section_html(self)


def uncertainty_section(
    territory: Territory,
    plans: Sequence[Plan],
    *,
    draws: int,
    seed: int = 0,
    reference: Plan | None = None,
    criteria: Sequence[Criterion] = (),
    labels: Mapping[str, str] | None = None,
    threshold: float = 0.10,
    censuses: Sequence[str] | None = None,
    charts: bool = True,
    engines: EngineData | None = None,
    engine_census: str | None = None,
    settle_census: str | None = None,
    settle_rules: Sequence[str] | None = None,
    max_lp: int = 100,
    max_solves: int = 1000,
) -> UncertaintySection:
    """Evaluate ``plans`` (and the reference) on ``draws`` census draws and keep the report's view.

    The draws come from :class:`dayafter.uncertainty.CensusModel` with its default error model;
    every plan is evaluated on the same draws (paired).

    Parameters
    ----------
    engines
        What the engines need (:class:`dayafter.outcomes.EngineData`): the engines it has data
        for run on the same draws (councils on every census, security and the settlement on
        ``engine_census``), and criteria on engine outputs read them (see :func:`engine_ranges`).
    engine_census, settle_census
        Census of the security and settlement ranges (default: the first census evaluated, as the
        report's point security and settlement), and of the settlement when it differs.
    settle_rules
        Release rules of the transfer ranges (default: ``engines.release_rule``).
    max_lp, max_solves
        Draws the security LP and the settlement run on (the first ones).
    """
    from dayafter.uncertainty import (
        CensusModel,
        compare_draws,
        evaluate_draws,
        summary_dict,
        threshold_sweep,
    )

    labels = dict(labels or {})
    cd = CensusModel(territory).draw(int(draws), seed=int(seed), censuses=censuses)
    plist = list(plans)
    extra = [] if reference is None or any(p == reference for p in plist) else [reference]
    devs = evaluate_draws(territory, plist + extra, cd, threshold=threshold, reference=reference)
    ref_dev = None
    if reference is not None:
        ref_dev = next(dv for dv, p in zip(devs, plist + extra, strict=True) if p == reference)
    summaries: dict[str, Any] = {}
    sweeps: dict[str, Any] = {}
    paired: dict[str, Any] = {}
    names = list(cd.census_names)
    rows: dict[str, list[dict[str, Any]]] = {"councils": [], "security": [], "transfers": []}
    meta: dict[str, Any] = {}
    for dev in devs[: len(plist)]:
        name = dev.plan.name
        eng_point = eng_draws = None
        if engines is not None:
            eng_point, eng_draws, plan_rows, plan_meta = _plan_engines(
                territory, dev.plan, engines, cd, criteria, names=names,
                census=engine_census if engine_census is not None else names[0],
                settle_census=settle_census, rules=settle_rules, labels=labels, max_lp=max_lp, max_solves=max_solves)
            for key, r in plan_rows.items():
                rows[key].extend(r)
            meta.update(plan_meta)
        summaries[name] = summary_dict(dev, criteria=criteria, labels=labels, regions=False,
                                       engines=eng_point, engine_draws=eng_draws)
        sweeps[name] = {c: s.to_dict() for c, s in threshold_sweep(dev).items()}
        if ref_dev is not None and dev is not ref_dev:
            paired[name] = {k: v.to_dict() for k, v in compare_draws(dev, ref_dev).items()
                            if v.direction != 0}
    sec = UncertaintySection(draws=int(draws), seed=int(seed), model=cd.describe(),
                             summaries=summaries, sweeps=sweeps, paired=paired,
                             reference=None if reference is None else reference.name,
                             threshold=float(threshold), labels=labels,
                             engines={**rows, "meta": meta} if engines is not None else {})
    if not charts:
        return sec
    figs: dict[str, bytes] = {}
    for cname in sec.census_names:
        figs[f"intervals:{cname}"] = interval_chart(sec, cname, territory.communities, labels)
        png = sensitivity_chart(sec, cname, labels)
        if png:
            figs[f"sensitivity:{cname}"] = png
    from dataclasses import replace

    return replace(sec, figures=figs)


def _plan_engines(territory: Territory, plan: Plan, data: EngineData, cd: Any,
                  criteria: Sequence[Criterion], *, names: Sequence[str], census: str,
                  settle_census: str | None, rules: Sequence[str] | None,
                  labels: Mapping[str, str], max_lp: int, max_solves: int,
                  ) -> tuple[Any, Any, dict[str, list[dict[str, Any]]], dict[str, Any]]:
    """Run the engines ``data`` has data for on the draws; the point and draw outputs the criteria
    read (``None`` when they read none or lack data); the table rows; the draws each engine used."""
    from dayafter.outcomes import (
        engine_draw_results,
        engine_draws,
        engine_outputs,
        engines_available,
        engines_needed,
    )
    from dayafter.uncertainty import EngineDraws

    need = engines_needed(criteria)
    run = engines_available(data)
    is_ref = data.reference is not None and (plan.name == data.reference.name
                                             or plan == data.reference)
    if is_ref and "settle" not in need:
        run.discard("settle")  # nothing moves against itself: no transfer ranges to show
    use_rules = list(rules) if rules else [data.release_rule]
    if "settle" in need and data.release_rule not in use_rules:
        use_rules.append(data.release_rule)
    res = engine_draw_results(territory, plan, data, cd, run, censuses=names, census=census,
                              settle_census=settle_census, rules=use_rules, max_lp=max_lp,
                              max_solves=max_solves)
    point = draws = None
    if need and need <= engines_available(data):
        point = engine_outputs(territory, plan, criteria, data, censuses=names)
        if need <= {"councils"} or (census == names[-1] and settle_census in (None, census)):
            draws = EngineDraws.collect(councils=res.get("councils"), security=res.get("security"),
                                        settlement=res.get("settle"), rule=data.release_rule)
        else:  # criteria read security and transfers on the current (last) census
            draws = engine_draws(territory, plan, criteria, data, cd, censuses=names,
                                 max_lp=max_lp, max_solves=max_solves)
    meta: dict[str, Any] = {}
    if "security" in res:
        meta["security"] = {"census": census, "lp_draws": res["security"].n_lp_draws}
    if is_ref:
        res = {k: v for k, v in res.items() if k != "settle"}
    if "settle" in res:
        meta["settle"] = {"census": settle_census or census, "rules": use_rules,
                          "solved": res["settle"].solved}
    return point, draws, engine_ranges(res, plan.name, labels=labels), meta


def _agreement(event: NDArray[np.bool_], point: bool) -> float:
    """Share of draws agreeing with the finding ``point`` (NaN without draws)."""
    if event.size == 0:
        return float("nan")
    return float(np.mean(event == point))


def engine_ranges(results: Mapping[str, Any], plan: str, *, labels: Mapping[str, str] | None = None,
                  stable: float = DEFAULT_STABLE) -> dict[str, list[dict[str, Any]]]:
    """Rows of the report's engine range tables from :func:`dayafter.outcomes.engine_draw_results`.

    Each row carries the point value (on the census as given), p05/p50/p95 over the draws and a
    verdict on the finding it supports, as for the metrics (:mod:`dayafter.uncertainty.verdicts`):
    robust when at least ``stable`` of the draws agree with the point finding.

    * ``councils``: per census, region and community with a seat in some draw; findings "holds a
      seat" and "holds a majority of the council".
    * ``security``: per region and in total, the requirement and the shortfall; finding "is short
      of forces" (the shortfall rests on the draws the LP ran on).
    * ``transfers``: per release rule and party (and the outside money), the transfer; finding
      "receives money" / "pays money" / "neither".

    Examples
    --------
    >>> import numpy as np
    >>> from dayafter.councils import CouncilRules
    >>> from dayafter.outcomes import EngineData, engine_draw_results
    >>> from dayafter.plan import Plan, Region
    >>> from dayafter.testing.grids import grid_territory
    >>> from dayafter.uncertainty import CensusModel
    >>> t = grid_territory(1, 2, communities=np.array([[900.0, 100], [200, 800]]))
    >>> plan = Plan(np.array([0, 1]), (Region("W"), Region("E")), territory_hash=t.content_hash)
    >>> res = engine_draw_results(t, plan, EngineData(council_rules=CouncilRules(size=9)),
    ...                           CensusModel(t).draw(50, seed=1), ["councils"])
    >>> rows = engine_ranges(res, plan.name)["councils"]
    >>> [(r["region"], r["community"], r["seats"], r["verdict"]) for r in rows]
    [('W', 'a', 8, 'robust'), ('W', 'b', 1, 'robust'), ('E', 'a', 2, 'robust'), ('E', 'b', 7, 'robust')]
    """
    labels = dict(labels or {})
    out: dict[str, list[dict[str, Any]]] = {"councils": [], "security": [], "transfers": []}

    def verdict(agree: Sequence[tuple[float, str]]) -> tuple[str, str]:
        weak = [why for a, why in agree if np.isfinite(a) and a < stable]
        return ("fragile", "; ".join(weak)) if weak else ("robust", "")

    cdr = results.get("councils")
    if cdr is not None:
        summ = cdr.summary()
        for cname, regions in summ.items():
            S = cdr.seats[cname]
            for j, reg in enumerate(regions):
                total = S[:, j, :].sum(axis=1)
                pt_total = sum(c["point"] for c in reg["communities"].values())
                for comm, f in reg["communities"].items():
                    c = cdr.communities.index(comm)
                    has, maj = S[:, j, c] > 0, (2 * S[:, j, c] > total) & (total > 0)
                    pt_has, pt_maj = f["point"] > 0, 2 * f["point"] > pt_total > 0
                    name = labels.get(comm, comm)
                    v, why = verdict([
                        (_agreement(has, pt_has), f"{'holds' if pt_has else 'no'} seat in "
                         f"{100 * _agreement(has, pt_has):.0f}% of draws"),
                        (_agreement(maj, pt_maj), f"{'' if pt_maj else 'no '}majority in "
                         f"{100 * _agreement(maj, pt_maj):.0f}% of draws")])
                    out["councils"].append({
                        "plan": plan, "census": cname, "region": reg["region"], "community": name,
                        "seats": f["point"], "p05": f["p05"], "p50": f["p50"], "p95": f["p95"],
                        "size p05": reg["size"]["p05"], "size p95": reg["size"]["p95"],
                        "seat share": f["any_seat"], "majority share": f["majority"],
                        "verdict": v, "reason": f"{name} in {reg['region']}: {why}" if why else ""})
    sdr = results.get("security")
    if sdr is not None:
        summ = sdr.summary()
        a = sdr.region_of_unit
        scopes = [("all regions", summ, np.ones(a.size, dtype=bool))]
        scopes += [(r["region"], r, a == j) for j, r in enumerate(summ["regions"])]
        for label, r, units in scopes:
            sh = r.get("shortfall")
            short = np.asarray(sdr.shortfall)[:, units].sum(axis=1) > 1e-6
            pt_short = sh is not None and sh["point"] > 1e-6
            agree = _agreement(short, pt_short) if sh is not None else float("nan")
            v, why = verdict([(agree, f"{'short' if pt_short else 'covered'} in "
                                      f"{100 * agree:.0f}% of {short.size} draws")])
            req = r["requirement"]
            out["security"].append({
                "plan": plan, "census": summ["census"], "region": label,
                "requirement": req["point"], "requirement p05": req["p05"],
                "requirement p95": req["p95"],
                "shortfall": None if sh is None else sh["point"],
                "shortfall p05": None if sh is None else sh["p05"],
                "shortfall p95": None if sh is None else sh["p95"],
                "short share": r.get("short_share"), "verdict": v if sh is not None else "",
                "reason": f"{label}: {why}" if why else ""})
    tdr = results.get("settle")
    if tdr is not None:
        summ = tdr.summary()
        for rule, st in summ["settlements"].items():
            T = np.asarray(tdr.transfers[rule])
            cols = [*((p, T[:, i], f) for i, (p, f) in enumerate(st["parties"].items())),
                    ("outside money", T.sum(axis=1), st["outside_money"])]
            # a transfer within rounding of zero is zero (sums of large transfers leave ~1e-6)
            scale = max(float(np.abs(T).max(initial=0.0)),
                        *(abs(f["point"]) for f in st["parties"].values()))
            tol = 1e-9 * scale + 1e-9
            for party, x, f in cols:
                sign0 = 0 if abs(f["point"]) <= tol else int(np.sign(f["point"]))
                signs = np.where(np.abs(x) <= tol, 0, np.sign(x)).astype(int)
                agree = _agreement(signs == sign0, True)
                word = {1: "receives", -1: "pays", 0: "neither pays nor receives"}[sign0]
                v, why = verdict([(agree, f"{word} in {100 * agree:.0f}% of {x.size} draws")])
                out["transfers"].append({
                    "plan": plan, "rule": rule, "party": party, "unit": tdr.value_unit,
                    "transfer": f["point"], "p05": f["p05"], "p50": f["p50"], "p95": f["p95"],
                    "allocation changes": st["allocation_changes"], "verdict": v,
                    "reason": f"{party} ({rule}): {why}" if why else ""})
    return out


def _rows_table(sec: UncertaintySection, key: str, columns: Sequence[str]) -> pd.DataFrame:
    return pd.DataFrame(list(sec.engines.get(key, [])), columns=list(columns))


_COUNCIL_COLS = ("plan", "census", "region", "community", "seats", "p05", "p50", "p95", "size p05",
                 "size p95", "seat share", "majority share", "verdict", "reason")
_SECURITY_COLS = ("plan", "census", "region", "requirement", "requirement p05", "requirement p95",
                  "shortfall", "shortfall p05", "shortfall p95", "short share", "verdict", "reason")
_TRANSFER_COLS = ("plan", "rule", "party", "unit", "transfer", "p05", "p50", "p95",
                  "allocation changes", "verdict", "reason")


def council_ranges_table(sec: UncertaintySection) -> pd.DataFrame:
    """Council seats per plan, census, region and community: point, p05/p50/p95, the council size
    range, the shares of draws with a seat and with a majority, verdict and reason."""
    return _rows_table(sec, "councils", _COUNCIL_COLS)


def security_ranges_table(sec: UncertaintySection) -> pd.DataFrame:
    """Security per plan and region (and in total): requirement and shortfall with their ranges,
    the share of draws short of forces, verdict and reason."""
    return _rows_table(sec, "security", _SECURITY_COLS)


def transfer_ranges_table(sec: UncertaintySection) -> pd.DataFrame:
    """Transfers per plan, release rule and party (and the outside money): point, p05/p50/p95, the
    share of draws whose allocation differs, verdict and reason."""
    return _rows_table(sec, "transfers", _TRANSFER_COLS)


def uncertainty_table(sec: UncertaintySection, *, labels: Mapping[str, str] | None = None,
                      census: str | None = None) -> pd.DataFrame:
    """One row per plan, census, community and metric: point, p05, p50, p95, verdict, reason."""
    labels = dict(labels or {})
    rows = []
    for plan, summ in sec.summaries.items():
        for key, f in summ["figures"].items():
            cname, metric = key.split("/", 1)
            name, _, comm = metric.partition(":")
            if census is not None and cname != census:
                continue
            if name not in dict(_METRICS) or f["point"] is None:
                continue
            rows.append({"plan": plan, "census": cname, "community": labels.get(comm, comm),
                         "metric": dict(_METRICS)[name], "point": f["point"], "p05": f["p05"],
                         "p50": f["p50"], "p95": f["p95"], "verdict": f.get("verdict", ""),
                         "reason": f.get("reason", "")})
    return pd.DataFrame(rows, columns=["plan", "census", "community", "metric", "point", "p05", "p50",
                                       "p95", "verdict", "reason"])


def criteria_table(sec: UncertaintySection) -> pd.DataFrame:
    """Per plan and criterion result: point pass/fail, pass share over draws, verdict, reason."""
    rows = [{"plan": plan, "criterion": c["name"], "census": c["census"],
             "result": "PASS" if c["passed"] else "FAIL", "pass share": c["pass_share"],
             "verdict": c["verdict"], "reason": c["reason"]}
            for plan, summ in sec.summaries.items() for c in summ["criteria"]]
    return pd.DataFrame(rows, columns=["plan", "criterion", "census", "result", "pass share", "verdict",
                                       "reason"])


def paired_table(sec: UncertaintySection, *, labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Per plan: share of paired draws in which it beats the reference, per metric and community."""
    labels = dict(labels or {})
    rows = []
    for plan, items in sec.paired.items():
        for key, v in items.items():
            cname, metric = key.split("/", 1)
            name, _, comm = metric.partition(":")
            if name not in ("stranded", "empowerment_plurality", "empowerment_majority"):
                continue
            if v["a_better"] == 0 and v["b_better"] == 0:
                continue
            rows.append({"plan": plan, "census": cname, "metric": dict(_METRICS)[name],
                         "community": labels.get(comm, comm), "plan better": v["a_better"],
                         "reference better": v["b_better"], "tie": v["tie"]})
    return pd.DataFrame(rows, columns=["plan", "census", "metric", "community", "plan better",
                                       "reference better", "tie"])


def interval_svg(point: float | None, lo: float | None, hi: float | None, *, width: int = 120,
                 height: int = 12, fragile: bool = False) -> str:
    """An inline SVG interval bar on a 0-100% scale: the 90% range as a bar, the point as a tick.

    >>> interval_svg(0.5, 0.25, 0.75).startswith('<svg')
    True
    """
    if point is None or lo is None or hi is None:
        return ""

    def x(v: float) -> float:
        return round(1 + (width - 2) * min(max(v, 0.0), 1.0), 1)

    colour = "#cc3311" if fragile else "#0077bb"
    bar_w = max(x(hi) - x(lo), 1.0)
    return (f'<svg class="interval" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
            f'role="img" aria-label="{100 * lo:.1f}% to {100 * hi:.1f}%, point {100 * point:.1f}%">'
            f'<rect x="0" y="{height / 2 - 0.5}" width="{width}" height="1" fill="#dddddd"/>'
            f'<rect x="{x(lo)}" y="2" width="{bar_w}" height="{height - 4}" fill="{colour}" '
            f'fill-opacity="0.35"/>'
            f'<rect x="{x(point) - 1}" y="0" width="2" height="{height}" fill="{colour}"/></svg>')


def _png(fig: Any) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=_DPI, metadata={"Software": None})
    return buf.getvalue()


def interval_chart(sec: UncertaintySection, census: str, communities: Sequence[str],
                   labels: Mapping[str, str]) -> bytes:
    """One panel per metric: per community, each plan's 90% range as a bar and its point as a dot
    (hollow dot: fragile)."""
    from matplotlib.figure import Figure

    from dayafter.report.charts import PLAN_COLOURS

    plans = sec.plan_names
    comms = [c for c in communities
             if any(sec.summaries[p]["figures"].get(f"{census}/stranded:{c}", {}).get("point") is not None
                    for p in plans)]
    height = max(3.0, 0.14 * len(comms) * max(1, len(plans)) + 1.5)
    fig = Figure(figsize=(10.5, height), dpi=_DPI)
    axes = fig.subplots(1, len(_METRICS), sharey=True, squeeze=False)[0]
    step = 0.8 / max(len(plans), 1)
    for ax, (metric, title) in zip(axes, _METRICS, strict=True):
        for i, p in enumerate(plans):
            colour = PLAN_COLOURS[i % len(PLAN_COLOURS)]
            for j, c in enumerate(comms):
                f = sec.summaries[p]["figures"].get(f"{census}/{metric}:{c}")
                if not f or f["point"] is None:
                    continue
                y = j - 0.4 + step * (i + 0.5)
                ax.plot([100 * f["p05"], 100 * f["p95"]], [y, y], color=colour, lw=3, alpha=0.45,
                        solid_capstyle="butt")
                frag = f.get("verdict") == "fragile"
                ax.plot([100 * f["point"]], [y], "o", ms=4, color=colour,
                        mfc="white" if frag else colour, mew=1.2, label=p if j == 0 else None)
        ax.set_title(title, fontsize=9)
        ax.set_xlim(-2, 102)
        ax.set_xlabel("% of the community", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.grid(axis="x", color="#eeeeee")
    axes[0].set_yticks(range(len(comms)))
    axes[0].set_yticklabels([labels.get(c, c) for c in comms])
    axes[0].invert_yaxis()
    handles, names = axes[0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, names, loc="lower center", ncol=min(len(plans), 4), fontsize=7,
                   frameon=False)
    fig.suptitle(f"Census {census}: point value (dot; hollow = fragile) and 90% range over "
                 f"{sec.draws} draws", fontsize=9)
    fig.subplots_adjust(left=0.13, right=0.99, top=1 - 0.55 / height, bottom=0.95 / height,
                        wspace=0.08)
    return _png(fig)


def sensitivity_chart(sec: UncertaintySection, census: str, labels: Mapping[str, str]) -> bytes:
    """Stranded share against the stranded threshold, per community whose share jumps between 5%
    and 20% under some plan: point line and 90% band per plan. Empty bytes when none jumps."""
    from matplotlib.figure import Figure

    from dayafter.report.charts import PLAN_COLOURS

    plans = sec.plan_names
    comms: list[str] = []
    for p in plans:
        for c, d in sec.sweeps[p].get(census, {}).get("communities", {}).items():
            pts = [x["point"] for x in d["stranded"] if x["point"] is not None]
            lo = [x["p05"] for x in d["stranded"] if x["p05"] is not None]
            hi = [x["p95"] for x in d["stranded"] if x["p95"] is not None]
            moves = (pts and max(pts) - min(pts) > 0.005) or (lo and hi and max(hi) - min(lo) > 0.05)
            if d["flips"] and moves and c not in comms:
                comms.append(c)
    if not comms:
        return b""
    cols = min(3, len(comms))
    rows = -(-len(comms) // cols)
    fig = Figure(figsize=(10.5, 2.3 * rows + 0.8), dpi=_DPI)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax, c in zip(axes, comms, strict=False):
        for i, p in enumerate(plans):
            d = sec.sweeps[p].get(census, {}).get("communities", {}).get(c)
            if not d:
                continue
            colour = PLAN_COLOURS[i % len(PLAN_COLOURS)]
            thr = np.array([100 * x["threshold"] for x in d["stranded"]])
            pt = np.array([np.nan if x["point"] is None else 100 * x["point"] for x in d["stranded"]])
            lo_pct = np.array([np.nan if x["p05"] is None else 100 * x["p05"] for x in d["stranded"]])
            hi_pct = np.array([np.nan if x["p95"] is None else 100 * x["p95"] for x in d["stranded"]])
            ax.fill_between(thr, lo_pct, hi_pct, color=colour, alpha=0.15, step="post", linewidth=0)
            ax.step(thr, pt, where="post", color=colour, lw=1.5, label=p)
        ax.axvline(100 * sec.threshold, color="#444444", lw=0.8, ls="--")
        ax.set_title(labels.get(c, c), fontsize=9)
        ax.set_ylim(-3, 103)
        ax.set_xlabel("stranded threshold (%)", fontsize=8)
        ax.set_ylabel("% stranded", fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in axes[len(comms):]:
        ax.set_axis_off()
    handles, names = axes[0].get_legend_handles_labels()
    if handles:
        fig.legend(handles, names, loc="lower center", ncol=min(len(plans), 4), fontsize=7,
                   frameon=False)
    fig.suptitle(f"Census {census}: share stranded as the threshold moves (line: census as given; "
                 f"band: 90% of {sec.draws} draws; dashed: the threshold used)", fontsize=9)
    fig.subplots_adjust(left=0.07, right=0.99, top=0.9 if rows > 1 else 0.82,
                        bottom=0.22 if rows == 1 else 0.12, hspace=0.6, wspace=0.25)
    return _png(fig)


def section_html(sec: UncertaintySection) -> str:
    """The HTML body of the section (everything escaped; images inlined)."""
    from markupsafe import escape

    from dayafter.report.render import _img, html_table

    labels = sec.labels

    def pct(x: Any) -> str:
        return "-" if x is None or not np.isfinite(x) else f"{100 * x:.1f}%"

    out = [
        f"<p>Every census figure is an estimate with a range. The plans were evaluated on {sec.draws} "
        f"draws of the censuses consistent with those ranges (seed {sec.seed}; the census model and "
        "its defaults are in the run manifest). Each figure shows its value on the census as given "
        "(point) and the range holding 90% of the draws. A finding is <b>robust</b> when at least 95% "
        "of the draws agree with it and the share it rests on is more than 2 points from its threshold "
        f"(stranded {100 * sec.threshold:.3g}%, majority 50%, or the lead of the largest community); "
        "otherwise it is <b>fragile</b>, with the reason.</p>"]
    plans = sec.plan_names
    for cname in sec.census_names:
        out.append(f"<h3>Census {escape(cname)}</h3>")
        if f"intervals:{cname}" in sec.figures:
            out.append(f"<figure>{_img(sec.figures[f'intervals:{cname}'], f'intervals, census {cname}')}"
                       "</figure>")
        df = uncertainty_table(sec, labels=labels, census=cname)
        cells: dict[tuple[str, str], dict[str, Any]] = {}
        for _, r in df.iterrows():
            cells.setdefault((r["community"], r["metric"]), {})[r["plan"]] = r
        head = "".join(f"<th>{escape(h)}</th>" for h in ("community", "metric", *plans))
        body = []
        for (comm, metric), per_plan in cells.items():
            tds = []
            for p in plans:
                r = per_plan.get(p)
                if r is None:
                    tds.append("<td></td>")
                    continue
                frag = r["verdict"] == "fragile"
                tds.append(f'<td class="num{" fail" if frag else ""}" title="{escape(r["reason"])}">'
                           f'{pct(r["point"])} <span class="range">[{pct(r["p05"])}-{pct(r["p95"])}]'
                           f"</span>{'*' if frag else ''}<br>"
                           f"{interval_svg(r['point'], r['p05'], r['p95'], fragile=frag)}</td>")
            body.append(f"<tr><th>{escape(comm)}</th><td>{escape(metric)}</td>{''.join(tds)}</tr>")
        out.append('<p class="note">Each cell: point value, [90% range], and the range drawn on a '
                   "0-100% bar; * and red: fragile (the reasons follow the table).</p>")
        out.append(f'<div class="scroll"><table id="uncertainty-{escape(cname)}" class="uncertainty">'
                   f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>")
        reasons = [r for _, r in df.iterrows() if r["verdict"] == "fragile"]
        if reasons:
            out.append('<h4>Why fragile</h4><ul class="reasons">' + "".join(
                f"<li><b>{escape(r['plan'])}</b>, {escape(r['metric'])}: {escape(r['reason'])}</li>"
                for r in reasons) + "</ul>")
        if f"sensitivity:{cname}" in sec.figures:
            out.append("<h4>Sensitivity to the stranded threshold</h4><figure>"
                       f"{_img(sec.figures[f'sensitivity:{cname}'], f'sensitivity, census {cname}')}"
                       "</figure>")
    regions = [(plan, v) for plan, summ in sec.summaries.items() for v in summ["verdicts"]
               if v["verdict"] == "fragile" and v["subject"].startswith("largest:")]
    if regions:
        out.append("<h3>Regions whose largest community is uncertain</h3><ul>" + "".join(
            f"<li>{escape(plan)} [{escape(v['census'])}]: {escape(v['reason'])}</li>"
            for plan, v in regions) + "</ul>")
    crit = criteria_table(sec)
    if len(crit):
        out.append("<h3>Criteria: share of draws in which each passes</h3>" + html_table(
            crit, text_columns=("plan", "criterion", "census", "result", "verdict", "reason"),
            table_id="uncertainty-criteria"))
    out.extend(_engine_html(sec))
    paired = paired_table(sec, labels=labels)
    if len(paired):
        out.append(f"<h3>Against the reference {escape(sec.reference or '')}: share of paired draws "
                   "in which each is better</h3>" + html_table(
                       paired, text_columns=("plan", "census", "metric", "community"),
                       table_id="uncertainty-paired"))
    return "\n".join(out)


def _engine_html(sec: UncertaintySection) -> list[str]:
    """The engine range tables (councils, security, transfers), fragile verdicts in red."""
    from markupsafe import escape

    from dayafter.report.render import html_table

    meta = sec.engines.get("meta", {})
    lp = escape(meta.get("security", {}).get("lp_draws"))
    solved = escape(meta.get("settle", {}).get("solved"))
    parts = [
        ("councils", council_ranges_table, "Councils over the draws: seats per region and community",
         "Seats on the census as given and the range holding 90% of the draws; the shares of draws "
         "in which the community holds a seat and a majority. Fragile: fewer than 95% of the draws "
         "agree on whether it holds a seat or a majority."),
        ("security", security_ranges_table, "Security over the draws: requirement and shortfall",
         f"Personnel required (every draw) and short (the allocation LP, on the first {lp} draws). "
         "Fragile: fewer than 95% of the draws agree on whether the region is short."),
        ("transfers", transfer_ranges_table,
         "Settlement over the draws: transfers against the reference",
         "Money each party receives (negative: pays) under each release rule, on the first "
         f"{solved} draws; allocation changes: share of draws in which the holder of some unit "
         "differs. Fragile: fewer than 95% of the draws agree on whether the party pays or "
         "receives."),
    ]
    text = ("plan", "census", "region", "community", "rule", "party", "unit", "verdict", "reason")
    out: list[str] = []
    for key, table, title, note in parts:
        df = table(sec)
        if not len(df):
            continue
        fragile = {(i, "verdict"): "fail" for i, v in enumerate(df["verdict"]) if v == "fragile"}
        out.append(f"<h3>{escape(title)}</h3><p class=\"note\">{note}</p>"
                   + html_table(df, text_columns=text, cell_classes=fragile,
                                table_id=f"uncertainty-{key}"))
    return out
