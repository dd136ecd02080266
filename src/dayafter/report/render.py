"""Render a :class:`~dayafter.report.dossier.Dossier` as one self-contained HTML file, a PDF of the
same content, or an XLSX workbook of its tables.

The HTML inlines its styles and images (PNG as ``data:`` URIs) and refers to nothing outside the
file, so it opens offline. The PDF is made from the same HTML by WeasyPrint. Every write goes to a
temporary file renamed into place.
"""

from __future__ import annotations

import base64
import io
import math
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from dayafter._util import json_dumps
from dayafter.comparison import row_format
from dayafter.errors import ConfigError, DayafterError
from dayafter.metrics import registry
from dayafter.report import tables as T
from dayafter.report.dossier import (
    Dossier,
    census_comparison_table,
    provenance_statuses,
    provenance_summary,
)

__all__ = ["FORMATS", "pdf_available", "render_html", "render_pdf", "render_xlsx", "report_format",
           "write_html", "write_pdf", "write_report", "write_xlsx", "xlsx_tables"]

FORMATS = ("html", "pdf", "xlsx")

MAX_UNIT_ROWS = 3000
"""Territories with more units list them in the XLSX workbook only (an HTML or PDF table of tens
of thousands of rows helps nobody and takes minutes to lay out)."""

Formatter = Callable[[Any], str]


# ------------------------------------------------------------------------------------ formatting


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and not math.isfinite(v))


def _pct(v: Any) -> str:
    return "-" if _missing(v) else f"{float(v):.1%}"


def _int(v: Any) -> str:
    return "-" if _missing(v) else f"{float(v):,.0f}"


def _f3(v: Any) -> str:
    return "-" if _missing(v) else f"{float(v):.3f}"


def _f1(v: Any) -> str:
    return "-" if _missing(v) else f"{float(v):,.1f}"


def _text(v: Any) -> str:
    return "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)


_BY_LABEL = {m.label.lower(): m for m in registry.METRICS.values()} | {
    k: m for k, m in registry.METRICS.items()}


def _missing_or(fmt: Callable[[Any], str]) -> Formatter:
    return lambda v: "-" if _missing(v) else fmt(v)


# Report columns that are not metrics, by exact name (lower case). Every other number column is a
# metric of the registry, by key or label or as "<metric>: <argument>" ("share: Kurds"), or else a
# count or a sum (people, seats, money: a whole number). A column whose name the report builds
# (a plan's percentile, a census's referendum margin) gets its format where its table is drawn.
_REPORT_COLUMNS: dict[str, Formatter] = {
    **dict.fromkeys(("largest share", "imputed share", "majority share", "seat share", "pass share",
                     "people share", "propensity share", "returning share", "short share"), _pct),
    **dict.fromkeys(("gallagher", "effective parties (seats)", "utility / proportional value",
                     "value of one more"), _f3),
    "area km2": _f1,
}


def _column_metric(col: str) -> registry.Metric | None:
    """The registry's metric a column shows: by key or label, or ``<metric>: <argument>``."""
    c = col.lower()
    m = _BY_LABEL.get(c)
    if m is None and ": " in c:
        m = _BY_LABEL.get(c.split(": ", 1)[0])
    return m


def _column_format(col: str) -> Formatter:
    """Formatter of a table column: the registry's format when the column is a metric, the
    report's own columns' formats by exact name (:data:`_REPORT_COLUMNS`), else a whole number.

    >>> [_column_format(c)(0.25) for c in ("stranded", "share: Kurds", "seat share", "Gallagher")]
    ['25.0%', '25.0%', '25.0%', '0.250']
    >>> _column_format("districts shared")(3), _column_format("people (current)")(1234.4)
    ('3', '1,234')
    """
    m = _column_metric(col)
    if m is not None:
        return _missing_or(m.format)
    return _REPORT_COLUMNS.get(col.lower(), _int)


def _ensemble_format(key: str) -> Formatter:
    """Formatter of an ensemble row: the registry's, except that counts and people keep one
    decimal (quantiles of whole numbers need not be whole)."""
    try:
        m = registry.get(key)
    except ConfigError:
        return _f1
    return _f1 if m.unit in ("count", "people") else _missing_or(m.format)


def _esc(s: Any) -> str:
    from markupsafe import escape

    return str(escape(str(s)))


def _compensation(section: Any, table_id: str, territory: Any) -> dict[str, Any] | None:
    """The compensation against the reference of one plan: table and explanations."""
    comp = section.compensation
    if not comp:
        return None
    from dayafter.settle import explain

    first = next(iter(comp.values()))
    pr = first.problem
    idx = territory.index(list(pr.unit_ids))
    labels = {u: territory.unit_label(int(i)) for u, i in zip(pr.unit_ids, idx, strict=True)}
    ref_vals = first.meta["reference_values"]
    data: dict[str, Any] = {"party": list(pr.parties),
                            "value held in the reference": [float(x) for x in ref_vals],
                            "value held": [float(x) for x in first.values_held]}
    for rule, st in comp.items():
        data[f"transfer ({rule})"] = [float(x) for x in st.transfers]
    return {"reference": first.meta.get("reference", ""), "value_unit": pr.value_unit,
            "table": html_table(pd.DataFrame(data), text_columns=("party",), table_id=table_id),
            "explanations": {rule: list(explain(st, labels=labels).values())
                             for rule, st in comp.items()}}


def _cell(value: Any, fmt: Formatter | None, *, cls: str = "", attrs: str = "") -> str:
    if isinstance(value, str) or fmt is None:
        text = _text(value)
        num = False
    else:
        text = fmt(value)
        num = True
    classes = " ".join(x for x in (cls, "num" if num else "") if x)
    cattr = f' class="{classes}"' if classes else ""
    return f"<td{cattr}{attrs}>{_esc(text)}</td>"


def html_table(df: pd.DataFrame, *, formats: Mapping[str, Formatter] | None = None,
               text_columns: Sequence[str] = (), cell_classes: Mapping[tuple[int, str], str] | None = None,
               rtl_columns: Sequence[str] = (), caption: str = "", index: bool = False,
               css: str = "", table_id: str = "") -> str:
    """An HTML ``<table>`` of a DataFrame with per-column number formats (everything escaped)."""
    formats = dict(formats or {})
    cell_classes = cell_classes or {}
    cols = list(df.columns)
    attrs = (f' id="{_esc(table_id)}"' if table_id else "") + (f' class="{_esc(css)}"' if css else "")
    out = [f"<table{attrs}>"]
    if caption:
        out.append(f"<caption>{_esc(caption)}</caption>")
    head = "".join(f"<th>{_esc(n)}</th>" for n in ([*df.index.names] if index else []) + cols)
    out.append(f"<thead><tr>{head}</tr></thead><tbody>")
    for i, (idx, row) in enumerate(df.iterrows()):
        cells = []
        if index:
            for part in (idx if isinstance(idx, tuple) else (idx,)):
                cells.append(f"<th>{_esc(part)}</th>")
        for c in cols:
            v = row[c]
            if c in text_columns or isinstance(v, str):
                fmt = None
            else:
                fmt = formats.get(c) or _column_format(str(c))
            attrs = ' dir="rtl" lang="ar"' if c in rtl_columns else ""
            cells.append(_cell(v, fmt, cls=cell_classes.get((i, c), ""), attrs=attrs))
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def community_legend(d: Dossier, table_id: str = "") -> str:
    """Colour key of the community maps with each community's name in Latin and, below it, in
    Arabic script (HTML shapes Arabic text, which the map images cannot)."""
    comms = d.territory.communities
    latin = "".join(
        f'<td><span class="swatch" style="background-color: {_esc(d.palette.community_colour(c))}">'
        f"</span> {_esc(d.label(c))}</td>" for c in comms)
    rows = [f"<tr><th>communities</th>{latin}</tr>"]
    if d.labels_ar:
        arabic = "".join(f'<td dir="rtl" lang="ar">{_esc(d.labels_ar.get(c, ""))}</td>' for c in comms)
        rows.append(f'<tr><th lang="ar" dir="rtl">المكونات</th>{arabic}</tr>')
    tid = f' id="{_esc(table_id)}"' if table_id else ""
    return f'<table class="legend"{tid}><tbody>{"".join(rows)}</tbody></table>'


def _img(png: bytes, alt: str) -> str:
    data = base64.b64encode(png).decode("ascii")
    return f'<img src="data:image/png;base64,{data}" alt="{_esc(alt)}">'


def _differs(a: Any, b: Any) -> bool:
    if isinstance(a, str) or isinstance(b, str):
        return str(a) != str(b)
    fa, fb = float(a), float(b)
    if math.isnan(fa) and math.isnan(fb):
        return False
    return not math.isclose(fa, fb, rel_tol=1e-9, abs_tol=1e-12)


def comparison_html(d: Dossier) -> str:
    """The side-by-side comparison table with the cells that differ from the first plan marked."""
    df = d.comparison()
    cols = list(df.columns)
    out = ['<table id="comparison-table" class="comparison"><thead><tr><th>section</th><th>metric</th>']
    out += [f"<th>{_esc(c)}</th>" for c in cols]
    out.append("</tr></thead><tbody>")
    for (section, metric), row in df.iterrows():
        fmt = row_format(df, str(section), str(metric))
        base = row[cols[0]]
        cells = [f"<th>{_esc(section)}</th><th>{_esc(metric)}</th>"]
        for j, c in enumerate(cols):
            v = row[c]
            cls = ""
            if isinstance(v, str) and v == "FAIL":
                cls = "fail"
            if j > 0 and not _missing(v) and not _missing(base) and _differs(v, base):
                cls = (cls + " diff").strip()
            cells.append(_cell(v, None if isinstance(v, str) else fmt, cls=cls))
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


# ------------------------------------------------------------------------------------ HTML


def _context(d: Dossier) -> dict[str, Any]:
    t = d.territory
    plans: list[dict[str, Any]] = []
    for s in d.sections:
        ev = s.evaluation
        censuses = []
        for c in ev.censuses:
            # authority and status are in the plan's region key already
            rt = T.region_table(t, ev, c, labels=d.labels,
                                imputed=T.imputed_units(d.provenance, t, c)
                                ).drop(columns=["authority", "status"])
            ct = T.community_table(ev, c, labels=d.labels, labels_ar=d.labels_ar).drop(columns=["key"])
            pid = f"plan-{len(plans) + 1}"
            censuses.append({
                "name": c,
                "threshold": ev.census(c).threshold,
                "theil": ev.census(c).theil_h,
                "imputed": "imputed share" in rt.columns,
                "regions": html_table(rt, text_columns=("region", "largest community"),
                                      table_id=f"{pid}-{c}-regions"),
                "communities": html_table(ct, text_columns=("community", "community_ar", "largest in"),
                                          rtl_columns=("community_ar",),
                                          table_id=f"{pid}-{c}-communities"),
            })
        key = pd.DataFrame({"no.": [str(j + 1) for j in range(s.plan.k)],
                            "region": s.plan.region_names,
                            "authority": [r.authority for r in s.plan.regions],
                            "status": [r.status for r in s.plan.regions],
                            "units": [int(x) for x in ev.geometry.n_units]})
        crit = T.criteria_table(s.criteria, labels=d.labels)
        crit_classes = {(i, "result"): ("fail" if r == "FAIL" else "na" if r == "n/a" else "pass")
                        for i, r in enumerate(crit["result"].tolist())}
        change = T.change_table(ev) if ev.change is not None and not s.is_reference else None
        plans.append({
            "id": f"plan-{len(plans) + 1}",
            "name": s.plan.name,
            "title": s.title,
            "notes": s.plan.notes,
            "sources": ", ".join(str(x) for x in s.plan.meta.get("sources", []) or []),
            "is_reference": s.is_reference,
            "key": html_table(key, text_columns=("no.", "region", "authority", "status"),
                              table_id=f"plan-{len(plans) + 1}-key"),
            "maps": [(name, _img(png, f"{s.plan.name}: {name} map")) for name, png in s.figures.items()],
            "legend": community_legend(d, f"plan-{len(plans) + 1}-legend") if s.figures else "",
            "censuses": censuses,
            "criteria": html_table(crit.drop(columns=["description"]), css="criteria",
                                   table_id=f"plan-{len(plans) + 1}-criteria",
                                   cell_classes=crit_classes,
                                   text_columns=("criterion", "census", "metric", "bounds", "result",
                                                 "failing", "sources")) if len(crit) else "",
            "change": None if change is None else {
                "reference": ev.change.reference if ev.change else "",
                "units": ev.change.units_moved if ev.change else 0,
                "people": ev.change.people_moved if ev.change else {},
                "table": html_table(change, text_columns=("from", "to"),
                                    table_id=f"plan-{len(plans) + 1}-change"),
            },
            "splits": {lvl: [str(n) for n, c in zip(ev.geometry.admin_names[lvl],
                                                     ev.geometry.split_detail[lvl], strict=True)
                             if c > 1] for lvl in ev.geometry.splits},
            "councils": None if s.councils is None else html_table(
                s.councils, text_columns=("census", "region", "majority", "ties"),
                table_id=f"plan-{len(plans) + 1}-councils"),
            "council_notes": list(s.council_notes),
            "security": None if s.security is None else html_table(
                s.security, text_columns=("region", "authority", "control"),
                table_id=f"plan-{len(plans) + 1}-security"),
            "security_forces": None if s.security_forces is None else html_table(
                s.security_forces, text_columns=("force", "kind", "why not used"),
                table_id=f"plan-{len(plans) + 1}-security-forces"),
            "compensation": _compensation(s, f"plan-{len(plans) + 1}-compensation", t),
        })
    ens = None
    if d.ensemble is not None:
        et = d.ensemble_table()
        keys = et["key"].tolist() if "key" in et else []
        shown = et.drop(columns=["key"]) if "key" in et else et
        # values follow the row's metric (shares as percentages); percentiles have one decimal
        pct_cols = {f"{s.plan.name} percentile" for s in d.sections}
        cells = [{c: v if isinstance(v, str) else
                  (_f1(v) if c in pct_cols else _ensemble_format(key)(v))
                  for c, v in row.items()}
                 for key, (_, row) in zip(keys, shown.iterrows(), strict=True)]
        k_ens = d.ensemble.k
        ens = {
            "source": d.ensemble.source,
            "samples": d.ensemble.n_samples,
            "k": k_ens,
            "other_k": [s.plan.name for s in d.sections if k_ens is not None and s.plan.k != k_ens],
            "table": html_table(pd.DataFrame(cells, columns=shown.columns),
                                text_columns=list(shown.columns), table_id="ensemble-table"),
            "distribution": _img(d.ensemble_figures["distribution"], "ensemble distributions")
            if "distribution" in d.ensemble_figures else "",
            "sorted": [_img(png, key) for key, png in d.ensemble_figures.items()
                       if key.startswith("sorted:")],
        }
    security = None
    if d.security:
        first = next(iter(d.security.values()))
        summary = pd.DataFrame([{
            "plan": name, "required": float(a.requirement.sum()),
            "covered": float(a.covered.sum()), "shortfall": float(a.total_shortfall),
            "units short": int((a.shortfall > 1e-9).sum()),
            "forces unused": ", ".join(r["force"] for r in a.force_report()
                                       if r["status"] == "unused") or "-"}
            for name, a in d.security.items()])
        security = {
            "census": first.meta.get("census", ""), "per_1000": first.meta.get("per_1000"),
            "min_accept_share": first.meta.get("min_accept_share"),
            "veto_share": first.meta.get("veto_share"),
            "summary": html_table(summary, text_columns=("plan", "forces unused"),
                                  table_id="security-summary"),
        }
    settlements = []
    for i, st in enumerate(d.settlements, start=1):
        settlements.append({
            "method": st.method, "value_unit": st.problem.value_unit,
            "budget": st.problem.budget, "notes": list(st.notes),
            "parties": html_table(T.settlement_parties_table(st), text_columns=("party",),
                                  table_id=f"settlement-{i}-parties"),
            "units": html_table(T.settlement_units_table(st, t),
                                text_columns=("unit_id", "name", "holder"),
                                table_id=f"settlement-{i}-units"),
        })
    units = T.units_table(t, d.plans)
    prov = provenance_summary(d.provenance)
    imputed = prov[(prov["census"] == "all") & (prov["status"] == "imputed")]["share"]
    statuses = provenance_statuses(d.provenance)
    comparison = census_comparison_table(d.census_comparison)
    return {
        "title": d.title,
        "created": d.manifest.get("created", ""),
        "territory": {"name": t.name, "units": t.n_units,
                      "communities": [d.label(c) for c in t.communities],
                      "censuses": {c: float(t.census(c).sum()) for c in t.census_names},
                      "hash": t.content_hash},
        "reference": d.reference.name if d.reference is not None else None,
        "comparison": comparison_html(d),
        "overview": _img(d.overview, "every plan's regions by authority") if d.overview else "",
        "plans": plans,
        "ensemble": ens,
        "security": security,
        "settlements": settlements,
        "units": html_table(units, text_columns=list(units.columns), table_id="units-table",
                            rtl_columns=[c for c in units.columns if str(c).endswith("_ar")])
        if len(units) <= MAX_UNIT_ROWS else "",
        "n_units": len(units),
        "provenance": html_table(prov.dropna(axis=1, how="all"), text_columns=("census", "status"),
                                 table_id="provenance-table") if len(prov) else "",
        "provenance_statuses": html_table(statuses, text_columns=("census", "part", "status"),
                                          formats={"median range": _pct},
                                          table_id="provenance-status-table") if len(statuses) else "",
        "census_comparison": html_table(comparison, text_columns=("district", "name", "census districts", "match"),
                                        formats={"growth": _f3}, table_id="census-comparison-table")
        if len(comparison) else "",
        "census_exact": int((comparison["match"] == "exact").sum()) if len(comparison) else 0,
        "census_districts": len(comparison),
        "imputed_share": float(imputed.iloc[0]) if len(imputed) else (0.0 if len(prov) else None),
        "imputed_people": {str(r["census"]): float(r["people share"]) for _, r in prov.iterrows()
                           if r["census"] != "all" and r["status"] == "imputed"
                           and np.isfinite(r["people share"])},
        "sources_md": d.sources_md,
        "manifest": json_dumps(d.manifest, indent=2),
        "councils": _council_rules(d.councils) if d.councils is not None else None,
        "extras": [{"id": x.section_id, "title": x.title, "html": x.html(d)} for x in d.extras],
        "fmt_int": _int,
        "fmt_pct": _pct,
        "fmt_f3": _f3,
    }


def _council_rules(rules: Any) -> dict[str, Any]:
    d = rules.to_dict()
    size = ("fixed size " + str(d["size"]) if d.get("size") else
            "sizes of the existing councils (" + str(d.get("admin_level")) + ")" if d.get("admin_level")
            else f"one seat per {d['residents_per_seat']:,.0f} residents"
            if d.get("residents_per_seat") else "sizes per region")
    def num(x: Any) -> Any:  # "17/10" -> 1.7 for display
        from fractions import Fraction

        try:
            return f"{float(Fraction(str(x))):g}" if x is not None else None
        except (ValueError, ZeroDivisionError):
            return x

    return {"name": d.get("name") or "", "method": d.get("method", ""),
            "first_divisor": num(d.get("first_divisor")), "threshold": num(d.get("threshold")),
            "size": size, "adult_share": d.get("adult_share"), "turnout": d.get("turnout"),
            "sources": ", ".join(d.get("sources") or [])}


def render_html(dossier: Dossier) -> str:
    """The dossier as one self-contained HTML document (styles and images inlined)."""
    from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

    env = Environment(loader=PackageLoader("dayafter.report", "templates"),
                      autoescape=select_autoescape(("html", "j2")), undefined=StrictUndefined,
                      trim_blocks=True, lstrip_blocks=True)
    css = env.loader.get_source(env, "dossier.css")[0] if env.loader is not None else ""
    tpl = env.get_template("dossier.html.j2")
    return tpl.render(css=css, **_context(dossier))


def write_html(dossier: Dossier, path: str | Path) -> Path:
    """Write the HTML dossier to ``path`` (atomically)."""
    from dayafter.io.atomic import atomic_write_text

    atomic_write_text(path, render_html(dossier))
    return Path(path)


# ------------------------------------------------------------------------------------ PDF


def pdf_available() -> tuple[bool, str]:
    """Whether PDF output works here, and why not when it does not."""
    try:
        import weasyprint  # noqa: F401
    except ImportError as exc:
        return False, ("WeasyPrint is not installed (pip install weasyprint; apt-get install "
                       f"libpango-1.0-0 libpangoft2-1.0-0): {exc}")
    except OSError as exc:  # the Python package is there but pango is not
        return False, f"WeasyPrint cannot load pango (apt-get install libpango-1.0-0 libpangoft2-1.0-0): {exc}"
    return True, ""


def render_pdf(dossier: Dossier) -> bytes:
    """The dossier as PDF bytes, rendered from the same HTML by WeasyPrint."""
    ok, why = pdf_available()
    if not ok:
        raise DayafterError(f"cannot write PDF: {why}", hint="write HTML instead (--out dossier.html)")
    import logging

    import weasyprint

    # WeasyPrint logs every CSS property it ignores at WARNING; keep them out of the user's console.
    logger = logging.getLogger("weasyprint")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        return weasyprint.HTML(string=render_html(dossier), base_url=None).write_pdf()
    finally:
        logger.setLevel(level)


def write_pdf(dossier: Dossier, path: str | Path) -> Path:
    """Write the PDF dossier to ``path`` (atomically)."""
    from dayafter.io.atomic import atomic_write_bytes

    atomic_write_bytes(path, render_pdf(dossier))
    return Path(path)


# ------------------------------------------------------------------------------------ XLSX


def xlsx_tables(dossier: Dossier) -> dict[str, pd.DataFrame]:
    """The tables of the workbook, by sheet name, in long form (a ``plan`` and ``census`` column
    where they apply)."""
    d = dossier
    t = d.territory
    regions, comms, crits, changes, councils = [], [], [], [], []
    for s in d.sections:
        ev = s.evaluation
        for c in ev.censuses:
            rt = T.region_table(t, ev, c, labels=d.labels,
                                imputed=T.imputed_units(d.provenance, t, c))
            rt.insert(0, "census", c)
            rt.insert(0, "plan", s.plan.name)
            regions.append(rt)
            ct = T.community_table(ev, c, labels=d.labels, labels_ar=d.labels_ar)
            ct.insert(0, "census", c)
            ct.insert(0, "plan", s.plan.name)
            comms.append(ct)
        cr = T.criteria_table(s.criteria, labels=d.labels)
        cr.insert(0, "plan", s.plan.name)
        crits.append(cr)
        if ev.change is not None:
            ch = T.change_table(ev)
            ch.insert(0, "plan", s.plan.name)
            changes.append(ch)
        if s.councils is not None:
            co = s.councils.copy()
            co.insert(0, "plan", s.plan.name)
            councils.append(co)
    cmp_df = d.comparison().reset_index()
    out: dict[str, pd.DataFrame] = {
        "comparison": cmp_df,
        "regions": pd.concat(regions, ignore_index=True),
        "communities": pd.concat(comms, ignore_index=True),
        "criteria": pd.concat(crits, ignore_index=True) if crits else pd.DataFrame(),
    }
    if changes:
        out["changes"] = pd.concat(changes, ignore_index=True)
    if councils:
        out["councils"] = pd.concat(councils, ignore_index=True)
    if d.ensemble is not None:
        out["ensemble"] = d.ensemble_table()
    if d.security:
        forces, frames = [], []
        for s in d.sections:
            if s.security is None or s.security_forces is None:
                continue
            ft = s.security_forces.copy()
            ft.insert(0, "plan", s.plan.name)
            forces.append(ft)
            sec = s.security.copy()
            sec.insert(0, "plan", s.plan.name)
            frames.append(sec)
        out["security forces"] = pd.concat(forces, ignore_index=True)
        out["security regions"] = pd.concat(frames, ignore_index=True)
    if d.settlements:
        parts, units = [], []
        for st in d.settlements:
            pt = T.settlement_parties_table(st)
            pt.insert(0, "method", st.method)
            parts.append(pt)
            ut = T.settlement_units_table(st, t)
            ut.insert(0, "method", st.method)
            units.append(ut)
        out["settlement parties"] = pd.concat(parts, ignore_index=True)
        out["settlement units"] = pd.concat(units, ignore_index=True)
    for x in d.extras:
        out.update(x.tables())
    out["units"] = T.units_table(t, d.plans)
    prov = provenance_summary(d.provenance)
    if len(prov):
        out["provenance"] = prov
    statuses = provenance_statuses(d.provenance)
    if len(statuses):
        out["provenance statuses"] = statuses
    comparison = census_comparison_table(d.census_comparison)
    if len(comparison):
        out["census comparison"] = comparison
    out["manifest"] = pd.DataFrame(
        [{"key": k, "value": json_dumps(v, separators=(", ", ": "))
          if not isinstance(v, str) else v} for k, v in d.manifest.items()])
    return out


_TEXT_COLUMNS = frozenset({"unit_id", "plan", "census", "region", "key", "section", "metric",
                           "name_en", "name_ar", "name", "community", "community_ar", "authority",
                           "status", "part", "district", "census districts", "match",
                           "method", "party", "holder", "force"})


def _workbook(dossier: Dossier) -> Any:
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    for name, df in xlsx_tables(dossier).items():
        ws = wb.create_sheet(name[:31])
        ws.append([str(c) for c in df.columns])
        # id columns and all-text columns are text cells whatever they look like ("007" stays
        # "007"); in mixed columns (numbers and "pass"/"FAIL") every cell keeps its own type
        text_cols = {j for j, c in enumerate(df.columns)
                     if c in _TEXT_COLUMNS
                     or (df[c].dtype == object and all(isinstance(v, str) for v in df[c]))}
        for row in df.itertuples(index=False):
            vals: list[Any] = []
            for j, v in enumerate(row):
                if j in text_cols or isinstance(v, str):
                    vals.append("" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v))
                elif isinstance(v, (float, np.floating)) and not np.isfinite(v):
                    vals.append(None)
                elif isinstance(v, np.integer):
                    vals.append(int(v))
                elif isinstance(v, np.floating):
                    vals.append(float(v))
                else:
                    vals.append(v)
            ws.append(vals)
        for j in text_cols:
            letter = get_column_letter(j + 1)
            for cell in ws[letter][1:]:
                cell.number_format = "@"
        ws.freeze_panes = "A2"
        for j, c in enumerate(df.columns):
            ws.column_dimensions[get_column_letter(j + 1)].width = min(max(len(str(c)) + 2, 10), 40)
    return wb


def render_xlsx(dossier: Dossier) -> bytes:
    """The workbook of the dossier's tables as XLSX bytes (for a web download)."""
    buf = io.BytesIO()
    _workbook(dossier).save(buf)
    return buf.getvalue()


def write_xlsx(dossier: Dossier, path: str | Path) -> Path:
    """Write the tables to an XLSX workbook; unit ids and other text stay text cells."""
    from dayafter.io.atomic import atomic_path

    wb = _workbook(dossier)
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return Path(path)


# ------------------------------------------------------------------------------------ dispatch


def report_format(path: str | Path, format: str | None = None) -> str:
    """The output format for ``path``: ``format`` if given, else the file's extension.

    Raises
    ------
    ConfigError
        Neither names one of :data:`FORMATS`.
    """
    p = Path(path)
    fmt = (format or p.suffix.lstrip(".")).lower()
    if fmt == "htm":
        fmt = "html"
    if fmt not in FORMATS:
        raise ConfigError(f"unknown report format {fmt!r} for {p}",
                          hint="use a .html, .pdf or .xlsx file name, or --format html|pdf|xlsx")
    return fmt


def write_report(dossier: Dossier, path: str | Path, *, format: str | None = None) -> Path:
    """Write the dossier as HTML, PDF or XLSX, chosen by ``format`` or the file's extension."""
    p = Path(path)
    fmt = report_format(p, format)
    writer = {"html": write_html, "pdf": write_pdf, "xlsx": write_xlsx}[fmt]
    return writer(dossier, p)
