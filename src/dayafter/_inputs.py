"""Reading input files safely: regular files only, bounded sizes, UTF-8, bounded nesting.

Every reader of a user's file goes through these helpers, so that a careless or hostile input
fails fast with one line naming the file and the fix instead of hanging, growing to gigabytes or
ending in an internal error:

- streams and special files (a FIFO, ``/dev/zero``, a socket) and folders are refused before
  anything is read (:func:`check_input_file`);
- a file larger than the limit for its kind is refused before it is read, and no more than the
  limit is ever read (a file that grows while it is read is refused too);
- text must be UTF-8 (a byte-order mark is accepted); the error names the line and the byte;
- JSON and YAML are parsed with a bound on nesting depth and on the size of the expanded document,
  so a YAML alias bomb (a few lines that expand to billions of nodes) is refused, and a document
  that refers to itself is refused.

Examples
--------
>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "spec.yaml"
>>> _ = p.write_text("regions: 3\\n")
>>> load_spec_text(read_input_text(p, what="spec"), source=str(p), yaml=True)
{'regions': 3}
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from typing import Any

from dayafter.errors import ConfigError, InputDataError

__all__ = [
    "MAX_DEPTH",
    "MAX_LAYER_BYTES",
    "MAX_NODES",
    "MAX_SPEC_BYTES",
    "MAX_SPEC_NODES",
    "MAX_TABLE_BYTES",
    "check_input_file",
    "check_structure",
    "decode_utf8",
    "load_spec_text",
    "parse_json",
    "parse_yaml",
    "read_csv_dicts",
    "read_csv_rows",
    "read_input_bytes",
    "read_input_text",
    "read_json_file",
]

MAX_SPEC_BYTES = 16 * 2**20
"""Largest specification file read (criteria, optimizer specs, rules, forces, parties): 16 MiB."""
MAX_TABLE_BYTES = 512 * 2**20
"""Largest table or plan file read (census tables, plans, vote tables): 512 MiB."""
MAX_LAYER_BYTES = 8 * 2**30
"""Largest polygon layer or project file opened: 8 GiB."""
MAX_DEPTH = 64
"""Deepest nesting of lists and mappings accepted in a JSON or YAML document."""
MAX_NODES = 2_000_000
"""Most values (scalars, lists, mappings) a JSON or YAML document may expand to (plans)."""
MAX_SPEC_NODES = 200_000
"""Most values a specification may expand to (criteria, optimizer specs, rules)."""


def _mib(n: int) -> str:
    return f"{n / 2**20:,.0f} MiB" if n >= 2**20 else f"{n:,} bytes"


def check_input_file(path: str | os.PathLike[str], *, what: str = "file",
                     max_bytes: int | None = MAX_TABLE_BYTES, allow_empty: bool = True) -> Path:
    """Check that ``path`` is a regular file of at most ``max_bytes`` before reading it.

    Parameters
    ----------
    path
        The file.
    what
        What the file is, for messages (``"plan"``, ``"criteria file"``).
    max_bytes
        Largest size accepted (``None``: no limit).
    allow_empty
        Accept an empty file.

    Returns
    -------
    Path
        The path, unchanged.

    Raises
    ------
    InputDataError
        Missing, a folder, a stream or device, too large, or empty (when not allowed); the message
        names the file and the fix.
    """
    p = Path(path)
    src = str(p)
    try:
        st = p.stat()  # follows links: a link to /dev/zero is a device
    except FileNotFoundError:
        raise InputDataError(f"{what} not found", hint="check the path", source=src) from None
    except PermissionError:
        raise InputDataError(f"cannot read the {what} (permission denied)",
                             hint="check the file's permissions", source=src) from None
    except OSError as exc:
        raise InputDataError(f"cannot read the {what} ({exc.strerror or exc})",
                             hint="check the path", source=src) from None
    if stat.S_ISDIR(st.st_mode):
        raise InputDataError(f"the {what} is a folder, not a file",
                             hint="give the path of a file inside it", source=src)
    if not stat.S_ISREG(st.st_mode):
        kind = ("a pipe (FIFO)" if stat.S_ISFIFO(st.st_mode) else
                "a device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) else
                "a socket" if stat.S_ISSOCK(st.st_mode) else "not a regular file")
        raise InputDataError(f"the {what} is {kind}, not a regular file",
                             hint="save the data to a file and give that file", source=src)
    if max_bytes is not None and st.st_size > max_bytes:
        raise InputDataError(
            f"the {what} is {_mib(st.st_size)}, more than the {_mib(max_bytes)} dayafter reads",
            hint="check that this is the right file (a plan, spec or table is far smaller)",
            source=src)
    if not allow_empty and st.st_size == 0:
        raise InputDataError(f"the {what} is empty", hint="write its content, or check the path",
                             source=src)
    if not os.access(p, os.R_OK):
        raise InputDataError(f"cannot read the {what} (permission denied)",
                             hint="check the file's permissions", source=src)
    return p


def read_input_bytes(path: str | os.PathLike[str], *, what: str = "file",
                     max_bytes: int = MAX_TABLE_BYTES, allow_empty: bool = True) -> bytes:
    """The bytes of a checked input file (see :func:`check_input_file`), never more than the limit."""
    p = check_input_file(path, what=what, max_bytes=max_bytes, allow_empty=allow_empty)
    try:
        with open(p, "rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise InputDataError(f"cannot read the {what} ({exc.strerror or exc})",
                             hint="check the path and permissions", source=str(p)) from None
    if len(data) > max_bytes:  # it grew while it was read
        raise InputDataError(f"the {what} is more than the {_mib(max_bytes)} dayafter reads",
                             hint="check that this is the right file", source=str(p))
    return data


def decode_utf8(data: bytes, *, what: str = "file", source: str = "") -> str:
    """UTF-8 text (a leading byte-order mark is dropped); the error names the line and the byte."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        start = exc.start
        line = data.count(b"\n", 0, start) + 1
        col = start - (data.rfind(b"\n", 0, start) + 1) + 1
        raise InputDataError(
            f"the {what} is not UTF-8 text (byte 0x{data[start]:02x} on line {line}, column {col})",
            hint="save it with the UTF-8 encoding (in a spreadsheet: CSV UTF-8)", source=source) from None


def read_input_text(path: str | os.PathLike[str], *, what: str = "file",
                    max_bytes: int = MAX_TABLE_BYTES, allow_empty: bool = True) -> str:
    """The UTF-8 text of a checked input file (see :func:`check_input_file` and :func:`decode_utf8`)."""
    data = read_input_bytes(path, what=what, max_bytes=max_bytes, allow_empty=allow_empty)
    return decode_utf8(data, what=what, source=str(path))


def check_structure(obj: Any, *, source: str = "", what: str = "document",
                    max_depth: int = MAX_DEPTH, max_nodes: int = MAX_NODES,
                    error: type[InputDataError] | type[ConfigError] = InputDataError) -> None:
    """Refuse a parsed document nested deeper than ``max_depth``, expanding to more than
    ``max_nodes`` values, or containing itself.

    Shared sub-documents (YAML aliases) count once per place they appear, as a program walking the
    document sees them; the walk itself visits each distinct container once (memoised), so it is
    linear in the size of the parsed document, not of its expansion.
    """
    sizes: dict[int, tuple[int, int]] = {}  # id -> (expanded nodes, depth)
    active: set[int] = set()

    def walk(o: Any, depth: int) -> tuple[int, int]:
        if not isinstance(o, dict | list | tuple):
            return 1, 0
        key = id(o)
        if key in sizes:
            return sizes[key]
        if key in active:
            raise error(f"the {what} refers to itself (a YAML alias inside its own anchor)",
                        hint="write the values out instead of referring back to an enclosing one",
                        source=source)
        if depth > max_depth:
            raise error(f"the {what} is nested more than {max_depth} levels deep",
                        hint="flatten it: specifications are a few levels deep", source=source)
        active.add(key)
        items = list(o.items()) if isinstance(o, dict) else [(None, v) for v in o]
        total, deepest = 1, 0
        for _, v in items:
            n, d = walk(v, depth + 1)
            total += n
            deepest = max(deepest, d)
            if total > max_nodes:
                raise error(f"the {what} expands to more than {max_nodes:,} values (YAML aliases "
                            "repeated inside each other?)",
                            hint="write the values out; do not nest aliases", source=source)
        active.discard(key)
        sizes[key] = (total, deepest + 1)
        if deepest + 1 > max_depth:
            raise error(f"the {what} is nested more than {max_depth} levels deep",
                        hint="flatten it: specifications are a few levels deep", source=source)
        return sizes[key]

    walk(obj, 0)


def parse_json(text: str, *, source: str = "", what: str = "file",
               error: type[InputDataError] | type[ConfigError] = InputDataError,
               max_nodes: int = MAX_NODES, max_depth: int = MAX_DEPTH) -> Any:
    """Parse JSON text; syntax errors, deep nesting and huge numbers become one clear line."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise error(f"not valid JSON: syntax error at line {exc.lineno}, column {exc.colno} ({exc.msg})",
                    hint="fix the JSON syntax at that line", source=source) from None
    except RecursionError:
        raise error(f"the {what} is nested too deeply to read",
                    hint=f"JSON specifications and plans are at most {max_depth} levels deep",
                    source=source) from None
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        raise error(f"the {what} holds a value that cannot be read ({exc})",
                    hint="write numbers with at most a few dozen digits", source=source) from None
    check_structure(data, source=source, what=what, error=error, max_nodes=max_nodes,
                    max_depth=max_depth)
    return data


def parse_yaml(text: str, *, source: str = "", what: str = "file",
               error: type[InputDataError] | type[ConfigError] = ConfigError,
               max_nodes: int = MAX_NODES, max_depth: int = MAX_DEPTH) -> Any:
    """Parse YAML with the safe loader (no Python objects), then bound its expansion and nesting."""
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise error(f"invalid YAML{where} ({exc.problem or exc.context or 'syntax error'})",
                    hint="fix the YAML syntax", source=source) from None
    except yaml.YAMLError as exc:
        raise error(f"invalid YAML ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})",
                    hint="fix the YAML syntax", source=source) from None
    except RecursionError:
        raise error(f"the {what} is nested too deeply to read",
                    hint=f"specifications are at most {max_depth} levels deep", source=source) from None
    except ValueError as exc:  # an integer of thousands of digits
        raise error(f"the {what} holds a value that cannot be read ({exc})",
                    hint="write numbers with at most a few dozen digits", source=source) from None
    check_structure(data, source=source, what=what, error=error, max_nodes=max_nodes,
                    max_depth=max_depth)
    return data


def load_spec_text(text: str, *, source: str, yaml: bool, what: str = "specification",
                   error: type[InputDataError] | type[ConfigError] = ConfigError,
                   max_nodes: int = MAX_SPEC_NODES) -> Any:
    """Parse a specification's text as YAML (``yaml=True``) or JSON, bounded (see above)."""
    if yaml:
        return parse_yaml(text, source=source, what=what, error=error, max_nodes=max_nodes)
    return parse_json(text, source=source, what=what, error=error, max_nodes=max_nodes)


def read_json_file(path: str | os.PathLike[str], *, what: str = "JSON file",
                   max_bytes: int = MAX_SPEC_BYTES,
                   error: type[InputDataError] | type[ConfigError] = InputDataError) -> Any:
    """Read and parse a JSON file, checked and bounded (see :func:`check_input_file`, :func:`parse_json`)."""
    text = read_input_text(path, what=what, max_bytes=max_bytes)
    if not text.strip():
        raise error(f"the {what} is empty", hint="write its JSON content, or check the path", source=str(path))
    return parse_json(text, source=str(path), what=what, error=error)


def read_csv_rows(path: str | os.PathLike[str], *, what: str = "table",
                  max_bytes: int = MAX_TABLE_BYTES) -> list[list[str]]:
    """The rows of a CSV file as lists of text cells, checked and bounded.

    Raises
    ------
    InputDataError
        The file is not a regular UTF-8 file within the limit, holds NUL bytes (a binary file), or
        is not parseable as CSV (an unterminated quote running to the end, a cell over the limit).
    """
    import csv
    import io

    text = read_input_text(path, what=what, max_bytes=max_bytes)
    if "\x00" in text:
        raise InputDataError(f"the {what} holds NUL bytes: it is not a text (CSV) file",
                             hint="save it as CSV (UTF-8)", source=str(path))
    try:
        return list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise InputDataError(f"the {what} is not a readable CSV ({exc})",
                             hint="save it as CSV (UTF-8); quote cells that hold commas or line breaks",
                             source=str(path)) from None


def read_csv_dicts(path: str | os.PathLike[str], *, what: str = "table",
                   max_bytes: int = MAX_TABLE_BYTES) -> list[dict[str, str]]:
    """The data rows of a CSV file with a header, as dictionaries (see :func:`read_csv_rows`).

    Cells missing at the end of a row are empty; a row with more cells than the header is an error
    naming the row (rows numbered as in a spreadsheet, the header being row 1).
    """
    rows = read_csv_rows(path, what=what, max_bytes=max_bytes)
    if not rows:
        return []
    header = [h.strip() for h in rows[0]]
    out = []
    for i, r in enumerate(rows[1:], start=2):
        if len(r) > len(header) and any(c.strip() for c in r[len(header):]):
            raise InputDataError(f"row {i} has {len(r)} cells, more than the header's {len(header)}",
                                 hint="quote cells that contain commas, or fix the row", source=str(path))
        if not any(c.strip() for c in r):
            continue
        out.append({h: (r[j] if j < len(r) else "") for j, h in enumerate(header)})
    return out
