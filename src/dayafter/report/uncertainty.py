"""The report's uncertainty section: interval bars, robust/fragile verdicts, a sensitivity chart.

:func:`uncertainty_section` evaluates every plan of a dossier on the same census draws
(:mod:`dayafter.uncertainty`) and keeps what the report shows:

* per plan, census and community: empowerment (plurality and majority) and stranded shares with
  their point value, p05/p50/p95 and verdict (robust or fragile, with the reason), drawn as
  interval bars in the HTML table and in a chart;
* per plan: the share of draws in which each criterion passes, and the fragile findings;
* per plan other than the reference: the share of paired draws in which it beats the reference;
* a sensitivity chart per census: stranded share against the stranded threshold (5-20%), point
  line and 90% band, one panel per community whose share jumps in that range.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from dayafter.criteria import Criterion
from dayafter.plan import Plan
from dayafter.territory import Territory

__all__ = ["UncertaintySection", "interval_svg", "uncertainty_section", "uncertainty_table"]

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
        """XLSX sheets: ``uncertainty``, ``uncertainty criteria``, ``uncertainty paired``."""
        return {"uncertainty": uncertainty_table(self, labels=self.labels),
                "uncertainty criteria": criteria_table(self),
                "uncertainty paired": paired_table(self, labels=self.labels)}

    def manifest(self) -> dict[str, Any]:
        """Draws, seed and the census model (every figure of the section follows from them)."""
        return {"draws": self.draws, "seed": self.seed, "threshold": self.threshold,
                "model": dict(self.model)}

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
) -> UncertaintySection:
    """Evaluate ``plans`` (and the reference) on ``draws`` census draws and keep the report's view.

    The draws come from :class:`dayafter.uncertainty.CensusModel` with its default error model;
    every plan is evaluated on the same draws (paired).
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
    for dev in devs[: len(plist)]:
        name = dev.plan.name
        summaries[name] = summary_dict(dev, criteria=criteria, labels=labels, regions=False)
        sweeps[name] = {c: s.to_dict() for c, s in threshold_sweep(dev).items()}
        if ref_dev is not None and dev is not ref_dev:
            paired[name] = {k: v.to_dict() for k, v in compare_draws(dev, ref_dev).items()
                            if v.direction != 0}
    sec = UncertaintySection(draws=int(draws), seed=int(seed), model=cd.describe(),
                             summaries=summaries, sweeps=sweeps, paired=paired,
                             reference=None if reference is None else reference.name,
                             threshold=float(threshold), labels=labels)
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
    paired = paired_table(sec, labels=labels)
    if len(paired):
        out.append(f"<h3>Against the reference {escape(sec.reference or '')}: share of paired draws "
                   "in which each is better</h3>" + html_table(
                       paired, text_columns=("plan", "census", "metric", "community"),
                       table_id="uncertainty-paired"))
    return "\n".join(out)
