"""Read a return model from its data folder (the built-in case ships one in ``returns/``).

A model folder holds:

- ``model.json``: ``census_year``, ``insecure_factor``, ``outside_factor`` (each
  ``{"value", "low", "high", "basis", "sources"}``), ``name`` and ``notes``;
- ``parameters.csv``: one row per community: ``community, ceiling, ceiling_low, ceiling_high,
  ceiling_basis, ceiling_sources, calibration, returns_start, returns_start_low,
  returns_start_high, returns_start_basis, returns_start_sources``;
- ``calibration.csv``: the observations the hazards are calibrated on: ``obs_id, community,
  place, date, share, share_low, share_high, years, years_low, years_high, derivation,
  figure_ids, source_ids``;
- ``control_factors.csv`` (optional): ``control, community, factor, low, high, basis,
  source_ids``;
- ``figures.csv`` (optional): every published figure used, with ``figure_id, source_id``;
- ``SOURCES.md``: a Markdown table whose rows start with a source id.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from dayafter._csvtable import CsvRow, read_csv_table
from dayafter._inputs import MAX_SPEC_BYTES, read_input_text, read_json_file
from dayafter.errors import InputDataError
from dayafter.returns.model import Estimate, Observation, ReturnModel

__all__ = ["case_return_model", "load_return_model", "read_sources_md"]

_ID = re.compile(r"^[A-Z]{1,3}[0-9]{1,3}$")


def read_sources_md(path: str | Path) -> dict[str, str]:
    """Source id to citation from the table rows of a ``SOURCES.md`` (``| id | text | ... |``)."""
    p = Path(path)
    if not p.is_file():
        return {}
    out: dict[str, str] = {}
    for line in read_input_text(p, what="sources file", max_bytes=MAX_SPEC_BYTES).splitlines():
        if not line.startswith("|"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells and _ID.match(cells[0]):
            out[cells[0]] = " | ".join(c for c in cells[1:] if c)
    return out


def _estimate(row: CsvRow, col: str, *, low: float | None = None, high: float | None = None,
              basis_col: str | None = None, sources_col: str | None = None) -> Estimate:
    v = row.number(col, low=low, high=high)
    lo = row.number(f"{col}_low", default=v, low=low, high=high)
    hi = row.number(f"{col}_high", default=v, low=low, high=high)
    if not lo <= v <= hi:
        raise InputDataError(f"row {row.row}: {col}_low <= {col} <= {col}_high fails "
                             f"({lo:g}, {v:g}, {hi:g})", hint="correct the range",
                             source=row.source)
    basis = row.cells.get(basis_col or f"{col}_basis", "").strip()
    sources = row.ids(sources_col or f"{col}_sources")
    return Estimate(v, lo, hi, basis, sources)


def _json_estimate(d: Any, what: str, source: str) -> Estimate:
    if isinstance(d, int | float):
        return Estimate.exact(float(d))
    if not isinstance(d, dict) or "value" not in d:
        raise InputDataError(f"{what} must be a number or {{'value', 'low', 'high', 'basis', "
                             f"'sources'}}", source=source,
                             hint="write e.g. {\"value\": 0.5, \"low\": 0.3, \"high\": 0.8}")
    try:
        v = float(d["value"])
        lo = float(d.get("low", v))
        hi = float(d.get("high", v))
    except (TypeError, ValueError):
        raise InputDataError(f"{what}: value, low and high must be numbers", source=source,
                             hint="write e.g. {\"value\": 0.5, \"low\": 0.3, \"high\": 0.8}") from None
    if not lo <= v <= hi:
        raise InputDataError(f"{what}: low <= value <= high fails ({lo:g}, {v:g}, {hi:g})",
                             hint="correct the range", source=source)
    return Estimate(v, lo, hi, str(d.get("basis", "")), tuple(str(s) for s in d.get("sources", ())))


def load_return_model(folder: str | Path) -> ReturnModel:
    """Read a :class:`~dayafter.returns.model.ReturnModel` from a data folder (see module notes).

    Raises
    ------
    InputDataError
        A missing file, a bad cell (the message names file, row and fix), an unknown
        observation id, or figures inconsistent with the model's rules.
    """
    root = Path(folder)
    if not root.is_dir():
        raise InputDataError(f"no return model folder at {root}",
                             hint="give a folder with model.json, parameters.csv and calibration.csv")
    mpath = root / "model.json"
    if not mpath.exists():
        raise InputDataError("the return model folder has no model.json",
                             hint="add model.json with census_year", source=str(root))
    spec = read_json_file(mpath, what="return model file")
    if not isinstance(spec, dict) or "census_year" not in spec:
        raise InputDataError("model.json needs census_year (the current census's year)",
                             hint='write {"census_year": 2024.9, ...}', source=str(mpath))
    census_year = _json_estimate(spec["census_year"], "census_year", str(mpath)).value

    cal = read_csv_table(root / "calibration.csv",
                         ["obs_id", "community", "place", "share", "years"],
                         what="calibration table")
    observations: dict[str, Observation] = {}
    for r in cal:
        oid = r.text("obs_id")
        if oid in observations:
            raise InputDataError(f"row {r.row}: observation {oid!r} appears twice",
                                 hint="give every observation its own obs_id", source=r.source)
        observations[oid] = Observation(
            obs_id=oid, community=r.text("community"), place=r.text("place"),
            share=_estimate(r, "share", low=0.0, high=1.0, basis_col="derivation",
                            sources_col="source_ids"),
            years=_estimate(r, "years", low=0.0, basis_col="derivation", sources_col="source_ids"),
            date=r.cells.get("date", "").strip(), derivation=r.cells.get("derivation", "").strip(),
            sources=r.ids("source_ids"))

    par = read_csv_table(root / "parameters.csv",
                         ["community", "ceiling", "calibration", "returns_start"],
                         what="return parameters table")
    comms, ceilings, calib, starts = [], [], [], []
    for r in par:
        c = r.text("community")
        if c in comms:
            raise InputDataError(f"row {r.row}: community {c!r} appears twice",
                                 hint="one row per community", source=r.source)
        oid = r.text("calibration")
        if oid not in observations:
            raise InputDataError(f"row {r.row}: calibration {oid!r} is not an obs_id of "
                                 "calibration.csv", hint=f"use one of {sorted(observations)}",
                                 source=r.source)
        obs = observations[oid]
        if obs.community not in (c, "*"):
            raise InputDataError(f"row {r.row}: community {c!r} is calibrated on {oid}, which "
                                 f"describes {obs.community!r}",
                                 hint="use an observation of this community or of all ('*')",
                                 source=r.source)
        ce = _estimate(r, "ceiling", low=0.0, high=1.0)
        if obs.share.high >= ce.low:
            raise InputDataError(
                f"row {r.row}: the ceiling of {c!r} (low {ce.low:g}) must exceed the observed "
                f"returned share of {oid} (up to {obs.share.high:g})",
                hint="raise ceiling_low or check the observation", source=r.source)
        comms.append(c)
        ceilings.append(ce)
        calib.append(obs)
        starts.append(_estimate(r, "returns_start", low=1900.0, high=2200.0))

    factors: dict[str, dict[str, Estimate]] = {}
    cf_path = root / "control_factors.csv"
    if cf_path.is_file():
        cft = read_csv_table(cf_path, ["control", "community", "factor"],
                             what="control factors table", allow_empty=True)
        for r in cft:
            ctrl = r.text("control").lower()
            comm = r.text("community")
            if comm not in comms:
                raise InputDataError(f"row {r.row}: community {comm!r} has no parameters row",
                                     hint=f"use one of {comms}", source=r.source)
            if comm in factors.get(ctrl, {}):
                raise InputDataError(f"row {r.row}: {ctrl}/{comm} appears twice",
                                     hint="one row per control and community", source=r.source)
            v = r.number("factor", low=0.0)
            lo = r.number("low", default=v, low=0.0)
            hi = r.number("high", default=v, low=0.0)
            if not lo <= v <= hi:
                raise InputDataError(f"row {r.row}: low <= factor <= high fails "
                                     f"({lo:g}, {v:g}, {hi:g})", hint="correct the range",
                                     source=r.source)
            factors.setdefault(ctrl, {})[comm] = Estimate(v, lo, hi, r.cells.get("basis", "").strip(),
                                                          r.ids("source_ids"))

    return ReturnModel(
        communities=tuple(comms), ceiling=tuple(ceilings), calibration=tuple(calib),
        returns_start=tuple(starts), census_year=float(census_year), control_factors=factors,
        insecure_factor=_json_estimate(spec.get("insecure_factor", 1.0), "insecure_factor",
                                       str(mpath)),
        outside_factor=_json_estimate(spec.get("outside_factor", 1.0), "outside_factor",
                                      str(mpath)),
        observations=tuple(observations.values()),
        sources=read_sources_md(root / "SOURCES.md"),
        name=str(spec.get("name", root.name)), notes=str(spec.get("notes", "")))


def case_return_model(case: str = "northern-iraq") -> ReturnModel:
    """The return model shipped with a built-in case (its ``returns/`` folder)."""
    from importlib import resources

    name = case.replace("-", "_")
    try:
        pkg = resources.files(f"dayafter.cases.{name}")
    except ModuleNotFoundError:
        raise InputDataError(f"unknown case {case!r}", hint="use northern-iraq") from None
    ref = pkg.joinpath("returns")
    if not ref.is_dir():
        raise InputDataError(f"case {case!r} ships no return model",
                             hint="pass a model folder (--model DIR)")
    with resources.as_file(ref) as path:
        return load_return_model(path)
