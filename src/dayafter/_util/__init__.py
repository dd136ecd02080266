"""Ground-floor helpers shared by every layer: strict JSON, atomic writes, small statistics.

This package imports nothing else of dayafter, so any module may use it (the import contracts in
``pyproject.toml`` keep it that way). Each helper exists once here; the rest of the package calls it.

>>> from dayafter._util import json_dumps
>>> json_dumps({"share": float("nan"), "n": 3})
'{"share":null,"n":3}'
"""

from __future__ import annotations

from dayafter._util.atomic import (
    atomic_path,
    atomic_savez,
    atomic_write_bytes,
    atomic_write_json,
    atomic_write_text,
)
from dayafter._util.jsonable import json_bytes, json_dumps, to_jsonable
from dayafter._util.stats import finite, percentile_rank, quantiles, ratio

__all__ = [
    "atomic_path",
    "atomic_savez",
    "atomic_write_bytes",
    "atomic_write_json",
    "atomic_write_text",
    "finite",
    "json_bytes",
    "json_dumps",
    "percentile_rank",
    "quantiles",
    "ratio",
    "to_jsonable",
]
