"""Read small CSV data tables with one clear error per bad cell (file, row, column, fix).

Used by the engines' data loaders (returns, referendum, claims): each table is a list of rows
(dictionaries of text) with its path, and typed accessors raise
:class:`~dayafter.errors.InputDataError` naming the file, the row (as numbered in a spreadsheet,
header = row 1) and the fix.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from dayafter._inputs import read_input_text
from dayafter.errors import InputDataError

__all__ = ["CsvTable", "read_csv_table"]


@dataclass(frozen=True)
class CsvRow:
    """One data row: its cells and where it comes from."""

    cells: dict[str, str]
    row: int
    source: str

    def text(self, column: str, *, default: str | None = None) -> str:
        """The cell as stripped text (``default`` when empty and a default is given)."""
        v = (self.cells.get(column) or "").strip()
        if not v:
            if default is not None:
                return default
            raise InputDataError(f"row {self.row}: column {column!r} is empty",
                                 hint=f"fill {column!r} on every row", source=self.source)
        return v

    def number(self, column: str, *, default: float | None = None, low: float | None = None,
               high: float | None = None) -> float:
        """The cell as a finite number within ``[low, high]``."""
        raw = (self.cells.get(column) or "").strip().replace(",", "")
        if not raw:
            if default is not None:
                return float(default)
            raise InputDataError(f"row {self.row}: column {column!r} is empty",
                                 hint=f"write a number in {column!r}", source=self.source)
        try:
            v = float(raw)
        except ValueError:
            raise InputDataError(f"row {self.row}: {column} {raw!r} is not a number",
                                 hint=f"write a plain number in {column!r}",
                                 source=self.source) from None
        if not math.isfinite(v):
            raise InputDataError(f"row {self.row}: {column} must be finite, got {raw!r}",
                                 hint=f"write a finite number in {column!r}", source=self.source)
        if (low is not None and v < low) or (high is not None and v > high):
            rng = f"[{'' if low is None else f'{low:g}'}, {'' if high is None else f'{high:g}'}]"
            raise InputDataError(f"row {self.row}: {column} {v:g} is outside {rng}",
                                 hint=f"write a value in {rng} in {column!r}", source=self.source)
        return v

    def choice(self, column: str, allowed: Sequence[str], *, default: str | None = None) -> str:
        """The cell as one of ``allowed`` (case-insensitive; returned as written in ``allowed``)."""
        v = self.text(column, default=default)
        look = {a.lower(): a for a in allowed}
        if v.lower() not in look:
            raise InputDataError(f"row {self.row}: {column} {v!r} is not one of {list(allowed)}",
                                 hint=f"use one of {list(allowed)} in {column!r}",
                                 source=self.source)
        return look[v.lower()]

    def ids(self, column: str) -> tuple[str, ...]:
        """A ``;``-separated list of ids (empty cell: empty tuple)."""
        raw = (self.cells.get(column) or "").strip()
        return tuple(x.strip() for x in raw.split(";") if x.strip())


@dataclass(frozen=True)
class CsvTable:
    """The rows of a CSV file with a header."""

    rows: tuple[CsvRow, ...]
    columns: tuple[str, ...]
    source: str

    def __iter__(self) -> Iterator[CsvRow]:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


def _records(reader: csv.DictReader[str], what: str, src: str) -> Iterator[dict[str, str]]:
    try:
        yield from reader
    except csv.Error as exc:
        raise InputDataError(f"the {what} is not a readable CSV ({exc})",
                             hint="save it as UTF-8 CSV; quote cells that hold commas or line breaks",
                             source=src) from None


def read_csv_table(path: str | Path, required: Sequence[str], *, what: str = "table",
                   allow_empty: bool = False) -> CsvTable:
    """Read a CSV data table and check its header.

    Parameters
    ----------
    path
        The file (UTF-8, comma-separated, one header row).
    required
        Columns that must be present.
    what
        What the table is, for messages (e.g. ``"claims table"``).
    allow_empty
        Accept a table with a header and no rows.

    Raises
    ------
    InputDataError
        Unreadable file, missing columns or no rows.
    """
    p = Path(path)
    src = str(p)
    text = read_input_text(p, what=what)
    if "\x00" in text:
        raise InputDataError(f"the {what} holds NUL bytes: it is not a text (CSV) file",
                             hint="save it as UTF-8 CSV", source=src)
    reader = csv.DictReader(text.splitlines())
    try:
        header = tuple((h or "").strip() for h in (reader.fieldnames or ()))
    except csv.Error as exc:
        raise InputDataError(f"the {what} is not a readable CSV ({exc})", hint="save it as UTF-8 CSV",
                             source=src) from None
    missing = [c for c in required if c not in header]
    if missing:
        raise InputDataError(f"the {what} lacks the columns {missing}",
                             hint=f"write a header with {list(required)}", source=src)
    rows = []
    for rec in _records(reader, what, src):
        i = reader.line_num  # the file's line number, as a spreadsheet numbers rows
        if None in rec:
            raise InputDataError(f"row {i} has more cells than the header",
                                 hint="quote cells that contain commas", source=src)
        cells = {(k or "").strip(): (v or "") for k, v in rec.items()}
        if not any(v.strip() for v in cells.values()):
            continue
        rows.append(CsvRow(cells, i, src))
    if not rows and not allow_empty:
        raise InputDataError(f"the {what} has no data rows", hint="add at least one row",
                             source=src)
    return CsvTable(tuple(rows), header, src)
