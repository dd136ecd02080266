"""Numba kernel of the divisor methods: exact integer comparisons, one election per row.

A list's claim to its next seat is the quotient ``votes / d(k)`` where ``k`` is the number of
seats it already holds. Every quotient is kept as an integer pair ``(num, den)`` meaning
``num / den`` (``den == 0`` means an infinite claim, as for the first seat under Adams,
Huntington-Hill and Dean), and two claims are compared by cross-multiplication, so no
floating-point rounding ever decides a seat. Huntington-Hill's divisor ``sqrt(k (k + 1))`` is
irrational; its claims are compared through their squares ``votes**2 / (k (k + 1))``.

The public wrapper (:func:`dayafter.councils.apportion_many`) checks that the products fit in
int64 before calling in here.
"""

from __future__ import annotations

import numpy as np
from numba import njit

DHONDT = 0
SAINTE_LAGUE = 1
HUNTINGTON_HILL = 2
ADAMS = 3
DEAN = 4


@njit(cache=True)
def claim(code, v, k, fn, fd):  # pragma: no cover - compiled
    """``(num, den)`` of the claim of a list with ``v`` votes holding ``k`` seats."""
    if code == DHONDT:
        return v, k + 1
    if code == SAINTE_LAGUE:
        if k == 0:
            return v * fd, fn  # v / (fn / fd)
        return v, 2 * k + 1
    if code == HUNTINGTON_HILL:
        return v * v, k * (k + 1)
    if code == ADAMS:
        return v, k
    # Dean: divisor 2 k (k + 1) / (2 k + 1)
    return v * (2 * k + 1), 2 * k * (k + 1)


@njit(cache=True)
def compare(n1, d1, n2, d2):  # pragma: no cover - compiled
    """Sign of ``n1/d1 - n2/d2`` with ``den == 0`` meaning infinity (ties among infinities by num)."""
    if d1 == 0 and d2 == 0:
        if n1 > n2:
            return 1
        if n1 < n2:
            return -1
        return 0
    if d1 == 0:
        return 1
    if d2 == 0:
        return -1
    a = n1 * d2
    b = n2 * d1
    if a > b:
        return 1
    if a < b:
        return -1
    return 0


@njit(cache=True)
def divisor_batch(votes, seats, init, eligible, code, fn, fd):  # pragma: no cover - compiled
    """Apportion ``seats[e]`` among the lists of every row ``e`` of ``votes``.

    Parameters
    ----------
    votes : int64[E, L]
    seats : int64[E]
    init : int64[E, L]
        Seats each list holds before the divisor rounds (minimum seats).
    eligible : bool[E, L]
        Lists that may receive seats (positive votes, threshold passed).
    code, fn, fd : int
        Method code and the first divisor ``fn / fd`` (Sainte-Laguë only).

    Returns
    -------
    out : int64[E, L]
        Seats; where a tie at the last seats cannot be split, those seats stay unallocated.
    tied : int64[E]
        Number of seats left to split by a tie (0 when the result is decided).
    n_tied : int64[E]
        Number of lists sharing that tie.
    """
    E, L = votes.shape
    out = init.copy()
    tied = np.zeros(E, dtype=np.int64)
    n_tied = np.zeros(E, dtype=np.int64)
    cn = np.zeros(L, dtype=np.int64)
    cd = np.zeros(L, dtype=np.int64)
    for e in range(E):
        remaining = seats[e]
        for i in range(L):
            remaining -= out[e, i]
            if eligible[e, i]:
                cn[i], cd[i] = claim(code, votes[e, i], out[e, i], fn, fd)
        while remaining > 0:
            best = -1
            count = 0
            for i in range(L):
                if not eligible[e, i]:
                    continue
                if best < 0:
                    best = i
                    count = 1
                else:
                    c = compare(cn[i], cd[i], cn[best], cd[best])
                    if c > 0:
                        best = i
                        count = 1
                    elif c == 0:
                        count += 1
            if best < 0:
                break  # no eligible list: the wrapper rejects this case before calling
            if count <= remaining:
                bn = cn[best]
                bd = cd[best]
                for i in range(L):
                    if eligible[e, i] and compare(cn[i], cd[i], bn, bd) == 0:
                        out[e, i] += 1
                        cn[i], cd[i] = claim(code, votes[e, i], out[e, i], fn, fd)
                remaining -= count
            else:
                tied[e] = remaining
                n_tied[e] = count
                remaining = 0
    return out, tied, n_tied
