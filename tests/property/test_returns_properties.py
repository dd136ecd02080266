"""Returns conserve people and never exceed the displaced (hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from dayafter.returns import return_flows


@st.composite
def censuses(draw):
    d = draw(st.integers(1, 3))
    n = draw(st.integers(1, 6))
    g = draw(st.integers(1, 3))
    pop = st.floats(0, 1e5, allow_nan=False, allow_infinity=False)
    B = draw(arrays(np.float64, (d, n, g), elements=pop))
    C = draw(arrays(np.float64, (d, n, g), elements=pop))
    p = draw(arrays(np.float64, (d, n, g), elements=st.floats(0, 1)))
    of = draw(arrays(np.float64, (d,), elements=st.floats(0, 1)))
    growth = draw(st.one_of(st.none(), st.floats(0.5, 2.0)))
    return B, C, p, of, growth


@settings(max_examples=100, deadline=None)
@given(censuses())
def test_people_conserved_and_returns_bounded(data):
    B, C, p, of, growth = data
    f = return_flows(B, C, p, outside_factor=of, growth=growth)
    scale = 1e-9 * max(1.0, float(B.max(initial=0)), float(C.max(initial=0)))
    # nobody returns who was not displaced; nobody leaves a unit who was not hosted there
    assert np.all(f.returns >= -scale) and np.all(f.returns <= f.displaced + scale)
    assert np.all(f.departures >= -scale) and np.all(f.departures <= f.hosted + scale)
    assert np.all(f.projected >= 0)
    # people are conserved: the projected total of every community is the current total plus
    # the returnees from outside, and those never exceed the displaced living outside
    np.testing.assert_allclose(f.projected.sum(axis=1), C.sum(axis=1) + f.outside,
                               rtol=1e-9, atol=1e-6)
    outside_pool = np.maximum(f.displaced.sum(axis=1) - f.hosted.sum(axis=1), 0.0)
    assert np.all(f.outside <= outside_pool + 1e-6)
    # returns are the departures plus the arrivals from outside
    np.testing.assert_allclose(f.returns.sum(axis=1), f.departures.sum(axis=1) + f.outside,
                               rtol=1e-9, atol=1e-6)


@settings(max_examples=100, deadline=None)
@given(censuses(), st.floats(0, 1))
def test_more_propensity_never_fewer_returns(data, bump):
    B, C, p, of, growth = data
    f1 = return_flows(B, C, p, outside_factor=of, growth=growth)
    f2 = return_flows(B, C, np.minimum(p + bump, 1.0), outside_factor=of, growth=growth)
    assert np.all(f2.returns >= f1.returns - 1e-9)


@settings(max_examples=100, deadline=None)
@given(censuses())
def test_unit_order_does_not_matter(data):
    B, C, p, of, growth = data
    perm = np.random.default_rng(0).permutation(B.shape[1])
    f = return_flows(B, C, p, outside_factor=of, growth=growth)
    g = return_flows(B[:, perm], C[:, perm], p[:, perm], outside_factor=of, growth=growth)
    np.testing.assert_allclose(f.projected[:, perm], g.projected, rtol=1e-9, atol=1e-6)


@settings(max_examples=100, deadline=None)
@given(censuses(), st.sampled_from(["none", "scalar", "unit"]))
def test_kernel_equals_the_numpy_reference(data, growth_kind):
    from dayafter.returns.project import _flows_numpy, displacement

    B, C, p, of, _ = data
    growth = {"none": None, "scalar": 1.3,
              "unit": np.linspace(0.8, 1.2, B.shape[1])[:, None]}[growth_kind]
    f = return_flows(B, C, p, outside_factor=of, growth=growth)
    D, H, _ = displacement(B, C, growth)
    R, dep, P, outside = _flows_numpy(D, H, C, p, of)
    for a, b in ((f.displaced, D), (f.hosted, H), (f.returns, R), (f.departures, dep),
                 (f.projected, P), (f.outside, outside)):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-6)
