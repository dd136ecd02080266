"""Strict JSON: what ``json.dumps(..., allow_nan=False)`` accepts, from numpy and dataclass values.

JSON has no NaN or infinity: they become ``null`` (a metric of an empty region, a bound that does not
exist). numpy scalars become Python numbers, arrays and tuples lists, paths strings, objects with a
``to_dict()`` method their dictionary, mapping keys strings.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from os import PathLike
from typing import Any

import numpy as np

__all__ = ["json_bytes", "json_dumps", "to_jsonable"]


def to_jsonable(value: Any, *, default: Callable[[Any], Any] | None = None) -> Any:
    """A copy of ``value`` made only of dict, list, str, int, float (finite), bool and None.

    Parameters
    ----------
    value
        Nested mappings, sequences, numpy scalars and arrays, paths, objects with ``to_dict()``.
    default
        Called on any other object (``str`` turns it into text); without it the object is kept
        as it is and ``json.dumps`` will refuse it, as it should refuse an unknown type.

    Returns
    -------
    Any
        Plain data; NaN and infinities are ``None``.

    Examples
    --------
    >>> import numpy as np
    >>> to_jsonable({"a": np.float32(0.5), "b": (1, np.int64(2)), "c": np.array([1.0, np.inf])})
    {'a': 0.5, 'b': [1, 2], 'c': [1.0, None]}
    >>> to_jsonable({1: float("-inf")})
    {'1': None}
    """
    if isinstance(value, bool | str | None):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, int):
        return value
    if isinstance(value, np.generic):
        return to_jsonable(value.item(), default=default)
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v, default=default) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v, default=default) for v in value]
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "biu":
            return value.tolist()
        return to_jsonable(value.tolist(), default=default)
    if isinstance(value, PathLike):
        return str(value)
    if hasattr(value, "to_dict") and callable(value.to_dict):
        return to_jsonable(value.to_dict(), default=default)
    if isinstance(value, set | frozenset):
        return [to_jsonable(v, default=default) for v in sorted(value, key=str)]
    return default(value) if default is not None else value


def json_dumps(value: Any, *, indent: int | None = None, default: Callable[[Any], Any] | None = str,
               sort_keys: bool = False, separators: tuple[str, str] | None = None) -> str:
    """Strict JSON text of ``value`` (see :func:`to_jsonable`), UTF-8 characters kept as they are.

    Compact (no spaces) unless ``indent`` or ``separators`` are given. Unknown objects become
    their ``str`` unless ``default=None`` (then they raise ``TypeError``).

    >>> json_dumps([1.5, float("inf")])
    '[1.5,null]'
    >>> json_dumps({"a": [1, 2]}, separators=(", ", ": "))
    '{"a": [1, 2]}'
    """
    if separators is None:
        separators = (",", ":") if indent is None else (",", ": ")
    return json.dumps(to_jsonable(value, default=default), ensure_ascii=False, allow_nan=False,
                      indent=indent, separators=separators, sort_keys=sort_keys)


def json_bytes(value: Any) -> bytes:
    """Compact strict JSON as UTF-8 bytes (the web app's responses).

    Plain data is dumped directly; only when that fails (NaN, numpy values) is it cleaned first, so
    the common case costs one ``json.dumps``.

    >>> json_bytes({"x": float("nan")})
    b'{"x":null}'
    """
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except (ValueError, TypeError):
        text = json_dumps(value)
    return text.encode("utf-8")
