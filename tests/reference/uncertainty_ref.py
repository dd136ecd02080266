"""Slow pure-Python reference of the census model (dayafter.uncertainty.model), figure by figure.

Written from the model's documentation, without the kernels: one unit at a time, one figure at a
time, with plain floats. Used to draw "true" censuses in the coverage tests and to check the
kernel's draws.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.stats import norm


def effective_ranges(values, low, high, total_low, total_high):
    """Point value and [low, high] of every figure (NaN ends: zero width)."""
    tot = values.sum(axis=1)
    lo = np.where(np.isfinite(low), low, values)
    hi = np.where(np.isfinite(high), high, values)
    tl = np.where(np.isfinite(total_low), total_low, tot)
    th = np.where(np.isfinite(total_high), total_high, tot)
    return tot, np.minimum(lo, values), np.maximum(hi, values), np.minimum(tl, tot), np.maximum(th, tot)


def draw_census(values, low, high, total_low, total_high, rng, *, coverage=0.9):
    """One draw of a census under the documented model ("composition" reading, independent)."""
    c = float(norm.ppf(0.5 + coverage / 2))
    n, g = values.shape
    tot, lo, hi, tl, th = effective_ranges(values, low, high, total_low, total_high)
    out = np.zeros((n, g))
    for i in range(n):
        z = float(rng.standard_normal())
        V = float(tot[i])
        scale = (V - tl[i]) / c if z < 0 else (th[i] - V) / c
        S = max(0.0, V + scale * z)
        ys = []
        for j in range(g):
            zj = float(rng.standard_normal())
            v = float(values[i, j])
            sc = (v - lo[i, j]) / c if zj < 0 else (hi[i, j] - v) / c
            ys.append(max(0.0, v + sc * zj))
        total_y = math.fsum(ys)
        if total_y > 0:
            out[i] = [S * y / total_y for y in ys]
        elif V > 0:
            out[i] = [S * float(v) / V for v in values[i]]
    return out


def ranged_grid(rows, cols, g, rng, *, rel_size=(0.05, 0.4), rel_comm=(0.05, 0.6), zero_share=0.2,
                integer=True, censuses=("now",)):
    """A grid territory whose every figure has a stated range (relative widths drawn at random).

    Some community counts are zero with a zero-width range; values are whole numbers unless
    ``integer=False``.
    """
    from dayafter.territory import CensusRange
    from dayafter.testing.strategies import grid_territory

    n = rows * cols
    tables, ranges = {}, {}
    for name in censuses:
        pop = rng.gamma(2.0, 500.0, size=(n, g)) * (rng.random((n, g)) > zero_share)
        pop = np.round(pop) if integer else pop
        pop[pop.sum(axis=1) == 0, 0] = 10.0
        tables[name] = pop
    t = grid_territory(rows, cols, tables[censuses[0]])
    from dataclasses import replace

    t = replace(t, censuses=tables)
    for name, pop in tables.items():
        tot = pop.sum(axis=1)
        a_lo = rng.uniform(*rel_comm, size=(n, g))
        a_hi = rng.uniform(*rel_comm, size=(n, g))
        s_lo = rng.uniform(*rel_size, size=n)
        s_hi = rng.uniform(*rel_size, size=n)
        ranges[name] = CensusRange(pop * (1 - np.minimum(a_lo, 0.95)), pop * (1 + a_hi),
                                   tot * (1 - s_lo), tot * (1 + s_hi), source="synthetic")
    return t.with_ranges(ranges)
