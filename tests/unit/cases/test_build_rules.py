"""The arithmetic rules of the northern-Iraq build (``tools/northern_iraq/rules.py``), each against a
hand computation, plus properties over generated inputs."""

from __future__ import annotations

import doctest
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.cases._tools import tools_on_path

tools_on_path()

from northern_iraq import rules as R  # noqa: E402

COMMS = ["sunni_arab", "shia_arab", "kurd", "yazidi"]


def test_doctests_of_the_rules_pass() -> None:
    res = doctest.testmod(R)
    assert res.attempted >= 15
    assert res.failed == 0


# ---------------------------------------------------------------------------------------------
# Status and confidence
# ---------------------------------------------------------------------------------------------
def test_worst_status_and_confidence() -> None:
    assert R.worst_status() == "sourced"
    assert R.worst_status("derived", "sourced", "imputed") == "imputed"
    assert R.worst_confidence("medium", "high") == "medium"
    with pytest.raises(R.RuleError, match="unknown status"):
        R.worst_status("guessed")
    with pytest.raises(R.RuleError, match="unknown confidence"):
        R.worst_confidence("very low")


def test_size_status_thresholds() -> None:
    assert R.size_status(10.0, 0.0, 0.0) == "sourced"
    assert R.size_status(0.0, 10.0, 0.0) == "derived"  # shared by data (the disc rule)
    assert R.size_status(5.0, 0.0, 5.0) == "derived"  # exactly half by area
    assert R.size_status(4.0, 0.0, 6.0) == "imputed"
    with pytest.raises(R.RuleError):
        R.size_status(0.0, 0.0, 0.0)


# ---------------------------------------------------------------------------------------------
# Growth and closure
# ---------------------------------------------------------------------------------------------
def test_growth_rate_of_the_ninewa_pair_by_hand() -> None:
    # (3,353,875 / 3,106,948) ** (1/4) - 1, computed by hand: 1.9303 %
    r = R.growth_rate(3_106_948, 2009, 3_353_875, 2013)
    assert r == pytest.approx(0.019303, abs=1e-6)
    assert R.grow(3_106_948, 2009, r, 2013) == pytest.approx(3_353_875)
    assert R.grow(100.0, 2013, r, 2013) == 100.0
    with pytest.raises(R.RuleError):
        R.growth_rate(0.0, 2009, 1.0, 2013)


def test_close_to_total_keeps_locked_values() -> None:
    closed, k = R.close_to_total({"a": 100.0, "b": 300.0, "s": 237_073.0}, 237_473.0 + 400.0, ["s"])
    assert closed["s"] == 237_073.0
    assert k == pytest.approx(2.0)
    assert sum(closed.values()) == pytest.approx(237_873.0)
    with pytest.raises(R.RuleError, match="exceed"):
        R.close_to_total({"a": 1.0, "s": 10.0}, 5.0, ["s"])


@given(st.lists(st.floats(0.1, 1e6), min_size=1, max_size=8), st.floats(1.0, 1e7))
@settings(max_examples=60, deadline=None)
def test_close_to_total_adds_up(vals: list[float], total: float) -> None:
    d = {f"d{i}": v for i, v in enumerate(vals)}
    closed, k = R.close_to_total(d, total)
    assert sum(closed.values()) == pytest.approx(total, rel=1e-9)
    for key, v in d.items():
        assert closed[key] == pytest.approx(v * k)


def test_waterfill_by_hand() -> None:
    # 1000 over weights 1:1:2 with a floor of 400 on the first: 400, then 600 over 1:2
    assert R.waterfill(1000.0, {"a": 1.0, "b": 1.0, "c": 2.0}, {"a": 400.0}) == pytest.approx(
        {"a": 400.0, "b": 200.0, "c": 400.0})
    # a floor below the proportional share changes nothing
    assert R.waterfill(1000.0, {"a": 1.0, "b": 1.0}, {"a": 10.0}) == {"a": 500.0, "b": 500.0}
    with pytest.raises(R.RuleError, match="floors"):
        R.waterfill(10.0, {"a": 1.0}, {"a": 20.0})


@given(st.lists(st.floats(0.0, 1e5), min_size=1, max_size=8), st.floats(0.0, 1.0), st.floats(1e3, 1e7))
@settings(max_examples=80, deadline=None)
def test_waterfill_respects_floors_and_adds_up(weights: list[float], floor_frac: float, total: float) -> None:
    w = {f"u{i}": x for i, x in enumerate(weights)}
    floors = {"u0": floor_frac * total}
    got = R.waterfill(total, w, floors)
    assert sum(got.values()) == pytest.approx(total, rel=1e-9, abs=1e-6)
    assert got["u0"] >= floors["u0"] - 1e-6
    assert all(v >= -1e-9 for v in got.values())


# ---------------------------------------------------------------------------------------------
# Integer allocation and split rules
# ---------------------------------------------------------------------------------------------
def test_largest_remainder_by_hand() -> None:
    # 10 over 1:1:1 -> 3.33 each, the first remainder gets the extra person
    assert R.largest_remainder([1.0, 1.0, 1.0], 10) == [4, 3, 3]
    assert R.largest_remainder([0.0, 2.0], 7) == [0, 7]
    assert R.largest_remainder([0.0, 0.0], 0) == [0, 0]
    with pytest.raises(R.RuleError):
        R.largest_remainder([0.0, 0.0], 3)


@given(st.lists(st.floats(0.0, 1e6), min_size=1, max_size=10), st.integers(0, 5_000_000))
@settings(max_examples=100, deadline=None)
def test_largest_remainder_adds_up_and_stays_within_one(vals: list[float], total: int) -> None:
    if sum(vals) <= 0:
        vals = [*vals[:-1], 1.0]
    got = R.largest_remainder(vals, total)
    assert sum(got) == total
    s = sum(vals)
    for g, v in zip(got, vals, strict=True):
        assert abs(g - v * total / s) < 1.0 + 1e-6


def test_disc_radius_and_split_weights() -> None:
    # 314,159 people at 10,000 per km2 hold 31.4159 km2: radius sqrt(10) km
    assert R.disc_radius_km(314_159.265, 10_000.0) == pytest.approx(math.sqrt(10.0), rel=1e-6)
    assert R.split_weights("area", [100.0, 300.0]) == [0.25, 0.75]
    assert R.split_weights("disc", [], [2.0, 0.0, 2.0]) == [0.5, 0.0, 0.5]
    with pytest.raises(R.RuleError, match="unknown split"):
        R.split_weights("population", [1.0])
    with pytest.raises(R.RuleError):
        R.split_weights("disc", [1.0])


# ---------------------------------------------------------------------------------------------
# Shares and ranges
# ---------------------------------------------------------------------------------------------
def test_parse_shares_splits_arabs_and_normalises() -> None:
    got = R.parse_shares("arab=0.6 kurd=0.4", 0.85, COMMS)
    assert got == pytest.approx({"sunni_arab": 0.51, "shia_arab": 0.09, "kurd": 0.4, "yazidi": 0.0})
    # within 2% of one: normalised
    assert sum(R.parse_shares("kurd=0.5 yazidi=0.49", 1.0, COMMS).values()) == pytest.approx(1.0)
    with pytest.raises(R.RuleError, match="add up"):
        R.parse_shares("kurd=0.5", 1.0, COMMS)
    with pytest.raises(R.RuleError, match="unknown community"):
        R.parse_shares("martian=1.0", 1.0, COMMS)


def test_parse_ranges_and_blend() -> None:
    assert R.parse_ranges("kurd=0.3:0.5 yazidi=0:0.1") == {"kurd": (0.3, 0.5), "yazidi": (0.0, 0.1)}
    with pytest.raises(R.RuleError):
        R.parse_ranges("kurd=0.6:0.5")
    town = {"kurd": 0.2, "yazidi": 0.8}
    rest = {"kurd": 1.0, "yazidi": 0.0}
    # 44,000 of 61,460 people in the town (Qaraqosh-like): 0.716 * town + 0.284 * rest
    t = 44_000 / 61_460
    got = R.blend(town, rest, t)
    assert got["yazidi"] == pytest.approx(0.8 * t)
    assert got["kurd"] == pytest.approx(0.2 * t + (1 - t))


def test_logit_range_by_hand() -> None:
    lo, hi = R.logit_range(0.5, math.log(3.0))  # odds 1 -> 1/3 and 3
    assert lo == pytest.approx(0.25)
    assert hi == pytest.approx(0.75)
    assert R.logit_range(0.0, 2.0) == (0.0, 0.0)
    assert R.logit_range(1.0, 2.0) == (1.0, 1.0)
    # a source's range is used, widened to hold the share
    assert R.share_range(0.45, 1.0, (0.30, 0.40)) == (0.30, 0.45)


@given(st.floats(0.0, 1.0), st.floats(0.0, 3.0))
@settings(max_examples=100, deadline=None)
def test_logit_range_contains_the_share_and_stays_in_unit_interval(share: float, spread: float) -> None:
    lo, hi = R.logit_range(share, spread)
    assert 0.0 <= lo <= share <= hi <= 1.0


def test_ratio_range() -> None:
    assert R.ratio_range([72.0, 137.0], [100.0, 100.0]) == (0.72, 1.37)
    assert R.ratio_range([110.0], [100.0]) == (1.0, 1.1)  # never narrower than 1
    with pytest.raises(R.RuleError):
        R.ratio_range([], [])


# ---------------------------------------------------------------------------------------------
# Current composition inside a census total
# ---------------------------------------------------------------------------------------------
def test_apply_current_by_hand() -> None:
    shares = {"sunni_arab": 0.5, "shia_arab": 0.0, "kurd": 0.3, "yazidi": 0.2}
    # Kifri-like: 1,000 people, 100 Kurds left, 50 Arabs came; scaled back to 1,000
    got = R.apply_current(1000.0, shares, deltas={"kurd": -100.0, "sunni_arab": 50.0})
    raw = {"sunni_arab": 550.0, "shia_arab": 0.0, "kurd": 200.0, "yazidi": 200.0}
    assert got == pytest.approx({k: v * 1000.0 / 950.0 for k, v in raw.items()})
    # a fixed count and a fixed share are kept, the rest rescaled
    got = R.apply_current(1000.0, shares, fixed_counts={"yazidi": 400.0}, fixed_shares={"kurd": 0.1})
    assert got["yazidi"] == 400.0
    assert got["kurd"] == pytest.approx(100.0)
    assert got["sunni_arab"] == pytest.approx(500.0)
    with pytest.raises(R.RuleError, match="exceed"):
        R.apply_current(100.0, shares, fixed_counts={"yazidi": 200.0})
    with pytest.raises(R.RuleError, match="unknown community"):
        R.apply_current(100.0, shares, weights={"martian": 0.5})


@given(
    st.lists(st.floats(0.0, 1.0), min_size=4, max_size=4),
    st.floats(1.0, 1e6),
    st.floats(0.0, 2.0),
    st.floats(-1e5, 1e5),
    st.floats(0.0, 0.5),
)
@settings(max_examples=100, deadline=None)
def test_apply_current_adds_up_and_stays_non_negative(raw: list[float], total: float, weight: float,
                                                     delta: float, share: float) -> None:
    if sum(raw) <= 0:
        raw = [1.0, *raw[1:]]
    shares = {k: v / sum(raw) for k, v in zip(COMMS, raw, strict=True)}
    try:
        got = R.apply_current(total, shares, weights={"kurd": weight}, deltas={"sunni_arab": delta},
                              fixed_shares={"yazidi": share})
    except R.RuleError as exc:  # nothing left to hold the rest: a clear error, not a wrong answer
        assert "no community left" in str(exc)
        return
    assert sum(got.values()) == pytest.approx(total, rel=1e-9)
    assert all(v >= -1e-9 for v in got.values())
    assert got["yazidi"] == pytest.approx(share * total)
