"""Population, balance and composition metrics over a per-region tally ``P[k, g]``.

Every function takes the tally (region x community populations, see :func:`dayafter.metrics.tally`)
and returns an array indexed by region or by community. Formulas are those of DESIGN.md.

>>> import numpy as np
>>> P = np.array([[90.0, 10.0], [20.0, 80.0]])   # two regions, two communities
>>> shares(P).round(2).tolist()
[[0.9, 0.1], [0.2, 0.8]]
>>> fractionalization(P).round(3).tolist()
[0.18, 0.32]
>>> empowerment(P).tolist()                       # share of each community where it is largest
[0.8181818181818182, 0.8888888888888888]
>>> stranded(P, threshold=0.15).tolist()          # share living where it is under 15%
[0.0, 0.1111111111111111]
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

__all__ = [
    "dissimilarity",
    "empowerment",
    "fractionalization",
    "largest_community",
    "polarization",
    "population_deviation",
    "shares",
    "stranded",
    "theil_h",
]

Tally = NDArray[np.float64]


def shares(P: Tally) -> NDArray[np.float64]:
    """Community shares ``s[k, g] = P[k, g] / N[k]`` (NaN for empty regions)."""
    N = P.sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(N > 0, P / np.where(N > 0, N, 1.0), np.nan)


def population_deviation(N: NDArray[np.float64], ideal: float | None = None) -> NDArray[np.float64]:
    """Relative deviation ``(N[k] - ideal) / ideal`` with ``ideal`` the mean region population.

    >>> population_deviation(np.array([90.0, 110.0])).tolist()
    [-0.1, 0.1]
    """
    if ideal is None:
        ideal = float(N.mean()) if N.size else 0.0
    if ideal <= 0:
        return np.full(N.shape, np.nan)
    return (N - ideal) / ideal


def largest_community(P: Tally) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    """Index of the largest community of each region and its share (homogeneity).

    Ties go to the first community in column order; empty regions give ``-1`` and NaN.
    """
    s = shares(P)
    empty = P.sum(axis=1) <= 0
    idx = np.where(empty, -1, np.argmax(np.nan_to_num(s, nan=-1.0), axis=1))
    top = np.where(empty, np.nan, np.nanmax(np.where(empty[:, None], 0.0, s), axis=1))
    return idx.astype(np.int64), top


def fractionalization(P: Tally) -> NDArray[np.float64]:
    """Ethnic fractionalization ``F[k] = 1 - sum_g s[k, g]^2`` (NaN for empty regions)."""
    s = shares(P)
    out: NDArray[np.float64] = 1.0 - np.sum(s * s, axis=1)
    return out


def polarization(P: Tally) -> NDArray[np.float64]:
    """Reynal-Querol polarization ``RQ[k] = 4 sum_g s^2 (1 - s)`` (NaN for empty regions).

    >>> polarization(np.array([[50.0, 50.0], [100.0, 0.0]])).tolist()
    [1.0, 0.0]
    """
    s = shares(P)
    out: NDArray[np.float64] = 4.0 * np.sum(s * s * (1.0 - s), axis=1)
    return out


def _community_totals(P: Tally, totals: NDArray[np.float64] | None) -> NDArray[np.float64]:
    return P.sum(axis=0) if totals is None else np.asarray(totals, dtype=np.float64)


def empowerment(P: Tally, *, majority: bool = False,
                totals: NDArray[np.float64] | None = None) -> NDArray[np.float64]:
    """Territorial empowerment: share of each community living in regions where it is largest.

    With ``majority=True``, only regions where the community holds an absolute majority (share above
    one half) count. A community tied for largest counts as largest. ``totals`` are the
    communities' whole populations (default: the people in ``P``); people in units outside every
    region count in the denominator, never as empowered. Communities with no people give NaN.
    """
    s = shares(P)
    occupied = P.sum(axis=1) > 0
    if majority:
        mask = (s > 0.5) & occupied[:, None]
    else:
        top = np.where(occupied, np.nanmax(np.where(occupied[:, None], s, 0.0), axis=1), np.inf)
        mask = (s >= top[:, None]) & occupied[:, None] & (P > 0)
    tot = _community_totals(P, totals)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(tot > 0, (P * mask).sum(axis=0) / np.where(tot > 0, tot, 1.0), np.nan)


def stranded(P: Tally, *, threshold: float = 0.10,
             totals: NDArray[np.float64] | None = None) -> NDArray[np.float64]:
    """Share of each community living in regions where its share is below ``threshold``.

    ``totals`` as in :func:`empowerment`. Empty regions hold nobody and are ignored; communities with
    no people give NaN.
    """
    s = shares(P)
    mask = (s < threshold) & (P.sum(axis=1) > 0)[:, None]
    tot = _community_totals(P, totals)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(tot > 0, (P * mask).sum(axis=0) / np.where(tot > 0, tot, 1.0), np.nan)


def stranded_population(P: Tally, *, threshold: float = 0.10) -> NDArray[np.float64]:
    """People of each community living in regions where its share is below ``threshold``."""
    s = shares(P)
    mask = (s < threshold) & (P.sum(axis=1) > 0)[:, None]
    out: NDArray[np.float64] = (P * mask).sum(axis=0)
    return out


def _entropy(p: NDArray[np.float64], axis: int = -1) -> NDArray[np.float64]:
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    out: NDArray[np.float64] = -t.sum(axis=axis)
    return out


def theil_h(P: Tally) -> float:
    """Theil's multi-group information index ``H = sum_k N_k (E - E_k) / (N E)``.

    ``E`` is the entropy of the whole population's composition and ``E_k`` that of region ``k``.
    0 when every region has the overall composition, 1 when every region holds one community only.
    NaN when the whole population belongs to a single community.

    >>> theil_h(np.array([[10.0, 0.0], [0.0, 10.0]]))
    1.0
    >>> theil_h(np.array([[5.0, 5.0], [5.0, 5.0]]))
    0.0
    """
    N_k = P.sum(axis=1)
    N = N_k.sum()
    if N <= 0:
        return float("nan")
    E = float(_entropy(P.sum(axis=0) / N))
    if E <= 0:
        return float("nan")
    occ = N_k > 0
    E_k = _entropy(P[occ] / N_k[occ, None], axis=1)
    return float(np.sum(N_k[occ] * (E - E_k)) / (N * E))


def dissimilarity(P: Tally) -> NDArray[np.float64]:
    """Pairwise dissimilarity ``D[a, b] = 1/2 sum_k |P[k, a] / T_a - P[k, b] / T_b|``.

    Symmetric ``(g, g)`` matrix with zeros on the diagonal; NaN for communities with no people.

    >>> dissimilarity(np.array([[10.0, 0.0], [0.0, 10.0]])).tolist()
    [[0.0, 1.0], [1.0, 0.0]]
    """
    tot = P.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        dist = np.where(tot > 0, P / np.where(tot > 0, tot, 1.0), np.nan)  # (k, g)
    D: NDArray[np.float64] = 0.5 * np.abs(dist[:, :, None] - dist[:, None, :]).sum(axis=0)
    return D
