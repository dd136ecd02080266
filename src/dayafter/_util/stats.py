"""Small statistics on samples that may hold NaN (ensemble columns, draws of a census)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import SupportsFloat

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["finite", "percentile_rank", "quantiles", "ratio"]


def finite(x: SupportsFloat) -> float | None:
    """``x`` as a Python float, or ``None`` when it is NaN or infinite (JSON's missing value).

    >>> finite(0.25), finite(float("nan"))
    (0.25, None)
    """
    x = float(x)
    return x if np.isfinite(x) else None


def percentile_rank(samples: ArrayLike, value: float, *, scale: float = 100.0) -> float:
    """Mid-rank percentile of ``value`` among ``samples``: the share below it plus half the ties.

    Parameters
    ----------
    samples
        The sample; NaN and infinite entries are ignored.
    value
        The value to place.
    scale
        100 for a percentile (default), 1 for a share.

    Returns
    -------
    float
        In ``[0, scale]``; NaN when no sample is finite or ``value`` is not finite.

    Notes
    -----
    The mid-rank convention (ties count half) makes the rank of a value drawn from the same
    continuous distribution uniform on average, and a plan equal to every sample sits at 50.

    Examples
    --------
    >>> percentile_rank([1.0, 2.0, 3.0, 4.0], 2.0)
    37.5
    >>> percentile_rank([1.0, 1.0], 1.0, scale=1)
    0.5
    """
    x = np.asarray(samples, dtype=np.float64).ravel()
    x = x[np.isfinite(x)]
    if x.size == 0 or not np.isfinite(value):
        return float("nan")
    below = np.count_nonzero(x < value)
    ties = np.count_nonzero(x == value)
    return float(scale * (below + 0.5 * ties) / x.size)


def quantiles(samples: ArrayLike, qs: Sequence[float] = (0.05, 0.5, 0.95)) -> NDArray[np.float64]:
    """Quantiles of the finite entries of ``samples`` (NaN for each when none is finite).

    >>> quantiles([3.0, 1.0, float("nan"), 2.0], (0.0, 0.5, 1.0)).tolist()
    [1.0, 2.0, 3.0]
    """
    x = np.asarray(samples, dtype=np.float64).ravel()
    x = x[np.isfinite(x)]
    if x.size == 0:
        return np.full(len(qs), np.nan)
    return np.asarray(np.quantile(x, list(qs)), dtype=np.float64)


def ratio(num: ArrayLike, den: ArrayLike, *, fill: float = np.nan) -> NDArray[np.float64]:
    """``num / den`` elementwise where ``den > 0``, ``fill`` elsewhere (no division warnings).

    >>> ratio([1.0, 2.0, 3.0], [2.0, 0.0, -1.0]).tolist()
    [0.5, nan, nan]
    >>> ratio([1.0, 2.0], [4.0, 0.0], fill=0.0).tolist()
    [0.25, 0.0]
    """
    n = np.asarray(num, dtype=np.float64)
    d = np.asarray(den, dtype=np.float64)
    out = np.full(np.broadcast_shapes(n.shape, d.shape), fill, dtype=np.float64)
    np.divide(n, d, out=out, where=d > 0)
    return out
