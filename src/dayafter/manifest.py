"""Run manifests: versions, platform, input hashes, parameters and seeds of a run.

A manifest is a JSON file (``manifest.json``) written next to a run's results, so that every
figure can be traced to the code, data and seeds that produced it and the run can be replayed.

>>> from dayafter.manifest import record
>>> class Sampler:
...     def __init__(self, *, steps: int = 10, seed: int = 0) -> None:
...         self.steps, self.seed = steps, seed
>>> record(Sampler(steps=5))
{'class': 'Sampler', 'params': {'steps': 5, 'seed': 0}}
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import inspect
import os
import platform
import sys
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from dayafter._util.atomic import atomic_write_json
from dayafter._util.jsonable import to_jsonable
from dayafter.errors import InputDataError

__all__ = ["MANIFEST_NAME", "now_utc", "platform_info", "read_manifest", "record",
           "sha256_arrays", "sha256_file", "to_jsonable", "versions", "write_manifest"]

MANIFEST_NAME = "manifest.json"

_PACKAGES = ("dayafter", "numpy", "numba", "scipy", "pandas", "pyarrow", "networkx",
             "dask", "distributed")


def versions() -> dict[str, str]:
    """Versions of Python, dayafter and its key dependencies (absent ones are left out)."""
    out = {"python": sys.version.split()[0]}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return out


def platform_info() -> dict[str, str]:
    """The machine and operating system."""
    return {"system": platform.system(), "release": platform.release(),
            "machine": platform.machine(), "processor": platform.processor() or "",
            "cpus": str(os.cpu_count() or 0)}


def now_utc() -> str:
    """Current time in UTC, ISO 8601 with seconds."""
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds")


def sha256_file(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file's bytes."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def sha256_arrays(arrays: Mapping[str, np.ndarray]) -> str:
    """SHA-256 over named arrays (names, dtypes, shapes and bytes, in sorted name order)."""
    h = hashlib.sha256()
    for name in sorted(arrays):
        a = np.ascontiguousarray(arrays[name])
        h.update(f"{name}|{a.dtype.str}|{a.shape}|".encode())
        h.update(a.tobytes())
    return h.hexdigest()


def record(obj: Any) -> dict[str, Any]:
    """The class name and constructor parameters of a configurable run object.

    Reads the keyword arguments of ``type(obj).__init__`` back from attributes of the same name
    (scikit-learn's ``get_params`` convention).
    """
    sig = inspect.signature(type(obj).__init__)
    params = {}
    for name, p in sig.parameters.items():
        if name == "self" or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        params[name] = to_jsonable(getattr(obj, name))
    return {"class": type(obj).__name__, "params": params}


def write_manifest(path: str | os.PathLike[str], data: Mapping[str, Any]) -> Path:
    """Write ``data`` as strict JSON atomically (temporary file, fsync, rename); returns the path."""
    path = Path(path)
    atomic_write_json(path, data, indent=2)
    return path


def read_manifest(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a manifest (a run directory or the JSON file itself)."""
    p = Path(path)
    if p.is_dir():
        p = p / MANIFEST_NAME
    if not p.exists():
        raise InputDataError(f"no run manifest at {p}",
                             hint="give the directory a run was written to", source=str(path))
    from dayafter._inputs import read_json_file

    data = read_json_file(p, what="run manifest")
    if not isinstance(data, dict):
        raise InputDataError("the run manifest is not a JSON object", source=str(p),
                             hint="give the directory a run was written to")
    return data
