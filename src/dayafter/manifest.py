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
import json
import os
import platform
import sys
import tempfile
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

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


def to_jsonable(value: Any) -> Any:
    """Plain JSON form of parameters (tuples become lists, numpy scalars Python numbers)."""
    if isinstance(value, Mapping):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not np.isfinite(value):
        return None  # JSON has no NaN or infinity
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "to_dict"):
        return to_jsonable(value.to_dict())
    return value


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
    """Write ``data`` as JSON atomically (temporary file, then rename); returns the path."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".manifest-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(to_jsonable(data), fh, indent=2, sort_keys=False)
            fh.write("\n")
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def read_manifest(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a manifest (a run directory or the JSON file itself)."""
    p = Path(path)
    if p.is_dir():
        p = p / MANIFEST_NAME
    if not p.exists():
        raise InputDataError(f"no run manifest at {p}",
                             hint="give the directory a run was written to")
    try:
        return json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputDataError(f"run manifest {p} is not valid JSON ({exc.msg}, line {exc.lineno})",
                             source=str(p)) from exc
