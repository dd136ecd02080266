"""Atomic writes (kept here for the I/O modules that import them; they live in :mod:`dayafter._util`)."""

from __future__ import annotations

from dayafter._util.atomic import (
    atomic_path,
    atomic_write_bytes,
    atomic_write_json,
    atomic_write_text,
)

__all__ = ["atomic_path", "atomic_write_bytes", "atomic_write_json", "atomic_write_text"]
