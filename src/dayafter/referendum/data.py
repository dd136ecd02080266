"""Read referendum assumptions from a data folder (the built-in case ships one in ``referendum/``).

A folder holds:

- ``model.json``: ``adult_share`` (``{"value", "low", "high", "basis", "sources"}``),
  ``options`` (optional), ``name``, ``notes``;
- ``voting.csv``: ``community, option, share, low, high, basis, source_ids`` (one row per
  community and option; each community's shares sum to 1);
- ``turnout.csv``: ``community, turnout, low, high, basis, source_ids``;
- ``scope.csv`` (optional): the default scope, ``level, area, name, basis, source_ids`` with
  ``level`` an admin level or ``unit``;
- ``normalisation.csv`` (optional): ``level, area, community, change, low, high, label, basis,
  source_ids`` (people added, or removed when negative, under Article 140 normalisation);
- ``SOURCES.md``: a Markdown table whose rows start with a source id.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from dayafter._csvtable import CsvRow, read_csv_table
from dayafter._inputs import MAX_SPEC_BYTES, read_input_text, read_json_file
from dayafter._ranges import Estimate
from dayafter.errors import InputDataError
from dayafter.referendum.model import OPTIONS, Normalisation, NormalisationRow, VotingModel

if TYPE_CHECKING:
    from dayafter.territory import Territory

__all__ = ["case_referendum_folder", "load_normalisation", "load_scope", "load_voting_model"]

_ID = re.compile(r"^[A-Z]{1,3}[0-9]{1,3}$")


def _sources(path: Path) -> dict[str, str]:
    if not path.is_file():
        return {}
    out = {}
    for line in read_input_text(path, what="sources file", max_bytes=MAX_SPEC_BYTES).splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")] if line.startswith("|") else []
        if cells and _ID.match(cells[0]):
            out[cells[0]] = " | ".join(c for c in cells[1:] if c)
    return out


def _est(r: CsvRow, col: str, lo_col: str = "low", hi_col: str = "high", *,
         low: float | None = None, high: float | None = None) -> Estimate:
    v = r.number(col, low=low, high=high)
    lo = r.number(lo_col, default=v, low=low, high=high)
    hi = r.number(hi_col, default=v, low=low, high=high)
    if not lo <= v <= hi:
        raise InputDataError(f"row {r.row}: {lo_col} <= {col} <= {hi_col} fails "
                             f"({lo:g}, {v:g}, {hi:g})", hint="correct the range", source=r.source)
    return Estimate(v, lo, hi, r.cells.get("basis", "").strip(), r.ids("source_ids"))


def load_voting_model(folder: str | Path) -> VotingModel:
    """Read a :class:`~dayafter.referendum.model.VotingModel` (see the module notes).

    Raises
    ------
    InputDataError
        A missing file or column, a bad cell (file, row and fix), a community whose shares do
        not sum to 1 or that lacks an option or a turnout.
    """
    root = Path(folder)
    mpath = root / "model.json"
    spec: dict[str, Any] = {}
    if mpath.exists():
        spec = read_json_file(mpath, what="referendum model file")
        if not isinstance(spec, dict):
            raise InputDataError("the referendum model file must hold a JSON object",
                                 hint='write {"options": [...]} or remove the file', source=str(mpath))
    options = tuple(str(o) for o in spec.get("options", OPTIONS))
    vt = read_csv_table(root / "voting.csv", ["community", "option", "share"], what="vote shares table")
    shares: dict[str, dict[str, Estimate]] = {}
    order: list[str] = []
    for r in vt:
        c = r.text("community")
        o = r.choice("option", options)
        if c not in shares:
            shares[c] = {}
            order.append(c)
        if o in shares[c]:
            raise InputDataError(f"row {r.row}: {c}/{o} appears twice",
                                 hint="one row per community and option", source=r.source)
        shares[c][o] = _est(r, "share", low=0.0, high=1.0)
    for c, row in shares.items():
        missing = [o for o in options if o not in row]
        if missing:
            raise InputDataError(f"community {c!r} has no vote share for options {missing}",
                                 hint="add a row per option (0 where nobody votes for it)",
                                 source=vt.source)
        total = sum(e.value for e in row.values())
        if abs(total - 1.0) > 1e-6:
            raise InputDataError(f"community {c!r}: the vote shares sum to {total:.4g}, not 1",
                                 hint="make each community's shares add up to 1", source=vt.source)
    tt = read_csv_table(root / "turnout.csv", ["community", "turnout"], what="turnout table")
    turnout: dict[str, Estimate] = {}
    for r in tt:
        c = r.text("community")
        if c not in shares:
            raise InputDataError(f"row {r.row}: community {c!r} has no vote shares",
                                 hint=f"use one of {order}", source=r.source)
        if c in turnout:
            raise InputDataError(f"row {r.row}: community {c!r} appears twice",
                                 hint="one row per community", source=r.source)
        turnout[c] = _est(r, "turnout", low=0.0, high=1.0)
    missing = [c for c in order if c not in turnout]
    if missing:
        raise InputDataError(f"communities {missing} have no turnout", hint="add a row for each",
                             source=tt.source)
    a: Any = spec.get("adult_share", 1.0)
    if isinstance(a, dict):
        try:
            v = float(a["value"])
            adult = Estimate(v, float(a.get("low", v)), float(a.get("high", v)),
                             str(a.get("basis", "")), tuple(str(s) for s in a.get("sources", ())))
        except (KeyError, TypeError, ValueError):
            raise InputDataError("adult_share must be {'value', 'low', 'high'} numbers",
                                 source=str(mpath),
                                 hint="write e.g. {\"value\": 0.55, \"low\": 0.5, \"high\": 0.6}") from None
    else:
        adult = Estimate.exact(float(a))
    return VotingModel(
        communities=tuple(order), options=options,
        shares=tuple(tuple(shares[c][o] for o in options) for c in order),
        turnout=tuple(turnout[c] for c in order), adult_share=adult,
        sources=_sources(root / "SOURCES.md"), name=str(spec.get("name", root.name)),
        notes=str(spec.get("notes", "")))


def load_normalisation(path: str | Path) -> Normalisation:
    """Read Article 140 normalisation adjustments (see the module notes)."""
    p = Path(path)
    t = read_csv_table(p, ["level", "area", "community", "change"], what="normalisation table",
                       allow_empty=True)
    rows = []
    for r in t:
        rows.append(NormalisationRow(level=r.text("level"), area=r.text("area"),
                                     community=r.text("community"),
                                     change=_est(r, "change"), label=r.cells.get("label", "").strip()))
    return Normalisation(tuple(rows), _sources(p.parent / "SOURCES.md"),
                         notes=f"{len(rows)} adjustments from {p.name}")


def load_scope(path: str | Path, territory: Territory) -> NDArray[np.bool_]:
    """The units named by a scope table (admin codes at any level, or unit ids)."""
    t = read_csv_table(path, ["level", "area"], what="scope table")
    mask = np.zeros(territory.n_units, dtype=bool)
    for r in t:
        level, area = r.text("level"), r.text("area")
        if level == "unit":
            mask[territory.index([area], source=f"{t.source} row {r.row}")] = True
            continue
        if level not in territory.admin:
            raise InputDataError(f"row {r.row}: unknown level {level!r}",
                                 hint=f"use unit or one of {list(territory.admin)}", source=t.source)
        hit = territory.admin[level] == area
        if not hit.any():
            raise InputDataError(f"row {r.row}: no unit has {level} {area!r}",
                                 hint="check the admin code", source=t.source)
        mask |= hit
    return mask


def case_referendum_folder(case: str = "northern-iraq") -> Path:
    """The ``referendum/`` data folder of a built-in case."""
    from importlib import resources

    name = case.replace("-", "_")
    try:
        pkg = resources.files(f"dayafter.cases.{name}")
    except ModuleNotFoundError:
        raise InputDataError(f"unknown case {case!r}", hint="use northern-iraq") from None
    ref = pkg.joinpath("referendum")
    if not ref.is_dir():
        raise InputDataError(f"case {case!r} ships no referendum data",
                             hint="pass --voting DIR with voting.csv and turnout.csv")
    return Path(str(ref))
