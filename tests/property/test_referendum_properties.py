"""Referendum decisions: the rule and the tie rule hold on random votes (hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from dayafter.referendum import decide, pivotal_units
from dayafter.referendum.simulate import _area_sum


@st.composite
def votes(draw):
    k = draw(st.integers(1, 5))
    o = draw(st.integers(2, 4))
    # small integers make exact ties frequent
    v = draw(arrays(np.float64, (k, o), elements=st.integers(0, 6).map(float)))
    sq = draw(arrays(np.int64, (k,), elements=st.integers(-1, o - 1)))
    return v, sq


def _reference(v, sq, rule):
    out = []
    for row, s in zip(v, sq, strict=True):
        total = row.sum()
        if total == 0:
            out.append(s)
            continue
        best = row.max()
        tied = [j for j in range(row.size) if row[j] == best]
        w = s if s in tied else tied[0]
        if rule == "majority" and not best > total / 2:
            w = s
        out.append(w)
    return out


@settings(max_examples=300, deadline=None)
@given(votes(), st.sampled_from(["plurality", "majority"]))
def test_decide_equals_the_stated_rule(data, rule):
    v, sq = data
    assert decide(v, sq, rule).tolist() == _reference(v, sq, rule)


@settings(max_examples=100, deadline=None)
@given(votes(), st.sampled_from(["plurality", "majority"]))
def test_decide_vectorised_over_draws(data, rule):
    v, sq = data
    stack = np.stack([v, v[::-1].copy(), v * 2])
    w = decide(stack, sq, rule)
    for d in range(3):
        assert w[d].tolist() == decide(stack[d], sq, rule).tolist()


@settings(max_examples=100, deadline=None)
@given(st.integers(2, 7), st.integers(2, 3), st.data())
def test_pivotal_equals_removing_each_unit(n, o, data):
    v = data.draw(arrays(np.float64, (1, n, o), elements=st.integers(0, 5).map(float)))
    codes = np.array(data.draw(st.lists(st.integers(-1, 1), min_size=n, max_size=n)))
    sq = np.array([0, 1])
    av = _area_sum(v, codes, 2)
    w = decide(av, sq)
    piv = pivotal_units(v, codes, av, w, sq, "plurality")[0]
    for i in range(n):
        if codes[i] < 0 or (codes == codes[i]).sum() < 2:
            assert not piv[i]
            continue
        keep = (codes == codes[i]) & (np.arange(n) != i)
        without = decide(v[0, keep].sum(axis=0)[None], sq[codes[i]:codes[i] + 1])[0]
        assert piv[i] == (without != w[0, codes[i]])
