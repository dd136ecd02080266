"""Numba kernel behind :func:`dayafter.returns.return_flows`: the flows for given displaced and
hosted people, in three fused passes per draw over flat ``[d, n, g]`` arrays (memory order)."""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True)
def return_flows(D, H, C, P, of):  # pragma: no cover - compiled
    """Returns, departures and the projected census for census draws.

    Parameters
    ----------
    D, H, C, P
        ``[d, n, g]`` displaced, hosted, current census and return propensity (any strides).
    of
        ``[d]`` factor on the propensity of the displaced living outside the territory.

    Returns
    -------
    R, dep, P_out, outside
        Returns, departures and projected census ``[d, n, g]``; arrivals from outside ``[d, g]``.
    """
    d, n, g = C.shape
    R = np.empty((d, n, g))
    dep = np.empty((d, n, g))
    out = np.empty((d, n, g))
    outside = np.zeros((d, g))
    sd = np.empty(g)
    sh = np.empty(g)
    f_in = np.empty(g)
    w_out = np.empty(g)
    r_in = np.empty(g)
    ratio = np.empty(g)
    for s in range(d):
        sd[:] = 0.0
        sh[:] = 0.0
        r_in[:] = 0.0
        for i in range(n):
            for c in range(g):
                sd[c] += D[s, i, c]
                sh[c] += H[s, i, c]
        for c in range(g):
            f = 0.0
            if sd[c] > 0.0:
                f = (sh[c] if sh[c] < sd[c] else sd[c]) / sd[c]
            f_in[c] = f
            w_out[c] = (1.0 - f) * of[s]
        for i in range(n):
            for c in range(g):
                pd = D[s, i, c] * P[s, i, c]
                a = pd * f_in[c]
                b = pd * w_out[c]
                R[s, i, c] = a + b
                r_in[c] += a
                outside[s, c] += b
        for c in range(g):
            x = 0.0
            if sh[c] > 0.0:
                x = r_in[c] / sh[c]
                if x > 1.0:
                    x = 1.0
            ratio[c] = x
        for i in range(n):
            for c in range(g):
                x = H[s, i, c] * ratio[c]
                dep[s, i, c] = x
                v = C[s, i, c] + R[s, i, c] - x
                out[s, i, c] = v if v > 0.0 else 0.0
    return R, dep, out, outside
