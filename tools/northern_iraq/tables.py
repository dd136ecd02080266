"""Readers of the hand-kept data tables of the northern-Iraq build (``tools/northern_iraq/data``).

Each reader checks its table and raises :class:`TableError` with one line naming the file, the row
and the fix.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"

COMMUNITIES = (
    "sunni_arab",
    "shia_arab",
    "kurd",
    "yazidi",
    "christian",
    "turkmen",
    "shabak",
    "kakai",
    "other",
)
STATUSES = ("sourced", "derived", "imputed")
CONFIDENCES = ("high", "medium", "low")


class TableError(ValueError):
    """A data table of the build is malformed (the message names the file, the row and the fix)."""


def read_rows(path: Path, columns: list[str]) -> list[dict[str, str]]:
    """Rows of a UTF-8 CSV whose header must be exactly ``columns``."""
    with open(path, newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames != columns:
            raise TableError(f"{path.name}: header {reader.fieldnames} should be {columns}")
        rows = list(reader)
    for i, r in enumerate(rows, start=2):
        if None in r or any(v is None for v in r.values()):
            raise TableError(f"{path.name} line {i}: wrong number of cells; quote cells that hold commas")
    return rows


def _num(path: Path, line: int, col: str, text: str, *, required: bool = False) -> float | None:
    if text == "":
        if required:
            raise TableError(f"{path.name} line {line}: column {col!r} is empty; give a number")
        return None
    try:
        return float(text)
    except ValueError:
        raise TableError(f"{path.name} line {line}: {col}={text!r} is not a number") from None


# ---------------------------------------------------------------------------------------------
# Crosswalk
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CrosswalkRow:
    nahiya: str
    units: tuple[str, ...]
    method: str  # same, merge, split, district
    split: str  # "", "area" or "disc:lon:lat"
    confidence: str
    reasoning: str

    @property
    def certain(self) -> bool:
        return len(self.units) == 1


METHODS = ("same", "merge", "split", "district")


def read_crosswalk(path: Path | None = None) -> list[CrosswalkRow]:
    path = path or DATA / "crosswalk_census2024.csv"
    cols = ["nahiya_code", "unit_ids", "method", "split", "confidence", "reasoning"]
    out = []
    seen: set[str] = set()
    for i, r in enumerate(read_rows(path, cols), start=2):
        units = tuple(u for u in r["unit_ids"].split(";") if u)
        where = f"{path.name} line {i} (nahiya {r['nahiya_code']})"
        if r["nahiya_code"] in seen:
            raise TableError(f"{where}: nahiya listed twice; keep one row per nahiya")
        seen.add(r["nahiya_code"])
        if r["method"] not in METHODS:
            raise TableError(f"{where}: method {r['method']!r}; use one of {METHODS}")
        if not units:
            raise TableError(f"{where}: no unit id; give at least one COD-AB P-code")
        if len(units) == 1 and (r["split"] or r["method"] in ("split", "district")):
            raise TableError(f"{where}: one unit needs method same or merge and no split rule")
        if len(units) > 1:
            kind = r["split"].split(":")[0]
            if r["method"] not in ("split", "district") or kind not in ("area", "disc"):
                raise TableError(f"{where}: several units need method split/district and split area or disc:lon:lat")
            if kind == "disc" and len(r["split"].split(":")) != 3:
                raise TableError(f"{where}: write the disc rule as disc:<lon>:<lat>")
        if r["confidence"] not in CONFIDENCES:
            raise TableError(f"{where}: confidence {r['confidence']!r}; use high, medium or low")
        if not r["reasoning"].strip():
            raise TableError(f"{where}: give the reasoning of the match")
        out.append(CrosswalkRow(r["nahiya_code"], units, r["method"], r["split"], r["confidence"], r["reasoning"]))
    return out


# ---------------------------------------------------------------------------------------------
# Figures
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Figure:
    id: str
    kind: str
    unit: str
    community: str
    census: str
    value: float | None
    year: float | None
    low: float | None
    high: float | None
    source_ids: tuple[str, ...]
    rule: str
    flags: tuple[str, ...]
    note: str

    def flag(self, name: str) -> str | None:
        """Value of a flag ``name`` or ``name:value`` (``""`` for a bare flag, ``None`` if absent)."""
        for f in self.flags:
            key, _, val = f.partition(":")
            if key == name:
                return val
        return None


FIGURE_KINDS = (
    "growth",
    "gov_total",
    "alt",
    "district_total",
    "unit_total",
    "town_floor",
    "alt_high",
    "alt_low",
    "constant",
    "emigration",
)


def read_figures(path: Path | None = None) -> dict[str, Figure]:
    path = path or DATA / "figures.csv"
    cols = ["id", "kind", "unit", "community", "census", "value", "year", "low", "high",
            "source_ids", "rule", "flags", "note"]
    out: dict[str, Figure] = {}
    for i, r in enumerate(read_rows(path, cols), start=2):
        where = f"{path.name} line {i} ({r['id']})"
        if r["id"] in out:
            raise TableError(f"{where}: id used twice")
        if r["kind"] not in FIGURE_KINDS:
            raise TableError(f"{where}: kind {r['kind']!r}; use one of {FIGURE_KINDS}")
        value = _num(path, i, "value", r["value"], required=not r["flags"].startswith("ratio"))
        low = _num(path, i, "low", r["low"])
        high = _num(path, i, "high", r["high"])
        if value is not None and ((low is not None and low > value) or (high is not None and high < value)):
            raise TableError(f"{where}: low <= value <= high does not hold")
        if r["community"] and r["community"] != "total" and r["community"] not in COMMUNITIES:
            raise TableError(f"{where}: community {r['community']!r} unknown")
        out[r["id"]] = Figure(
            r["id"], r["kind"], r["unit"], r["community"], r["census"], value,
            _num(path, i, "year", r["year"]), low, high,
            tuple(s for s in r["source_ids"].split(";") if s), r["rule"],
            tuple(f for f in r["flags"].split() if f), r["note"],
        )
    return out


# ---------------------------------------------------------------------------------------------
# Composition profiles
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Profile:
    key: str
    kind: str  # unit, district, governorate, town
    shares: str
    rule: str
    source_ids: tuple[str, ...]
    confidence: str
    status: str
    ranges: str
    town_figure: str
    town_nahiya: str
    note: str


def read_profiles(path: Path | None = None) -> dict[tuple[str, str], Profile]:
    """Profiles keyed by (kind, key): kind ``unit``/``district``/``governorate`` or ``town``."""
    path = path or DATA / "profiles.csv"
    cols = ["key", "kind", "shares", "rule", "source_ids", "confidence", "status", "ranges",
            "town_figure", "town_nahiya", "note"]
    out: dict[tuple[str, str], Profile] = {}
    for i, r in enumerate(read_rows(path, cols), start=2):
        where = f"{path.name} line {i} ({r['key']})"
        if r["kind"] not in ("unit", "district", "governorate", "town"):
            raise TableError(f"{where}: kind {r['kind']!r}; use unit, district, governorate or town")
        if r["status"] not in STATUSES or r["confidence"] not in CONFIDENCES:
            raise TableError(f"{where}: status or confidence not one of {STATUSES} / {CONFIDENCES}")
        if r["kind"] == "town" and not (r["town_figure"] and r["town_nahiya"]):
            raise TableError(f"{where}: a town profile needs town_figure and town_nahiya")
        key = ("town" if r["kind"] == "town" else "place", r["key"])
        if key in out:
            raise TableError(f"{where}: profile defined twice")
        out[key] = Profile(
            r["key"], r["kind"], r["shares"], r["rule"],
            tuple(s for s in r["source_ids"].split(";") if s), r["confidence"], r["status"],
            r["ranges"], r["town_figure"], r["town_nahiya"], r["note"],
        )
    return out


def read_arab_split(path: Path | None = None) -> dict[str, float]:
    path = path or DATA / "arab_split.csv"
    out = {}
    for i, r in enumerate(read_rows(path, ["key", "sunni_share", "source_ids", "note"]), start=2):
        v = _num(path, i, "sunni_share", r["sunni_share"], required=True)
        assert v is not None
        if not 0 <= v <= 1:
            raise TableError(f"{path.name} line {i}: sunni_share must lie in [0, 1]")
        out[r["key"]] = v
    return out


# ---------------------------------------------------------------------------------------------
# Current-census rules
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class CurrentRule:
    id: str
    kind: str  # weight, delta, count, share, share_range
    units: tuple[str, ...]  # P-codes or district:<ADM2 P-code>
    communities: tuple[str, ...]
    value: float | None
    low: float | None
    high: float | None
    status: str
    source_ids: tuple[str, ...]
    rule: str
    note: str


def read_current_rules(path: Path | None = None) -> list[CurrentRule]:
    path = path or DATA / "current_rules.csv"
    cols = ["id", "kind", "units", "community", "value", "low", "high", "status", "source_ids", "rule",
            "note"]
    out = []
    for i, r in enumerate(read_rows(path, cols), start=2):
        where = f"{path.name} line {i} ({r['id']})"
        if r["kind"] not in ("weight", "delta", "count", "share", "share_range"):
            raise TableError(f"{where}: kind {r['kind']!r}; use weight, delta, count, share or share_range")
        comms = tuple(r["community"].split())
        for c in comms:
            if c not in COMMUNITIES:
                raise TableError(f"{where}: community {c!r} unknown")
        value = _num(path, i, "value", r["value"], required=r["kind"] != "share_range")
        if r["status"] not in STATUSES:
            raise TableError(f"{where}: status {r['status']!r}; use one of {STATUSES}")
        out.append(CurrentRule(
            r["id"], r["kind"], tuple(r["units"].split()), comms, value,
            _num(path, i, "low", r["low"]), _num(path, i, "high", r["high"]), r["status"],
            tuple(s for s in r["source_ids"].split(";") if s), r["rule"], r["note"],
        ))
    return out


# ---------------------------------------------------------------------------------------------
# Text tables
# ---------------------------------------------------------------------------------------------
def read_rules(path: Path | None = None) -> dict[str, tuple[str, str, str]]:
    """Rule id -> (group, text, rationale)."""
    path = path or DATA / "rules.csv"
    return {r["id"]: (r["group"], r["text"], r["rationale"])
            for r in read_rows(path, ["id", "group", "text", "rationale"])}


def read_sources(path_shared: Path | None = None, path_new: Path | None = None
                 ) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """Descriptions of the shared sources (S.., X..) and full records of the new ones (N..)."""
    path_shared = path_shared or DATA / "sources_shared.csv"
    path_new = path_new or DATA / "sources_new.csv"
    shared = {r["id"]: r["description"] for r in read_rows(path_shared, ["id", "description"])}
    new = {r["id"]: r for r in read_rows(
        path_new, ["id", "citation", "publisher", "year", "url", "licence", "figures"])}
    for sid, r in new.items():
        if not r["licence"].strip():
            raise TableError(f"{path_new.name}: source {sid} has no licence; record its licence status")
    return shared, new


def read_conflicts(path: Path | None = None) -> list[tuple[str, str]]:
    path = path or DATA / "conflicts.csv"
    return [(r["title"], r["text"]) for r in read_rows(path, ["title", "text"])]


def read_communities(path: Path | None = None) -> list[dict[str, str]]:
    path = path or DATA / "communities.csv"
    rows = read_rows(path, ["key", "label_en", "label_ar", "description"])
    if tuple(r["key"] for r in rows) != COMMUNITIES:
        raise TableError(f"{path.name}: keys must be {COMMUNITIES} in this order")
    return rows
