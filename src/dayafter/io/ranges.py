"""Reading census ranges: the low and high of every figure, from tables.

Two layouts are read:

* **long** (the built-in case's ``provenance.csv``): one row per figure, columns
  ``census, unit_id, field, low, high`` where ``field`` is ``total`` or a community key, and
  optionally ``value``, ``status`` (or ``size_status`` for totals and ``composition_status``
  for communities); an empty low or high means "no range stated".
* **wide** (a census table): columns ``<community>_low`` and ``<community>_high`` beside the
  community columns, and optionally ``total_low`` and ``total_high``, one row per unit.

>>> import numpy as np, pandas as pd
>>> from dayafter.testing.grids import grid_territory
>>> t = grid_territory(1, 2, communities=np.array([[60.0, 40], [10, 90]]))
>>> df = pd.DataFrame({"census": ["census"], "unit_id": ["u00000"], "field": ["a"],
...                    "low": [50.0], "high": [75.0]})
>>> r = ranges_from_table(df, t, source="ranges.csv")["census"]
>>> r.low[0].tolist(), r.n_stated
([50.0, nan], 1)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from dayafter.errors import InputDataError, first_ids
from dayafter.territory import CensusRange, Territory

__all__ = ["RANGE_SUFFIXES", "ranges_from_table", "ranges_from_wide", "read_ranges",
           "split_range_columns"]

RANGE_SUFFIXES = ("_low", "_high")
"""Column suffixes that mark range columns in a census table."""


def _num(col: pd.Series, *, what: str, source: str, rows: pd.Series | None = None) -> np.ndarray:
    """Numbers from a column; empty cells become NaN, text raises an error naming the rows."""
    s = col.reset_index(drop=True)
    if not pd.api.types.is_numeric_dtype(s.dtype):
        s = s.astype(object).where(s.notna() & (s.astype(str).str.strip() != ""), None)
    out = pd.to_numeric(s, errors="coerce")
    bad = out.isna() & s.notna()
    if bad.any():
        where = (rows[bad] if rows is not None else pd.Series(np.flatnonzero(bad.to_numpy()) + 2))
        raise InputDataError(
            f"column {what!r} has values that are not numbers in rows {first_ids(where.tolist())} "
            f"(first: {s[bad].iloc[0]!r})",
            hint="write the range ends as plain numbers (no thousands separators), or leave them empty",
            source=source)
    return out.to_numpy(dtype=np.float64)


def _status(df: pd.DataFrame, *, total: bool) -> np.ndarray:
    key = "size_status" if total else "composition_status"
    for col in (key, "status"):
        if col in df.columns:
            return df[col].fillna("").astype(str).str.strip().to_numpy(dtype=object)
    return np.full(len(df), "", dtype=object)


def _set_aside(lo: np.ndarray, hi: np.ndarray, value: np.ndarray, tol: np.ndarray) -> tuple[
        np.ndarray, np.ndarray, int]:
    """Lenient reading: ends that contradict the data become NaN (the default applies)."""
    bad_lo = np.isfinite(lo) & ((lo < 0) | (lo > value + tol) | (np.isfinite(hi) & (lo > hi)))
    bad_hi = np.isfinite(hi) & ((hi < 0) | (hi < value - tol) | (np.isfinite(lo) & (lo > hi)))
    lo = np.where(bad_lo, np.nan, lo)
    hi = np.where(bad_hi, np.nan, hi)
    return lo, hi, int(bad_lo.sum() + bad_hi.sum())


def ranges_from_table(df: pd.DataFrame, territory: Territory, *, source: str = "",
                      census: str | None = None, strict: bool = True,
                      community_ranges: str = "composition") -> dict[str, CensusRange]:
    """Census ranges from a long table (one row per figure), keyed by census.

    Parameters
    ----------
    df
        Columns ``unit_id, field, low, high`` and ``census`` (unless ``census`` is given);
        optional ``value``, ``status``, ``size_status``, ``composition_status``.
    territory
        The territory the ranges describe (unit ids, communities and censuses are checked).
    source
        The file name, for error messages.
    census
        The census every row belongs to, when the table has no ``census`` column.
    strict
        Raise on a low above its high, a negative end, or a figure outside its range (default).
        ``strict=False`` sets such ends aside (the default error applies to them) and records how
        many in the range's ``notes``; the built-in case reads its provenance this way while its
        ranges are being completed.
    community_ranges
        How the table's community ranges were made (see
        :class:`~dayafter.territory.CensusRange`): ``"composition"`` (default) or ``"joint"``.

    Raises
    ------
    InputDataError
        Naming the file, the rows or units, and the fix.
    """
    need = {"unit_id", "field", "low", "high"} | ({"census"} if census is None else set())
    missing = sorted(need - set(df.columns))
    if missing:
        raise InputDataError(f"the ranges table has no columns {missing} (columns: {list(df.columns)})",
                             hint="use columns census, unit_id, field, low, high (field = 'total' or a "
                             "community)", source=source)
    df = df.reset_index(drop=True)
    rows = pd.Series(np.arange(len(df)) + 2)  # file row numbers (header is row 1)
    cen = (df["census"].astype(str).str.strip() if census is None
           else pd.Series([census] * len(df), dtype=object))
    unknown = sorted(set(cen) - set(territory.census_names))
    if unknown:
        bad = cen.isin(unknown).to_numpy()
        raise InputDataError(
            f"ranges given for censuses {unknown} that the territory does not have (rows "
            f"{first_ids(rows[bad].tolist())})",
            hint=f"name one of {list(territory.census_names)} in the census column", source=source)
    ids = df["unit_id"].astype(str).str.strip()
    idx = territory.index(ids.tolist(), source=source)
    fields = df["field"].astype(str).str.strip()
    comm_pos = {c: j for j, c in enumerate(territory.communities)}
    col = np.array([comm_pos.get(f, -2 if f == "total" else -1) for f in fields], dtype=np.int64)
    if (col == -1).any():
        bad = col == -1
        raise InputDataError(
            f"unknown fields {sorted(set(fields[bad]))} in rows {first_ids(rows[bad].tolist())}",
            hint=f"use 'total' or a community: {list(territory.communities)}", source=source)
    lo_all = _num(df["low"], what="low", source=source, rows=rows)
    hi_all = _num(df["high"], what="high", source=source, rows=rows)
    dup = pd.DataFrame({"c": cen, "u": ids, "f": fields}).duplicated(keep=False).to_numpy()
    if dup.any():
        raise InputDataError(f"{int(dup.sum())} rows repeat a (census, unit_id, field) "
                             f"(rows {first_ids(rows[dup].tolist())})",
                             hint="keep one row per figure", source=source)
    n, g = territory.n_units, territory.n_communities
    out: dict[str, CensusRange] = {}
    for cname in dict.fromkeys(cen.tolist()):
        sel = (cen == cname).to_numpy()
        values = territory.census(cname)
        totals = values.sum(axis=1)
        low = np.full((n, g), np.nan)
        high = np.full((n, g), np.nan)
        tl = np.full(n, np.nan)
        th = np.full(n, np.nan)
        st = np.full((n, g), "", dtype=object)
        ts = np.full(n, "", dtype=object)
        notes: list[str] = []
        sc = sel & (col >= 0)
        stt = sel & (col == -2)
        ui, cj = idx[sc], col[sc]
        low[ui, cj], high[ui, cj] = lo_all[sc], hi_all[sc]
        st[ui, cj] = _status(df.loc[sc], total=False)
        tl[idx[stt]], th[idx[stt]] = lo_all[stt], hi_all[stt]
        ts[idx[stt]] = _status(df.loc[stt], total=True)
        if not strict:
            low, high, k1 = _set_aside(low, high, values, 0.5 + 1e-9 * values)
            tl, th, k2 = _set_aside(tl, th, totals, 0.5 * g + 1e-9 * totals)
            if k1 + k2:
                notes.append(f"{k1 + k2} range ends contradict their figure (negative, low above "
                             "high, or value outside the range) and were set aside: the default "
                             "error applies to them")
        else:
            _check_rows(values, totals, low, high, tl, th, cname, territory, source)
        out[cname] = CensusRange(low, high, tl, th, st, ts, source=source, notes=tuple(notes),
                                 community_ranges=community_ranges)
    return out


def _check_rows(values: np.ndarray, totals: np.ndarray, low: np.ndarray, high: np.ndarray,
                tl: np.ndarray, th: np.ndarray, cname: str, territory: Territory, source: str) -> None:
    """Per-figure checks with messages naming the unit and the field."""
    comms = territory.communities
    ids = territory.unit_ids
    g = len(comms)
    for lo, hi, val, tol, fields in (
        (low, high, values, 0.5 + 1e-9 * values, None),
        (tl[:, None], th[:, None], totals[:, None], (0.5 * g + 1e-9 * totals)[:, None], ("total",)),
    ):
        problems = (
            (lo > hi, "low {lo:g} is above high {hi:g}", "swap low and high, or correct the row"),
            ((lo < 0) | (hi < 0) | np.isinf(lo) | np.isinf(hi), "negative or infinite range "
             "({lo:g} to {hi:g})", "give low and high as populations of at least 0"),
            ((val < lo - tol) | (val > hi + tol), "the census value {val:g} lies outside its range "
             "{lo:g} to {hi:g}", "widen the range so low <= value <= high, or correct the census"),
        )
        for mask, text, hint in problems:
            if mask.any():
                i, j = (int(x[0]) for x in np.nonzero(mask))
                name = fields[0] if fields else comms[j]
                units = ids[np.flatnonzero(mask.any(axis=1))].tolist()
                raise InputDataError(
                    f"census {cname!r}, unit {ids[i]}, {name}: " + text.format(
                        lo=lo[i, j], hi=hi[i, j], val=val[i, j])
                    + (f" ({len(units)} units in all: {first_ids(units)})" if len(units) > 1 else ""),
                    hint=hint, unit_ids=units, source=source)


def split_range_columns(table: pd.DataFrame, communities: Sequence[str] | None = None
                        ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split a census table into its population columns and its range columns.

    Range columns end in ``_low`` or ``_high`` (``<community>_low``, ``total_high``, ...).
    """
    rcols = [c for c in table.columns if isinstance(c, str) and c.endswith(RANGE_SUFFIXES)
             and (communities is None or c.rsplit("_", 1)[0] in set(communities) | {"total"})]
    return table.drop(columns=rcols), table[rcols]


def ranges_from_wide(table: pd.DataFrame, territory: Territory, census: str, *, source: str = "",
                     strict: bool = True, community_ranges: str = "composition") -> CensusRange | None:
    """Ranges of one census from ``<community>_low`` / ``_high`` columns (index = unit ids).

    Returns ``None`` when the table has no range columns. Units missing from the table get no
    stated range.
    """
    _, rc = split_range_columns(table, territory.communities)
    if rc.empty or len(rc.columns) == 0:
        return None
    if census not in territory.censuses:
        raise InputDataError(f"ranges given for census {census!r}, which the territory does not have",
                             hint=f"use one of {list(territory.census_names)}", source=source)
    ids = [str(u) for u in rc.index]
    idx = territory.index(ids, source=source)
    n, g = territory.n_units, territory.n_communities
    low = np.full((n, g), np.nan)
    high = np.full((n, g), np.nan)
    tl = np.full(n, np.nan)
    th = np.full(n, np.nan)
    for c in rc.columns:
        base, end = c.rsplit("_", 1)
        vals = _num(rc[c].reset_index(drop=True), what=c, source=source)
        if base == "total":
            (tl if end == "low" else th)[idx] = vals
        else:
            j = territory.community_index(base)
            (low if end == "low" else high)[idx, j] = vals
    long = []
    for i, u in zip(idx.tolist(), ids, strict=True):
        for j, c in enumerate(territory.communities):
            if np.isfinite(low[i, j]) or np.isfinite(high[i, j]):
                long.append((u, c, low[i, j], high[i, j]))
        if np.isfinite(tl[i]) or np.isfinite(th[i]):
            long.append((u, "total", tl[i], th[i]))
    df = pd.DataFrame(long, columns=["unit_id", "field", "low", "high"])
    if df.empty:
        return CensusRange.empty(n, g, source=source)
    return ranges_from_table(df, territory, source=source, census=census, strict=strict,
                             community_ranges=community_ranges)[census]


def read_ranges(path: str | Path, territory: Territory, *, census: str | None = None,
                id_col: str = "unit_id", strict: bool = True,
                community_ranges: str = "composition") -> dict[str, CensusRange]:
    """Read census ranges from a CSV or XLSX file (long or wide layout, see the module docstring).

    A wide table needs ``census`` (or a ``census`` column with one census per file). The result
    attaches with :meth:`Territory.with_ranges <dayafter.territory.Territory.with_ranges>`.
    """
    from dayafter.io.units import read_table

    p = Path(path)
    src = str(p)
    table = read_table(p, id_col=id_col)
    if {"field", "low", "high"} <= set(table.columns):
        df = table.reset_index(names="unit_id")
        return ranges_from_table(df, territory, source=src, census=census, strict=strict,
                                 community_ranges=community_ranges)
    if census is None:
        if "census" in table.columns and table["census"].nunique() == 1:
            census = str(table["census"].iloc[0])
        else:
            raise InputDataError("a wide ranges table needs its census named",
                                 hint="pass the census name (e.g. --census-ranges baseline=FILE)",
                                 source=src)
    r = ranges_from_wide(table.drop(columns=[c for c in ("census",) if c in table.columns]),
                         territory, census, source=src, strict=strict,
                         community_ranges=community_ranges)
    if r is None:
        raise InputDataError("the table has no range columns",
                             hint="name them <community>_low and <community>_high (and total_low, "
                             "total_high), or use the long layout census,unit_id,field,low,high",
                             source=src)
    return {census: r}
