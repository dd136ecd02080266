"""Representation indices against values worked out by hand and brute-force loops."""

from __future__ import annotations

import math

import numpy as np
import pytest

from dayafter.councils import (
    apportion,
    effective_number,
    gallagher,
    loosemore_hanby,
    seat_vote_table,
)


def test_hand_values() -> None:
    # votes 50/30/20 %, seats 6/3/1 of 10: differences -10, 0, +10 points
    v, s = [500, 300, 200], [6, 3, 1]
    assert float(gallagher(v, s)) == pytest.approx(math.sqrt(0.5 * (100 + 0 + 100)))
    assert float(loosemore_hanby(v, s)) == pytest.approx(10.0)
    # 1 / (0.25 + 0.09 + 0.04) and 1 / (0.36 + 0.09 + 0.01)
    assert float(effective_number(v)) == pytest.approx(1 / 0.38)
    assert float(effective_number(s)) == pytest.approx(1 / 0.46)
    t = seat_vote_table(v, s)
    assert t["seat_share"].tolist() == pytest.approx([60, 30, 10])
    assert t["advantage"].tolist() == pytest.approx([1.2, 1.0, 0.5])


def test_perfect_proportionality_and_empty() -> None:
    assert float(gallagher([2, 2], [1, 1])) == 0.0
    assert float(loosemore_hanby([2, 2], [1, 1])) == 0.0
    assert float(effective_number([0, 0])) == 0.0
    assert np.isnan(seat_vote_table([0, 1], [0, 1])["advantage"][0])


def test_vectorised_rows_equal_loops(global_seed: int) -> None:
    rng = np.random.default_rng(global_seed)
    V = rng.integers(0, 10_000, size=(20, 7))
    V[:, 0] += 1
    S = np.array([apportion(row, 15, method="dhondt", rng=rng).seats for row in V])
    g = gallagher(V, S)
    lh = loosemore_hanby(V, S)
    for e in range(20):
        vs = [100 * x / V[e].sum() for x in V[e]]
        ss = [100 * x / S[e].sum() for x in S[e]]
        assert g[e] == pytest.approx(math.sqrt(0.5 * sum((a - b) ** 2 for a, b in zip(vs, ss, strict=True))))
        assert lh[e] == pytest.approx(0.5 * sum(abs(a - b) for a, b in zip(vs, ss, strict=True)))


def test_dhondt_more_disproportional_than_webster_on_average() -> None:
    """A known regularity: D'Hondt favours large lists, so its Gallagher index is higher on
    average than Sainte-Lague's (Sainte-Lague minimises a closely related squared error)."""
    rng = np.random.default_rng(11)
    V = (rng.dirichlet(np.full(8, 0.7), size=300) * 100_000).astype(np.int64) + 1
    d = [float(gallagher(v, apportion(v, 20, method="dhondt", rng=rng).seats)) for v in V]
    w = [float(gallagher(v, apportion(v, 20, rng=rng).seats)) for v in V]
    assert np.mean(d) > np.mean(w)
