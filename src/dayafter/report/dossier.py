"""A settlement dossier: the evaluated plans and everything around them, ready to render.

:func:`build_dossier` evaluates the plans (every metric, every census, change from the reference,
criteria), draws the maps and ensemble charts once, and returns a :class:`Dossier` that the HTML,
PDF and XLSX writers in :mod:`dayafter.report.render` turn into files. :func:`dossier_from_case`
does the same for a built-in case.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import platform
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from dayafter.criteria import Criterion, CriterionResult, check_criteria
from dayafter.errors import InputDataError
from dayafter.metrics import DEFAULT_THRESHOLD, Evaluation
from dayafter.plan import Plan
from dayafter.report.ensemble import EnsembleContext, plan_region_values
from dayafter.report.palette import Palette
from dayafter.territory import Territory

__all__ = [
    "Dossier",
    "PlanSection",
    "build_dossier",
    "case_context",
    "case_input_hashes",
    "census_comparison_table",
    "dossier_from_case",
    "plan_hash",
    "project_context",
    "provenance_statuses",
    "provenance_summary",
]

_DEPENDENCIES = ("numpy", "scipy", "pandas", "numba", "shapely", "geopandas", "matplotlib", "jinja2",
                 "openpyxl", "weasyprint")


@dataclass(frozen=True)
class PlanSection:
    """One plan of a dossier with its evaluation, criteria results, figures, councils and security
    by region."""

    plan: Plan
    evaluation: Evaluation
    criteria: tuple[CriterionResult, ...]
    is_reference: bool
    figures: Mapping[str, bytes] = field(default_factory=dict)
    councils: pd.DataFrame | None = None
    council_notes: tuple[str, ...] = ()
    security: pd.DataFrame | None = None
    security_forces: pd.DataFrame | None = None
    assessment: Any = None
    compensation: Mapping[str, Any] = field(default_factory=dict)

    @property
    def title(self) -> str:
        """The plan's title (its ``meta['title']``) or its name."""
        return str(self.plan.meta.get("title") or self.plan.name)


@dataclass(frozen=True)
class Dossier:
    """Everything a report shows, computed once.

    Attributes
    ----------
    title
        Title of the report.
    territory
        The territory every plan belongs to.
    sections
        One :class:`PlanSection` per plan, in the order given.
    reference
        The plan changes are measured from (``None``: no change section).
    criteria
        The criteria checked.
    labels
        Community key to display label.
    labels_ar
        Community key to its name in Arabic script (may be empty).
    provenance
        One row per census figure with a ``status`` column (sourced, derived, imputed), or ``None``.
    sources_md
        Data sources and licences (Markdown text), shown verbatim.
    ensemble
        Ensemble context (``None`` unless an ensemble was given).
    ensemble_figures
        Rendered ensemble charts by key (``distribution``, ``sorted:<metric key>``).
    overview
        PNG of every plan's regions by authority side by side (empty without maps).
    councils
        The :class:`dayafter.councils.CouncilRules` the councils were simulated with, or ``None``.
    security
        Plan name to its :class:`dayafter.security.SecurityAssessment` (the allocation follows
        each plan's control layer), or ``None``.
    settlements
        :class:`dayafter.settle.Settlement` results to show (may be empty).
    manifest
        Versions, input hashes, parameters and seeds.
    palette
        The colours used throughout.
    census_comparison
        Per district, the territory's totals against the census they were built from (a case's
        ``census2024["comparison"]`` table), or ``None``.
    extras
        Extra sections (e.g. :class:`dayafter.report.article140.Article140Section`): objects with
        ``section_id``, ``title``, ``html(dossier)``, ``tables()`` and ``manifest()``.
    engine_outputs
        Plan name to the :class:`dayafter.criteria.EngineOutputs` its criteria read (empty when
        no criterion reads an engine).
    """

    title: str
    territory: Territory
    sections: tuple[PlanSection, ...]
    reference: Plan | None
    criteria: tuple[Criterion, ...]
    labels: Mapping[str, str]
    provenance: pd.DataFrame | None
    sources_md: str
    ensemble: EnsembleContext | None
    ensemble_figures: Mapping[str, bytes]
    councils: Any
    manifest: Mapping[str, Any]
    palette: Palette
    security: Any = None
    settlements: tuple[Any, ...] = ()
    overview: bytes = b""
    labels_ar: Mapping[str, str] = field(default_factory=dict)
    census_comparison: pd.DataFrame | None = None
    extras: tuple[Any, ...] = ()
    engine_outputs: Mapping[str, Any] = field(default_factory=dict)

    @property
    def plans(self) -> list[Plan]:
        """The plans, in order."""
        return [s.plan for s in self.sections]

    @property
    def evaluations(self) -> list[Evaluation]:
        """The evaluations, in plan order."""
        return [s.evaluation for s in self.sections]

    @property
    def census_names(self) -> list[str]:
        """Censuses the plans were evaluated on."""
        return list(self.sections[0].evaluation.censuses)

    def label(self, community: str) -> str:
        """Display label of a community key."""
        return self.labels.get(community, community)

    def comparison(self) -> pd.DataFrame:
        """Side-by-side table (one column per plan) from :func:`dayafter.comparison.comparison_table`."""
        from dayafter.comparison import comparison_table

        return comparison_table(self.evaluations, community_labels=dict(self.labels),
                                criteria=self.criteria, engines=self.engine_outputs)

    def ensemble_table(self) -> pd.DataFrame:
        """Per charted metric: the ensemble's median and 5-95% range, and each plan's value and
        percentile rank in the ensemble."""
        from dayafter.report.charts import chart_keys

        ens = self.ensemble
        if ens is None:
            return pd.DataFrame()
        keys = chart_keys(list(ens.scalars.columns), self.census_names, self.territory.communities)
        rows = []
        for key in keys:
            x = ens.scalars[key].to_numpy(dtype=float)
            fin = x[np.isfinite(x)]
            row: dict[str, Any] = {
                "metric": metric_title(key, self.labels),
                "key": key,
                "ensemble median": float(np.median(fin)) if fin.size else float("nan"),
                "ensemble 5%": float(np.percentile(fin, 5)) if fin.size else float("nan"),
                "ensemble 95%": float(np.percentile(fin, 95)) if fin.size else float("nan"),
            }
            for s in self.sections:
                v = s.evaluation.scalars().get(key, float("nan"))
                row[f"{s.plan.name}"] = float(v)
                row[f"{s.plan.name} percentile"] = ens.percentile(key, float(v))
            rows.append(row)
        return pd.DataFrame(rows)


def metric_title(key: str, labels: Mapping[str, str]) -> str:
    """Readable title of a scalar metric key such as ``baseline/stranded:yazidi``."""
    census, _, metric = key.rpartition("/")
    name, _, comm = metric.partition(":")
    pretty = {
        "cut_edges": "cut edges", "mean_polsby_popper": "mean Polsby-Popper",
        "theil_h": "Theil H (segregation)", "mean_fractionalization": "mean fractionalization",
        "max_abs_deviation": "max |population deviation|",
        "empowerment_plurality": "empowered (plurality)", "empowerment_majority": "empowered (majority)",
        "stranded": "stranded", "largest_share": "largest community share", "deviation": "deviation",
        "fractionalization": "fractionalization", "polsby_popper": "Polsby-Popper", "share": "share",
    }.get(name, name)
    if comm:
        pretty = f"{pretty}: {labels.get(comm, comm)}"
    return f"{pretty} ({census})" if census else pretty


def plan_hash(plan: Plan) -> str:
    """SHA-256 of a plan's assignment and region table (names, authorities, statuses)."""
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(plan.assignment, dtype="<i4").tobytes())
    for r in plan.regions:
        h.update("\x1f".join((r.name, r.authority, r.status)).encode() + b"\x1e")
    h.update(plan.territory_hash.encode())
    return h.hexdigest()


def provenance_summary(provenance: pd.DataFrame | None) -> pd.DataFrame:
    """Figures by status (sourced, derived, imputed) with their share, per census when the table
    has a ``census`` column and over all figures.

    When the table also has ``field`` and ``value`` columns, the rows with ``field == "total"``
    (one unit's total population) give ``people`` and ``people share``: how many residents are
    counted by a total of that status.
    """
    cols = ["census", "status", "figures", "share", "people", "people share"]
    if provenance is None or len(provenance) == 0 or "status" not in provenance.columns:
        return pd.DataFrame(columns=cols)
    prov = provenance
    has_people = {"field", "value"} <= set(prov.columns)
    parts = []
    groups = [("all", prov)]
    if "census" in prov.columns:
        groups += [(str(c), g) for c, g in prov.groupby("census", sort=False)]
    for name, g in groups:
        counts = g["status"].astype(str).value_counts()
        totals = None
        if has_people:
            tot = g[g["field"].astype(str) == "total"]
            vals = pd.to_numeric(tot["value"], errors="coerce").fillna(0.0)
            totals = vals.groupby(tot["status"].astype(str)).sum()
            all_people = float(vals.sum())
        for status, n in counts.items():
            row: dict[str, Any] = {"census": name, "status": status, "figures": int(n),
                                   "share": float(n) / float(len(g)),
                                   "people": float("nan"), "people share": float("nan")}
            if totals is not None and name != "all":
                people = float(totals.get(status, 0.0))
                row["people"] = people
                row["people share"] = people / all_people if all_people > 0 else float("nan")
            parts.append(row)
    return pd.DataFrame(parts, columns=cols)


def provenance_statuses(provenance: pd.DataFrame | None) -> pd.DataFrame:
    """Figures by status, separately for the unit totals (``size_status``) and the community
    shares (``composition_status``), per census, with the people they count and how wide their
    ranges are.

    Needs the columns ``census, field, value, low, high, size_status, composition_status``; returns
    an empty table otherwise. ``people`` adds the values of the figures (unit totals for ``size``,
    community figures for ``composition``); ``median range`` is the median of (high - low) / value
    over figures with a positive value.
    """
    cols = ["census", "part", "status", "figures", "share", "people", "people share", "median range"]
    need = {"census", "field", "value", "low", "high", "size_status", "composition_status"}
    if provenance is None or len(provenance) == 0 or not need <= set(provenance.columns):
        return pd.DataFrame(columns=cols)
    prov = provenance.copy()
    for c in ("value", "low", "high"):
        prov[c] = pd.to_numeric(prov[c], errors="coerce").fillna(0.0)
    rows: list[dict[str, Any]] = []
    for census, g in prov.groupby("census", sort=False):
        for part, sub, col in (("size", g[g["field"].astype(str) == "total"], "size_status"),
                               ("composition", g[g["field"].astype(str) != "total"], "composition_status")):
            people_all = float(sub["value"].sum())
            for status, s in sub.groupby(col, sort=False):
                pos = s[s["value"] > 0]
                width = ((pos["high"] - pos["low"]) / pos["value"]).median() if len(pos) else float("nan")
                rows.append({"census": str(census), "part": part, "status": str(status), "figures": len(s),
                             "share": len(s) / len(sub) if len(sub) else float("nan"),
                             "people": float(s["value"].sum()),
                             "people share": float(s["value"].sum()) / people_all if people_all > 0 else float("nan"),
                             "median range": float(width)})
    order = {"sourced": 0, "derived": 1, "imputed": 2}
    out = pd.DataFrame(rows, columns=cols)
    if len(out):
        out = out.sort_values(["census", "part", "status"], key=lambda c: c.map(order) if c.name == "status" else c,
                              kind="stable").reset_index(drop=True)
    return out


def census_comparison_table(comparison: pd.DataFrame | None) -> pd.DataFrame:
    """A census comparison per district (a case's ``census2024["comparison"]``) as a display table:
    district, name, census districts, census total, current total and range, match, baseline and
    growth."""
    cols = ["district", "name", "census districts", "census total", "current", "current low", "current high",
            "match", "baseline", "growth"]
    if comparison is None or len(comparison) == 0:
        return pd.DataFrame(columns=cols)
    rows = []
    for r in comparison.to_dict("records"):
        cd = "; ".join(x for x in (str(r.get("census_districts", "")),
                                   f"part: {r['census_districts_part']}" if r.get("census_districts_part") else "")
                       if x)
        rows.append({"district": str(r["district"]), "name": str(r.get("district_en", "")), "census districts": cd,
                     "census total": float(r["census_total"]), "current": float(r["case_current"]),
                     "current low": float(r["current_low"]), "current high": float(r["current_high"]),
                     "match": str(r["match"]), "baseline": float(r["case_baseline"]),
                     "growth": float(r["growth"]) if str(r.get("growth", "")) else float("nan")})
    return pd.DataFrame(rows, columns=cols)


def _jsonable(x: Any) -> Any:
    from dayafter._util import to_jsonable

    return to_jsonable(x)


def _versions() -> dict[str, str]:
    from importlib import metadata

    out = {}
    for dist in ("dayafter", *_DEPENDENCIES):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    return out


def build_dossier(
    territory: Territory,
    plans: Sequence[Plan],
    *,
    reference: Plan | None = None,
    criteria: Sequence[Criterion] = (),
    labels: Mapping[str, str] | None = None,
    labels_ar: Mapping[str, str] | None = None,
    provenance: pd.DataFrame | None = None,
    sources_md: str = "",
    census_comparison: pd.DataFrame | None = None,
    title: str = "",
    ensemble: EnsembleContext | None = None,
    councils: Any = None,
    security: Any = None,
    settlements: Sequence[Any] = (),
    compensation: Mapping[str, Mapping[str, Any]] | None = None,
    threshold: float = DEFAULT_THRESHOLD,
    censuses: Sequence[str] | None = None,
    maps: bool = True,
    inputs: Mapping[str, str] | None = None,
    parameters: Mapping[str, Any] | None = None,
    created: str | None = None,
    extras: Sequence[Any] = (),
    draws: int = 0,
    seed: int = 0,
    engine_data: Any = None,
    settle_rules: Sequence[str] | None = None,
    settle_census: str | None = None,
) -> Dossier:
    """Evaluate ``plans`` and assemble a dossier.

    Parameters
    ----------
    territory
        The territory (with geometry when ``maps`` is True).
    plans
        One or more plans of ``territory`` with distinct names.
    reference
        Plan to measure change from; the change panel of the maps and the change tables use it.
    criteria
        Criteria to check on every plan (pass/fail with the failing regions).
    labels, labels_ar
        Community key to display label, and to its name in Arabic script.
    provenance, sources_md
        Provenance of the census figures (a ``status`` column; with ``size_status`` and
        ``composition_status`` columns the report also counts both) and the sources text.
    census_comparison
        Per district, the territory's totals against the census they were built from (see
        :func:`census_comparison_table`).
    title
        Report title (default from the territory's name).
    ensemble
        Ensemble context: adds distributions with each plan's percentile and sorted-region boxplots.
    councils
        :class:`dayafter.councils.CouncilRules`: adds the council of every region (seats per
        community, reserved seats, disproportionality) from
        :func:`dayafter.councils.simulate_councils`.
    security
        A :class:`dayafter.security.SecurityAssessment` per plan (a mapping by plan name, from
        :func:`dayafter.security.allocate_forces` with that plan: the allocation follows each
        plan's control layer), or one assessment for every plan: adds requirement, allocation and
        gaps per force and per region (polity), and why each force is or is not used.
    settlements
        :class:`dayafter.settle.Settlement` results: adds the allocation of the disputed units and
        the transfers.
    compensation
        Plan name to ``{rule: Settlement}`` from :func:`dayafter.settle.plan_against_reference`:
        adds, per plan, what each party holds against the reference, the transfers in money and
        the explanation per party.
    threshold, censuses
        Stranded threshold and censuses (all by default), passed to :func:`dayafter.evaluate`.
    maps
        Draw maps (needs the territory's geometry).
    inputs
        Input file path to SHA-256, recorded in the manifest.
    parameters
        Extra parameters to record in the manifest.
    created
        Timestamp to print (ISO 8601); the current UTC time by default.
    extras
        Extra sections rendered after the plans (see :attr:`Dossier.extras`).
    draws, seed
        Census draws (0: none) and their seed: adds the uncertainty section first among the extras
        (ranges, robust/fragile verdicts, pass shares, sensitivity;
        :class:`dayafter.report.uncertainty.UncertaintySection`).
    engine_data, settle_rules, settle_census
        With ``draws``: a :class:`dayafter.outcomes.EngineData` whose engines (councils, security,
        the settlement against its reference under ``settle_rules``, on ``settle_census``) the
        uncertainty section runs on the same draws, adding seat, requirement, shortfall and
        transfer ranges.

    Returns
    -------
    Dossier

    Raises
    ------
    InputDataError
        No plans, duplicate plan names, a plan made for other data, or maps without geometry.
    """
    import dayafter as da

    plans = list(plans)
    if not plans:
        raise InputDataError("a report needs at least one plan", hint="name one or more plans")
    names = [p.name for p in plans]
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise InputDataError(f"plans in one report need distinct names, {dup} appear twice",
                             hint="rename the plans (Plan.renamed) or pass each only once")
    labels = dict(labels or {})
    reock = maps and territory.geometry is not None
    evs = [da.evaluate(territory, p, censuses=censuses, threshold=threshold, reference=reference,
                       reock=reock) for p in plans]
    palette = Palette([r.authority for p in [*plans, *([reference] if reference else [])]
                       for r in p.regions], territory.communities)
    ctx = None
    if maps:
        from dayafter.report.maps import MapContext

        ctx = MapContext(territory)
    sections = []
    engine_outs: dict[str, Any] = {}
    for p, ev in zip(plans, evs, strict=True):
        figs: dict[str, bytes] = {}
        if ctx is not None:
            from dayafter.report import maps as m

            figs["authority"] = m.authority_map(ctx, p, palette, reference=reference)
            figs["community"] = m.community_map(ctx, ev, palette, labels=labels)
            figs["stranded"] = m.stranded_map(ctx, ev)
        council_df = None
        council_notes: tuple[str, ...] = ()
        if councils is not None:
            from dayafter.councils import simulate_councils
            from dayafter.report.tables import councils_table

            sim = simulate_councils(territory, p, rules=councils, census=list(ev.censuses))
            council_df = councils_table(sim, labels=labels)
            council_notes = tuple(f"{c}: {n}" for c, notes in sim.notes.items() for n in notes)
        sec_df = sec_forces = assessment = None
        if security is not None:
            from dayafter.report.tables import security_forces_table, security_region_table

            assessment = security.get(p.name) if isinstance(security, Mapping) else security
            if assessment is not None:
                sec_df = security_region_table(assessment, p)
                sec_forces = security_forces_table(assessment)
        engines = None
        if engine_data is not None and criteria:
            from dayafter.outcomes import engine_outputs

            engines = engine_outputs(territory, p, criteria, engine_data, censuses=list(ev.censuses))
            if engines is not None:
                engine_outs[p.name] = engines
        sections.append(PlanSection(
            plan=p, evaluation=ev, criteria=tuple(check_criteria(ev, criteria, engines=engines)),
            is_reference=reference is not None and p == reference, figures=figs,
            councils=council_df, council_notes=council_notes, security=sec_df,
            security_forces=sec_forces, assessment=assessment,
            compensation=dict((compensation or {}).get(p.name, {}))))
    overview = b""
    if ctx is not None and len(plans) > 1:
        from dayafter.report.maps import overview_map

        overview = overview_map(ctx, plans, palette)
    if draws:
        from dayafter.report.uncertainty import uncertainty_section

        extras = [uncertainty_section(territory, plans, draws=draws, seed=seed, reference=reference,
                                      criteria=criteria, labels=labels, threshold=threshold,
                                      censuses=list(evs[0].censuses), engines=engine_data,
                                      engine_census=censuses[0] if censuses else None,
                                      settle_census=settle_census, settle_rules=settle_rules),
                  *extras]
    ens_figs: dict[str, bytes] = {}
    if ensemble is not None:
        ens_figs = _ensemble_figures(ensemble, evs, labels, list(evs[0].censuses),
                                     territory.communities)
    manifest = {
        "tool": "dayafter",
        "versions": _versions(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "created": created or _dt.datetime.now(_dt.UTC).replace(microsecond=0).isoformat(),
        "territory": {"name": territory.name, "content_hash": territory.content_hash,
                      "units": territory.n_units, "communities": list(territory.communities),
                      "censuses": list(territory.census_names)},
        "plans": [{"name": p.name, "regions": p.k, "sha256": plan_hash(p)} for p in plans],
        "reference": None if reference is None else {"name": reference.name,
                                                     "sha256": plan_hash(reference)},
        "inputs": dict(inputs or {}),
        "parameters": {
            "threshold": threshold,
            "censuses": list(evs[0].censuses),
            "criteria": [c.name for c in criteria],
            "maps": maps,
            "councils": None if councils is None else _jsonable(councils.to_dict()),
            "security": None if security is None else {
                s.plan.name: _jsonable(dict(s.assessment.meta)) for s in sections
                if s.assessment is not None},
            "settlements": [{"method": x.method, "parties": list(x.problem.parties),
                             "units": len(x.problem.unit_ids), "budget": x.problem.budget,
                             "derivation": _jsonable(dict(x.problem.meta))} for x in settlements],
            **dict(parameters or {}),
            **({"extras": {x.section_id: _jsonable(x.manifest()) for x in extras}} if extras else {}),
        },
        "ensemble": None if ensemble is None else {"source": ensemble.source,
                                                   "samples": ensemble.n_samples,
                                                   "run": dict(ensemble.meta)},
    }
    return Dossier(
        title=title or f"Settlement dossier: {territory.name or 'territory'}",
        territory=territory,
        sections=tuple(sections),
        reference=reference,
        criteria=tuple(criteria),
        labels=labels,
        provenance=provenance,
        sources_md=sources_md,
        ensemble=ensemble,
        ensemble_figures=ens_figs,
        councils=councils,
        manifest=manifest,
        palette=palette,
        security=None if security is None else {
            s.plan.name: s.assessment for s in sections if s.assessment is not None},
        settlements=tuple(settlements),
        overview=overview,
        labels_ar=dict(labels_ar or {}),
        census_comparison=census_comparison,
        extras=tuple(extras),
        engine_outputs=engine_outs,
    )


def _ensemble_figures(ens: EnsembleContext, evs: Sequence[Evaluation], labels: Mapping[str, str],
                      censuses: Sequence[str], communities: Sequence[str]) -> dict[str, bytes]:
    from dayafter.report.charts import (
        PLAN_COLOURS,
        chart_keys,
        distribution_chart,
        sorted_region_chart,
    )

    out: dict[str, bytes] = {}
    colours = {ev.plan.name: PLAN_COLOURS[i % len(PLAN_COLOURS)] for i, ev in enumerate(evs)}
    keys = chart_keys(list(ens.scalars.columns), censuses, communities)
    if keys:
        samples = {k: ens.scalars[k].to_numpy(dtype=float) for k in keys}
        plan_vals = {ev.plan.name: ev.scalars() for ev in evs}
        out["distribution"] = distribution_chart(samples, plan_vals, colours=colours,
                                                 titles={k: metric_title(k, labels) for k in keys})
    plan_sorted = [(ev.plan.name, plan_region_values(ev)) for ev in evs]
    wanted = ["polsby_popper", *[f"{c}/largest_share" for c in censuses]]
    if censuses:
        wanted += [f"{censuses[0]}/share:{g}" for g in communities]
    for key in wanted:
        if key not in ens.sorted_regions:
            continue
        S = ens.sorted_regions[key]
        marks = {name: vals[key] for name, vals in plan_sorted
                 if key in vals and vals[key].size == S.shape[1]}
        out[f"sorted:{key}"] = sorted_region_chart(S, marks, title=metric_title(key, labels),
                                                   ylabel="value", colours=colours)
    return out


def case_input_hashes(name: str) -> dict[str, str]:
    """SHA-256 of every data file shipped with a built-in case (``case:<name>/<path>`` keys)."""
    from importlib import resources

    from dayafter.manifest import sha256_file

    try:
        root = resources.files(f"dayafter.cases.{name.replace('-', '_')}")
    except ModuleNotFoundError:
        return {}
    out: dict[str, str] = {}

    def walk(node: Any, prefix: str) -> None:
        for child in sorted(node.iterdir(), key=lambda c: c.name):
            if child.name.startswith((".", "__")) or child.name.endswith((".py", ".pyc")):
                continue
            if child.is_dir():
                walk(child, f"{prefix}{child.name}/")
            else:
                with resources.as_file(child) as path:
                    out[f"case:{name}/{prefix}{child.name}"] = sha256_file(path)

    walk(root, "")
    return out


def case_context(case: Any) -> dict[str, Any]:
    """The :func:`build_dossier` arguments a built-in case supplies: reference plan, criteria,
    community labels (Latin and Arabic script), provenance, sources, title and input hashes."""
    t = case.territory
    return {
        "reference": case.reference_plan,
        "criteria": case.criteria,
        "labels": {k: case.community_label(k) for k in t.communities},
        "labels_ar": {k: v["label_ar"] for k, v in case.communities.items() if v.get("label_ar")},
        "provenance": case.provenance,
        "sources_md": case.sources_md,
        "census_comparison": getattr(case, "census2024", {}).get("comparison"),
        "title": f"Settlement dossier: {case.title}",
        "inputs": case_input_hashes(case.name),
    }


def project_context(project: Any) -> dict[str, Any]:
    """The :func:`build_dossier` arguments a :class:`~dayafter.project.Project` supplies: a built-in
    case's are :func:`case_context`'s; a project file gives its plans' reference, labels and the
    file's own hash."""
    if project.case:
        from dayafter import cases

        return case_context(cases.load(project.case))
    from dayafter.manifest import sha256_file

    t = project.territory
    inputs = {str(project.path): sha256_file(project.path)} if project.path is not None else {}
    return {
        "reference": project.reference_plan,
        "criteria": list(project.criteria),
        "labels": {k: project.community_label(k) for k in t.communities},
        "labels_ar": {k: v["label_ar"] for k, v in project.communities.items() if v.get("label_ar")},
        "provenance": project.provenance,
        "sources_md": project.sources_md,
        "inputs": inputs,
    }


def dossier_from_case(
    case: Any,
    plan_names: Sequence[str] | None = None,
    *,
    plans: Sequence[Plan] = (),
    **kwargs: Any,
) -> Dossier:
    """A dossier for a built-in case (see :func:`dayafter.cases.load`).

    ``plan_names`` picks scenarios (all by default); ``plans`` adds other plans of the case's
    territory. The case's reference plan, criteria, community labels, provenance and sources are
    used unless given in ``kwargs``.
    """
    chosen = [case.plans[n] for n in (plan_names if plan_names is not None else list(case.plans))
              if n in case.plans]
    missing = [n for n in (plan_names or []) if n not in case.plans]
    if missing:
        raise InputDataError(f"case {case.name!r} has no scenarios {missing}",
                             hint=f"use some of {sorted(case.plans)}")
    for key, value in case_context(case).items():
        kwargs.setdefault(key, value)
    return build_dossier(case.territory, [*chosen, *plans], **kwargs)
