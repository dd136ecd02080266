"""The claims table: land and property claims, one row per claim or per batch of like claims.

Columns (CSV header; ``*`` = required):

==========================  ==================================================================
``claim_id`` *              identifier of the row (unique)
``level``                   ``unit`` (default), or an admin level (``district``, ``governorate``)
``area`` *                  unit id, or ``;``-separated admin codes at ``level``
``community`` *             claimant community, or ``*``: spread over the communities of the area
``property_type`` *         ``residential``, ``agricultural``, ``commercial`` or ``other``
``count``                   number of claims the row stands for (default 1)
``value_usd`` *             assessed value of one claimed property, US dollars
``area_dunam``              land area of one claimed property (optional; 1 dunam = 2,500 m2)
``year``                    year of dispossession (e.g. 1977 for an Arabization-era decree)
``cause`` *                 ``arabization`` (1968-2003 decrees), ``destruction_2014_2017``,
                            ``post_2003_occupation`` or ``other``
``evidence_tier`` *         1 registered title deed, 2 other documents, 3 testimony only
``status``                  ``pending`` (default), ``approved`` (decided, unpaid), ``closed``
                            (restituted or paid), ``rejected``
``occupied_share``          share of the claimed properties held by a secondary occupant (0-1)
``occupant_households``     households living on one occupied property (default 1)
``occupant_community``      community of the secondary occupants (optional)
``occupant_good_faith``     ``yes``/``no``: occupants acquired in good faith (default yes)
``illustrative``            ``yes`` when the row is not a sourced figure
``basis``, ``source_ids``   how the row was set; source ids (``;``-separated)
==========================  ==================================================================

Rows whose ``level`` is not ``unit`` are spread over the area's units (and, for community
``*``, over its communities) in proportion to the population of a census
(:meth:`ClaimsTable.spread`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from dayafter._csvtable import read_csv_table
from dayafter.errors import InputDataError

if TYPE_CHECKING:
    from dayafter.territory import Territory

__all__ = ["CAUSES", "PROPERTY_TYPES", "STATUSES", "ClaimsTable", "Pieces", "read_claims"]

PROPERTY_TYPES = ("residential", "agricultural", "commercial", "other")
CAUSES = ("arabization", "destruction_2014_2017", "post_2003_occupation", "other")
STATUSES = ("pending", "approved", "closed", "rejected")
REQUIRED = ("claim_id", "area", "community", "property_type", "value_usd", "cause", "evidence_tier")


class Pieces(NamedTuple):
    """Claims rows spread over units and communities: piece ``p`` holds ``claims[p]`` claims of
    row ``row[p]`` in unit ``unit[p]`` from community ``community[p]``."""

    row: NDArray[np.int64]
    unit: NDArray[np.int64]
    community: NDArray[np.int64]
    occupant_community: NDArray[np.int64]
    claims: NDArray[np.float64]


@dataclass(frozen=True, eq=False)
class ClaimsTable:
    """Claims as columns (one entry per row); see the module notes for the meaning of each."""

    claim_id: tuple[str, ...]
    level: tuple[str, ...]
    area: tuple[tuple[str, ...], ...]
    community: tuple[str, ...]
    property_type: tuple[str, ...]
    count: NDArray[np.float64]
    value_usd: NDArray[np.float64]
    area_dunam: NDArray[np.float64]
    year: NDArray[np.float64]
    cause: tuple[str, ...]
    evidence_tier: NDArray[np.int64]
    status: tuple[str, ...]
    occupied_share: NDArray[np.float64]
    occupant_households: NDArray[np.float64]
    occupant_community: tuple[str, ...]
    occupant_good_faith: NDArray[np.bool_]
    illustrative: NDArray[np.bool_]
    basis: tuple[str, ...] = ()
    source_ids: tuple[tuple[str, ...], ...] = ()
    source: str = ""

    def __len__(self) -> int:
        return len(self.claim_id)

    @property
    def n_claims(self) -> float:
        """Total number of claims (sum of ``count``)."""
        return float(self.count.sum())

    def spread(self, territory: Territory, census: NDArray[np.float64]) -> Pieces:
        """Spread every row over its area's units and communities.

        A row at ``level`` ``unit`` stays in its unit. Other rows go to the units of their admin
        codes in proportion to the claimant community's people in ``census`` (community ``*``:
        in proportion to each community's people); with nobody of the community there, equally
        over the area's units. Occupants' community ``*`` or empty follows the same rule with
        the area's largest community other than the claimant's (``-1`` when unknown).

        Parameters
        ----------
        territory
            The territory.
        census
            ``[n, g]`` population used as weights (usually the baseline).

        Raises
        ------
        InputDataError
            An unknown unit id, admin level, admin code or community (the message names the
            claims row and the fix).
        """
        C = np.asarray(census, dtype=np.float64)
        comms = list(territory.communities)
        rows, units, cs, occ, counts = [], [], [], [], []
        for r in range(len(self)):
            where = f"{self.source or 'claims table'}: claim {self.claim_id[r]!r}"
            lvl, areas = self.level[r], self.area[r]
            if lvl == "unit":
                members = territory.index(list(areas), source=where)
            else:
                if lvl not in territory.admin:
                    raise InputDataError(f"{where}: unknown level {lvl!r}",
                                         hint=f"use unit or one of {list(territory.admin)}")
                codes = territory.admin[lvl]
                bad = [a for a in areas if not np.any(codes == a)]
                if bad:
                    raise InputDataError(f"{where}: no unit has {lvl} {bad}",
                                         hint="check the admin codes of the area column")
                members = np.flatnonzero(np.isin(codes, list(areas)))
            if self.community[r] == "*":
                w = C[members, :]
                cidx = np.arange(len(comms))
            else:
                if self.community[r] not in comms:
                    raise InputDataError(f"{where}: unknown community {self.community[r]!r}",
                                         hint=f"use one of {comms} or *")
                j = comms.index(self.community[r])
                w = C[members, j][:, None]
                cidx = np.array([j])
            tot = w.sum()
            share = w / tot if tot > 0 else np.full(w.shape, 1.0 / w.size)
            oc = self.occupant_community[r]
            if oc and oc != "*" and oc not in comms:
                raise InputDataError(f"{where}: unknown occupant community {oc!r}",
                                     hint=f"use one of {comms}, * or leave it empty")
            for a, i in enumerate(members.tolist()):
                for b, j in enumerate(cidx.tolist()):
                    if share[a, b] <= 0:
                        continue
                    if oc and oc != "*":
                        o = comms.index(oc)
                    else:
                        others = C[i].copy()
                        others[j] = -1.0
                        o = int(np.argmax(others)) if others.max() > 0 else -1
                    rows.append(r)
                    units.append(i)
                    cs.append(j)
                    occ.append(o)
                    counts.append(self.count[r] * share[a, b])
        return Pieces(np.array(rows, dtype=np.int64), np.array(units, dtype=np.int64),
                      np.array(cs, dtype=np.int64), np.array(occ, dtype=np.int64),
                      np.array(counts, dtype=np.float64))

    def to_records(self) -> list[dict[str, Any]]:
        """One dictionary per row (JSON-ready)."""
        out = []
        for r in range(len(self)):
            out.append({
                "claim_id": self.claim_id[r], "level": self.level[r], "area": ";".join(self.area[r]),
                "community": self.community[r], "property_type": self.property_type[r],
                "count": float(self.count[r]), "value_usd": float(self.value_usd[r]),
                "area_dunam": None if np.isnan(self.area_dunam[r]) else float(self.area_dunam[r]),
                "year": None if np.isnan(self.year[r]) else float(self.year[r]),
                "cause": self.cause[r], "evidence_tier": int(self.evidence_tier[r]),
                "status": self.status[r], "occupied_share": float(self.occupied_share[r]),
                "occupant_households": float(self.occupant_households[r]),
                "occupant_community": self.occupant_community[r],
                "occupant_good_faith": bool(self.occupant_good_faith[r]),
                "illustrative": bool(self.illustrative[r]),
                "basis": self.basis[r] if self.basis else "",
                "source_ids": list(self.source_ids[r]) if self.source_ids else [],
            })
        return out

    @classmethod
    def from_records(cls, records: Sequence[dict[str, Any]], *, source: str = "") -> ClaimsTable:
        """Build from dictionaries with the column names of the module notes (validated)."""
        return _build([dict(r) for r in records], [i + 2 for i in range(len(records))], source)


def _yes(v: Any) -> bool:
    return str(v).strip().lower() in ("yes", "true", "1", "y")


def _build(records: list[dict[str, Any]], rownums: list[int], source: str) -> ClaimsTable:
    cols: dict[str, list[Any]] = {k: [] for k in (
        "claim_id", "level", "area", "community", "property_type", "count", "value_usd",
        "area_dunam", "year", "cause", "evidence_tier", "status", "occupied_share",
        "occupant_households", "occupant_community", "occupant_good_faith", "illustrative",
        "basis", "source_ids")}
    seen: set[str] = set()

    def err(row: int, msg: str, hint: str) -> InputDataError:
        return InputDataError(f"row {row}: {msg}", hint=hint, source=source)

    def num(rec: dict[str, Any], row: int, key: str, default: float | None, lo: float | None = None,
            hi: float | None = None) -> float:
        raw = rec.get(key)
        raw = "" if raw is None else str(raw).strip().replace(",", "")
        if raw == "":
            if default is None:
                raise err(row, f"column {key!r} is empty", f"write a number in {key!r}")
            return default
        try:
            v = float(raw)
        except ValueError:
            raise err(row, f"{key} {raw!r} is not a number", f"write a plain number in {key!r}") from None
        if not np.isfinite(v) or (lo is not None and v < lo) or (hi is not None and v > hi):
            rng = f"[{'' if lo is None else f'{lo:g}'}, {'' if hi is None else f'{hi:g}'}]"
            raise err(row, f"{key} {raw} is outside {rng}", f"write a value in {rng} in {key!r}")
        return v

    def choice(rec: dict[str, Any], row: int, key: str, allowed: Sequence[str], default: str | None) -> str:
        v = str(rec.get(key) or "").strip().lower()
        if not v:
            if default is None:
                raise err(row, f"column {key!r} is empty", f"use one of {list(allowed)}")
            return default
        if v not in allowed:
            raise err(row, f"{key} {v!r} is not one of {list(allowed)}", f"use one of {list(allowed)}")
        return v

    for rec, row in zip(records, rownums, strict=True):
        missing = [k for k in REQUIRED if rec.get(k) is None or not str(rec.get(k)).strip()]
        if missing:
            raise err(row, f"columns {missing} are empty", f"fill {missing} on every row")
        cid = str(rec["claim_id"]).strip()
        if cid in seen:
            raise err(row, f"claim_id {cid!r} appears twice", "give every row its own claim_id")
        seen.add(cid)
        cols["claim_id"].append(cid)
        cols["level"].append(str(rec.get("level") or "unit").strip() or "unit")
        cols["area"].append(tuple(a.strip() for a in str(rec["area"]).split(";") if a.strip()))
        cols["community"].append(str(rec["community"]).strip())
        cols["property_type"].append(choice(rec, row, "property_type", PROPERTY_TYPES, None))
        cols["count"].append(num(rec, row, "count", 1.0, 0.0))
        cols["value_usd"].append(num(rec, row, "value_usd", None, 0.0))
        cols["area_dunam"].append(num(rec, row, "area_dunam", float("nan"), 0.0))
        cols["year"].append(num(rec, row, "year", float("nan"), 1900.0, 2100.0))
        cols["cause"].append(choice(rec, row, "cause", CAUSES, None))
        tier = num(rec, row, "evidence_tier", None, 1.0, 3.0)
        if tier != int(tier):
            raise err(row, f"evidence_tier {tier:g} is not 1, 2 or 3", "write 1, 2 or 3")
        cols["evidence_tier"].append(int(tier))
        cols["status"].append(choice(rec, row, "status", STATUSES, "pending"))
        cols["occupied_share"].append(num(rec, row, "occupied_share", 0.0, 0.0, 1.0))
        cols["occupant_households"].append(num(rec, row, "occupant_households", 1.0, 0.0))
        cols["occupant_community"].append(str(rec.get("occupant_community") or "").strip())
        gf = str(rec.get("occupant_good_faith") or "yes").strip().lower()
        if gf not in ("yes", "no", "true", "false", "1", "0", "y", "n"):
            raise err(row, f"occupant_good_faith {gf!r} is not yes or no", "write yes or no")
        cols["occupant_good_faith"].append(_yes(gf))
        cols["illustrative"].append(_yes(rec.get("illustrative") or "no"))
        cols["basis"].append(str(rec.get("basis") or "").strip())
        cols["source_ids"].append(tuple(s.strip() for s in str(rec.get("source_ids") or "").split(";")
                                        if s.strip()))
    if not cols["claim_id"]:
        raise InputDataError("the claims table has no rows", hint="add at least one claim", source=source)
    f = np.asarray
    return ClaimsTable(
        claim_id=tuple(cols["claim_id"]), level=tuple(cols["level"]), area=tuple(cols["area"]),
        community=tuple(cols["community"]), property_type=tuple(cols["property_type"]),
        count=f(cols["count"], dtype=np.float64), value_usd=f(cols["value_usd"], dtype=np.float64),
        area_dunam=f(cols["area_dunam"], dtype=np.float64), year=f(cols["year"], dtype=np.float64),
        cause=tuple(cols["cause"]), evidence_tier=f(cols["evidence_tier"], dtype=np.int64),
        status=tuple(cols["status"]), occupied_share=f(cols["occupied_share"], dtype=np.float64),
        occupant_households=f(cols["occupant_households"], dtype=np.float64),
        occupant_community=tuple(cols["occupant_community"]),
        occupant_good_faith=f(cols["occupant_good_faith"], dtype=bool),
        illustrative=f(cols["illustrative"], dtype=bool), basis=tuple(cols["basis"]),
        source_ids=tuple(cols["source_ids"]), source=source)


def read_claims(path: str | Path) -> ClaimsTable:
    """Read a claims table from CSV (see the module notes for the columns).

    Raises
    ------
    InputDataError
        Missing columns or a bad cell: the message names the file, the row and the fix.
    """
    t = read_csv_table(path, REQUIRED, what="claims table")
    return _build([dict(r.cells) for r in t], [r.row for r in t], t.source)
