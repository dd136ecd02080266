"""Summaries of figures over draws: point value with p05, p50 and p95.

>>> import numpy as np
>>> x = np.arange(101.0)                       # 101 draws of one figure: 0, 1, ..., 100
>>> r = summarise({"f": x}, {"f": 50.0})["f"]
>>> (r.point, r.p05, r.p50, r.p95)
(50.0, 5.0, 50.0, 95.0)
>>> r.to_dict()["p95"]
95.0
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from dayafter._util import finite

__all__ = ["QUANTILES", "Range", "quantiles", "summarise"]

QUANTILES = (0.05, 0.50, 0.95)
"""The quantiles reported for every figure: the 90% interval and the median."""


@dataclass(frozen=True)
class Range:
    """A figure's point value (on the census as given) and its quantiles over draws.

    ``p05``/``p95`` bound the central 90% of draws. NaN where the figure is undefined in every
    draw (e.g. a community with no people).
    """

    point: float
    p05: float
    p50: float
    p95: float

    @property
    def width(self) -> float:
        """``p95 - p05``."""
        return self.p95 - self.p05

    def contains(self, value: float) -> bool:
        """True when ``p05 <= value <= p95``."""
        return bool(self.p05 <= value <= self.p95)

    def to_dict(self) -> dict[str, float | None]:
        """JSON-ready (non-finite values become ``None``)."""
        return {k: finite(v) for k, v in (("point", self.point), ("p05", self.p05), ("p50", self.p50),
                             ("p95", self.p95))}


def quantiles(values: NDArray[np.float64], qs: tuple[float, ...] = QUANTILES) -> NDArray[np.float64]:
    """Quantiles of each row of ``values`` (``[F, d]`` or ``[d]``) ignoring NaN.

    Linear interpolation between order statistics (NumPy's default ``linear`` method, the same
    as :func:`numpy.nanquantile`), computed with one sort of the whole matrix. Rows with no finite
    value give NaN. Returns ``[F, len(qs)]`` (or ``[len(qs)]`` for a vector).
    """
    x = np.asarray(values, dtype=np.float64)
    vec = x.ndim == 1
    if vec:
        x = x[None, :]
    srt = np.sort(x, axis=1)  # NaN sort last
    cnt = np.sum(~np.isnan(x), axis=1)
    out = np.full((x.shape[0], len(qs)), np.nan)
    ok = cnt > 0
    rows = np.flatnonzero(ok)
    for j, q in enumerate(qs):
        pos = q * (cnt[ok] - 1)
        lo = np.floor(pos).astype(np.int64)
        hi = np.minimum(lo + 1, cnt[ok] - 1)
        frac = pos - lo
        a = srt[rows, lo]
        b = srt[rows, hi]
        out[ok, j] = a + (b - a) * frac
    return out[0] if vec else out


def summarise(values: Mapping[str, NDArray[np.float64]], point: Mapping[str, float]) -> dict[str, Range]:
    """Point value and quantiles of every figure.

    Parameters
    ----------
    values
        Figure key to its ``[d]`` values over draws.
    point
        Figure key to its point value (missing keys give NaN).
    """
    keys = list(values)
    if not keys:
        return {}
    mat = np.vstack([np.asarray(values[k], dtype=np.float64) for k in keys])
    q = quantiles(mat)
    return {k: Range(float(point.get(k, np.nan)), float(q[i, 0]), float(q[i, 1]), float(q[i, 2]))
            for i, k in enumerate(keys)}


def range_dict(r: Range, **extra: Any) -> dict[str, Any]:
    """``r.to_dict()`` with extra keys."""
    out: dict[str, Any] = dict(r.to_dict())
    out.update(extra)
    return out
