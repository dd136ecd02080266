"""Representation indices: disproportionality and the effective number of parties.

All functions take vote and seat counts (not shares) per list, and accept a trailing axis of
lists, so ``(E, L)`` tables give one value per election.

>>> from dayafter.councils.indices import gallagher, loosemore_hanby, effective_number
>>> round(float(gallagher([60, 40], [7, 3])), 4)
10.0
>>> round(float(loosemore_hanby([60, 40], [7, 3])), 4)
10.0
>>> float(effective_number([50, 50]))
2.0
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "effective_number",
    "gallagher",
    "loosemore_hanby",
    "seat_vote_table",
    "shares_percent",
]


def shares_percent(x: ArrayLike) -> NDArray[np.float64]:
    """Shares in percent along the last axis (all zeros where the total is zero)."""
    a = np.asarray(x, dtype=np.float64)
    tot = a.sum(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.where(tot > 0, 100.0 * a / np.where(tot > 0, tot, 1.0), 0.0)
    return s


def gallagher(votes: ArrayLike, seats: ArrayLike) -> NDArray[np.float64]:
    """Gallagher's least-squares index ``sqrt(0.5 * sum((v_i - s_i)**2))`` in percentage points.

    Notes
    -----
    Gallagher, M. (1991), "Proportionality, disproportionality and electoral systems",
    *Electoral Studies* 10(1). ``O(L)``.
    """
    d = shares_percent(votes) - shares_percent(seats)
    out: NDArray[np.float64] = np.sqrt(0.5 * np.sum(d * d, axis=-1))
    return out


def loosemore_hanby(votes: ArrayLike, seats: ArrayLike) -> NDArray[np.float64]:
    """Loosemore-Hanby index ``0.5 * sum |v_i - s_i|`` in percentage points.

    Notes
    -----
    Loosemore, J. and Hanby, V. J. (1971), *British Journal of Political Science* 1(4).
    """
    out: NDArray[np.float64] = 0.5 * np.sum(np.abs(shares_percent(votes) - shares_percent(seats)), axis=-1)
    return out


def effective_number(counts: ArrayLike) -> NDArray[np.float64]:
    """Laakso-Taagepera effective number ``1 / sum p_i**2`` of vote or seat shares.

    Zero when the counts are all zero.

    Notes
    -----
    Laakso, M. and Taagepera, R. (1979), "Effective number of parties", *Comparative Political
    Studies* 12(1).
    """
    p = shares_percent(counts) / 100.0
    h = np.sum(p * p, axis=-1)
    with np.errstate(divide="ignore"):
        return np.where(h > 0, 1.0 / np.where(h > 0, h, 1.0), 0.0)


def seat_vote_table(votes: ArrayLike, seats: ArrayLike) -> dict[str, NDArray[np.float64]]:
    """Vote share, seat share (percent) and their ratio (advantage ratio) per list.

    The ratio is ``nan`` for lists without votes.
    """
    vs = shares_percent(votes)
    ss = shares_percent(seats)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(vs > 0, ss / np.where(vs > 0, vs, 1.0), np.nan)
    return {"vote_share": vs, "seat_share": ss, "advantage": ratio}
