"""Turn published aggregate claim counts into claims-table rows.

Claims commissions publish counts by governorate or district, rarely by claim. An aggregates
table gives each published count with the splits that turn it into claims rows:

``agg_id, level, area, area_weights, count, count_basis, communities, occupants,
property_types, evidence_tiers, cause, year, status, value_usd, area_dunam, occupied_share,
illustrative, basis, source_ids``

where ``communities`` (``kurd:0.75;turkmen:0.15;...``, ``*:1.0`` for all), ``property_types``
and ``evidence_tiers`` (``1:0.5;2:0.5``) are shares summing to 1, ``area_weights``
(``CODE:weight;...``, optional) splits the count over the listed areas, and ``occupants`` names
the occupants' community for each claimant community (``kurd:shia_arab``; ``*``: the largest
other community of the unit).

:func:`expand_aggregates` splits every count over areas x communities x property types x
evidence tiers by the largest-remainder rule (:func:`largest_remainder`), so the rows' counts are
whole numbers that add up exactly to the published count.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from dayafter._csvtable import CsvRow, read_csv_table
from dayafter.errors import InputDataError

__all__ = ["AGGREGATE_COLUMNS", "CLAIMS_COLUMNS", "expand_aggregates", "largest_remainder",
           "read_aggregates"]

AGGREGATE_COLUMNS = ("agg_id", "level", "area", "area_weights", "count", "count_basis",
                     "communities", "occupants", "property_types", "evidence_tiers", "cause",
                     "year", "status", "value_usd", "area_dunam", "occupied_share",
                     "illustrative", "basis", "source_ids")
CLAIMS_COLUMNS = ("claim_id", "level", "area", "community", "property_type", "count",
                  "value_usd", "area_dunam", "year", "cause", "evidence_tier", "status",
                  "occupied_share", "occupant_households", "occupant_community",
                  "occupant_good_faith", "illustrative", "basis", "source_ids")


def largest_remainder(total: int, weights: Sequence[float]) -> list[int]:
    """Split a whole ``total`` in proportion to ``weights`` into whole parts summing to it.

    Each part gets the integer part of its quota; the units left go to the largest remainders
    (ties to the earlier weight).

    Examples
    --------
    >>> largest_remainder(10, [1, 1, 1])
    [4, 3, 3]
    >>> largest_remainder(63500, [102939, 32599, 8152, 12482, 18534, 1550])
    [37086, 11745, 2937, 4497, 6677, 558]
    """
    w = np.asarray(weights, dtype=np.float64)
    if total < 0 or w.size == 0 or np.any(w < 0) or w.sum() <= 0:
        raise InputDataError("largest_remainder needs a total >= 0 and non-negative weights "
                             "with a positive sum",
                             hint="give a whole count and weights >= 0 that are not all 0")
    quota = total * w / w.sum()
    base = np.floor(quota).astype(np.int64)
    left = int(total - base.sum())
    order = np.lexsort((np.arange(w.size), -(quota - base)))
    base[order[:left]] += 1
    return [int(x) for x in base]


def _shares(row: CsvRow, col: str) -> list[tuple[str, float]]:
    raw = (row.cells.get(col) or "").strip()
    out = []
    for part in raw.split(";"):
        if not part.strip():
            continue
        key, sep, val = part.partition(":")
        try:
            v = float(val)
        except ValueError:
            v = -1.0
        if not sep or not key.strip() or v < 0:
            raise InputDataError(f"row {row.row}: {col} part {part!r} is not key:share",
                                 hint=f"write {col} as key:share;key:share", source=row.source)
        out.append((key.strip(), v))
    if not out:
        raise InputDataError(f"row {row.row}: {col} is empty", hint=f"write {col} as key:share",
                             source=row.source)
    tot = sum(v for _, v in out)
    if col != "area_weights" and abs(tot - 1.0) > 1e-6:
        raise InputDataError(f"row {row.row}: the shares of {col} sum to {tot:.6g}, not 1",
                             hint="make the shares add up to 1", source=row.source)
    return out


def read_aggregates(path: str | Path) -> list[CsvRow]:
    """Read an aggregates table (see the module notes)."""
    return list(read_csv_table(path, ["agg_id", "level", "area", "count", "communities",
                                      "property_types", "evidence_tiers", "cause", "value_usd"],
                               what="claims aggregates table"))


def expand_aggregates(rows: Iterable[CsvRow]) -> list[dict[str, Any]]:
    """Claims-table records (columns :data:`CLAIMS_COLUMNS`) from aggregate rows.

    Raises
    ------
    InputDataError
        A count that is not a whole number, shares that do not sum to 1, weights for areas not
        listed.
    """
    out: list[dict[str, Any]] = []
    for r in rows:
        total = r.number("count", low=0.0)
        if total != int(total):
            raise InputDataError(f"row {r.row}: count {total:g} is not a whole number",
                                 hint="write the published count of claims", source=r.source)
        areas = [a.strip() for a in r.text("area").split(";") if a.strip()]
        if (r.cells.get("area_weights") or "").strip():
            aw = dict(_shares(r, "area_weights"))
            if set(aw) != set(areas):
                raise InputDataError(f"row {r.row}: area_weights must name exactly the areas "
                                     f"{areas}", hint="give one weight per area", source=r.source)
            groups: list[tuple[str, str, float]] = [(a, a, aw[a]) for a in areas]
        else:
            groups = [(";".join(areas), "", 1.0)]
        comms = _shares(r, "communities")
        occ: Mapping[str, str] = {}
        if (r.cells.get("occupants") or "").strip():
            occ = {k: v for k, v in (p.split(":", 1) for p in r.text("occupants").split(";")
                                     if ":" in p)}
        props = _shares(r, "property_types")
        tiers = _shares(r, "evidence_tiers")
        cells = [(g, c, p, t) for g in groups for c in comms for p in props for t in tiers]
        weights = [g[2] * c[1] * p[1] * t[1] for g, c, p, t in cells]
        counts = largest_remainder(int(total), weights)
        for (g, c, p, t), n in zip(cells, counts, strict=True):
            if n == 0:
                continue
            suffix = "-".join(x for x in (g[1], c[0].replace("*", "all"), p[0][:3], f"T{t[0]}") if x)
            out.append({
                "claim_id": f"{r.text('agg_id')}-{suffix}",
                "level": r.text("level"), "area": g[0], "community": c[0],
                "property_type": p[0], "count": n, "value_usd": r.text("value_usd"),
                "area_dunam": (r.cells.get("area_dunam") or "").strip(),
                "year": (r.cells.get("year") or "").strip(), "cause": r.text("cause"),
                "evidence_tier": t[0], "status": (r.cells.get("status") or "pending").strip(),
                "occupied_share": (r.cells.get("occupied_share") or "0").strip(),
                "occupant_households": "1",
                "occupant_community": occ.get(c[0], ""),
                "occupant_good_faith": "yes",
                "illustrative": (r.cells.get("illustrative") or "yes").strip(),
                "basis": f"{r.text('agg_id')}: {(r.cells.get('basis') or '').strip()}",
                "source_ids": (r.cells.get("source_ids") or "").strip(),
            })
    return out
