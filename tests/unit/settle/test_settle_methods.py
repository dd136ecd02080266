"""Settlement methods against published examples and brute force over all allocations."""

from __future__ import annotations

import itertools
from fractions import Fraction

import numpy as np
import pytest
from scipy.optimize import linprog

from dayafter.errors import ConfigError, ConvergenceWarning, InfeasibleError, InputDataError
from dayafter.settle import (
    METHODS,
    ClaimsProblem,
    adjusted_winner,
    compensate,
    efeq_transfers,
    envy_free_matching_rounds,
    knaster,
    max_nash_welfare,
    min_subsidy,
    minimal_subsidies,
    settle,
)


def _problem(v, budget=0.0):
    v = np.asarray(v, dtype=float)
    return ClaimsProblem(tuple(f"P{i}" for i in range(v.shape[0])),
                         tuple(f"u{j}" for j in range(v.shape[1])), v, budget=budget)


# ------------------------------------------------------------------ published examples
def test_adjusted_winner_bob_and_carol_brams_taylor():
    # fairdiv_public.md A1 (Brams and Taylor 1996, pp. 65-94)
    items = ("Retirement account", "Home", "Summer cottage", "Investments", "Other")
    pr = ClaimsProblem(("Carol", "Bob"), items,
                       [[50, 20, 15, 10, 5], [40, 30, 10, 10, 10]])
    s = adjusted_winner(pr)
    assert s.method == "adjusted-winner"
    assert s.meta["points_after"] == ["170/3", "170/3"]
    assert s.meta["split_unit"] == "Retirement account"
    assert s.meta["split_shares"] == {"Carol": "5/6", "Bob": "1/6"}
    assert Fraction(s.meta["split_shares"]["Bob"]) == Fraction(1, 6)
    assert s.units_of("Carol") == ["Summer cottage"]
    assert s.units_of("Bob") == ["Home", "Investments", "Other"]
    assert s.owner.tolist() == [-1, 1, 0, 1, 1]
    np.testing.assert_allclose(s.utilities, [170 / 3, 170 / 3])
    assert s.is_envy_free()
    assert any("Investments" in n and "Bob" in n for n in s.notes)  # tie rule
    d = s.to_dict()
    assert d["units"][0]["holder"] == "shared"


def test_adjusted_winner_money_conversion_keeps_budget_balance():
    pr = ClaimsProblem(("Carol", "Bob"), tuple("RHCIO"),
                       [[50, 20, 15, 10, 5], [40, 30, 10, 10, 10]])
    s = adjusted_winner(pr, split="money")
    assert s.owner.tolist() == [0, 1, 0, 1, 1]  # Carol keeps 5/6 so she takes it whole
    assert s.transfers.sum() == pytest.approx(0.0)
    # Carol pays Bob his points for the 1/6 he gives up: 40/6
    assert s.transfers[1] == pytest.approx(40 / 6)
    assert s.meta["split_payment"] == "20/3"
    assert s.utilities[1] == pytest.approx(170 / 3)


def test_adjusted_winner_needs_two_parties():
    with pytest.raises(ConfigError, match="exactly two parties"):
        adjusted_winner(_problem([[1, 2], [2, 1], [1, 1]]))


def test_knaster_four_heirs_comap():
    # fairdiv_public.md B1 (COMAP, For All Practical Purposes, ch. 13, Example 2)
    pr = ClaimsProblem(("Bob", "Carol", "Ted", "Alice"), ("House", "Cabin", "Boat"),
                       np.array([[120_000, 60_000, 30_000], [200_000, 40_000, 24_000],
                                 [140_000, 90_000, 20_000], [180_000, 50_000, 20_000]]))
    s = knaster(pr)
    assert s.method == "knaster"
    assert s.units_of("Carol") == ["House"]
    assert s.units_of("Ted") == ["Cabin"]
    assert s.units_of("Bob") == ["Boat"]
    assert s.units_of("Alice") == []
    assert s.meta["fair_share"] == [52_500, 66_000, 62_500, 62_500]
    assert s.meta["first_settlement"] == [22_500, -134_000, -27_500, 62_500]
    assert s.meta["surplus"] == 76_500
    assert s.meta["surplus_each"] == 19_125
    assert s.transfers.tolist() == [41_625, -114_875, -8_375, 81_625]
    assert s.transfers.sum() == 0
    np.testing.assert_allclose(s.utilities - s.fair_share, 19_125)
    assert s.to_dict()["proportional"]


# ------------------------------------------------------------------ brute force oracles
def _all_owners(p, m):
    for o in itertools.product(range(p), repeat=m):
        yield np.array(o, dtype=np.int64)


def _brute_mnw(v):
    """Max number of parties with positive value first, then the largest product among them."""
    p, m = v.shape
    best = (-1, -np.inf)
    for o in _all_owners(p, m):
        u = np.array([v[i, o == i].sum() for i in range(p)])
        pos = u > 0
        key = (int(pos.sum()), float(np.log(u[pos]).sum()) if pos.any() else 0.0)
        if key[0] > best[0] or (key[0] == best[0] and key[1] > best[1]):
            best = key
    return best


def _lp_subsidy(v, o):
    """Minimum total subsidy for a fixed allocation by linear programming (None: impossible)."""
    p = v.shape[0]
    vb = np.array([[v[i, o == k].sum() for k in range(p)] for i in range(p)])
    a, b = [], []
    for i in range(p):
        for k in range(p):
            if i != k:  # s_k - s_i <= v_i(A_i) - v_i(A_k)
                row = np.zeros(p)
                row[k], row[i] = 1.0, -1.0
                a.append(row)
                b.append(vb[i, i] - vb[i, k])
    res = linprog(np.ones(p), A_ub=np.array(a), b_ub=np.array(b), bounds=[(0, None)] * p,
                  method="highs")
    return res.fun if res.status == 0 else None


def _brute_min_subsidy(v):
    p, m = v.shape
    vals = [_lp_subsidy(v, o) for o in _all_owners(p, m)]
    return min(x for x in vals if x is not None)


@pytest.mark.parametrize("seed", range(20))
def test_mnw_equals_brute_force(seed):
    rng = np.random.default_rng(1000 + seed)
    p = 2 + seed % 3
    m = (4 + seed % 3) if p < 4 else 1 + seed % 4  # few units for 4 parties: some get nothing
    v = rng.integers(0, 12, size=(p, m)).astype(float)
    if seed % 4 == 0:
        v = rng.random((p, m)) * 10  # real values
    if seed % 5 == 3:
        v[0, :] = 0.0
        v[0, 0] = 3.0  # one party values a single unit
    s = max_nash_welfare(_problem(v))
    u = s.values_held
    npos, logw = _brute_mnw(v)
    assert int((u > 0).sum()) == npos
    assert float(np.log(u[u > 0]).sum()) == pytest.approx(logw, abs=1e-9)
    assert s.meta["converged"]
    assert np.all(s.transfers == 0)


@pytest.mark.parametrize("v", [
    [[5.0, 0.0, 0.0], [4.0, 2.0, 0.0], [3.0, 1.0, 0.0]],
    # more parties than units: the best pair must be chosen on the values as given
    [[1.0, 0.0], [5.0, 3.0], [2.0, 4.0]],
    [[2.0, 3.0], [3.0, 4.0], [2.0, 3.0], [3.0, 1.0]],
    [[1.0], [1.0], [1.0], [4.0]],
])
def test_mnw_when_not_all_parties_can_get_value(v):
    v = np.array(v)
    s = max_nash_welfare(_problem(v))
    npos, logw = _brute_mnw(v)
    assert int((s.values_held > 0).sum()) == npos < v.shape[0]
    assert np.log(s.values_held[s.values_held > 0]).sum() == pytest.approx(logw)
    assert s.notes


@pytest.mark.parametrize("seed", range(10))
def test_min_subsidy_equals_brute_force(seed):
    rng = np.random.default_rng(2000 + seed)
    p = 2 + seed % 2
    m = 3 + seed % 3
    v = rng.integers(0, 10, size=(p, m)).astype(float)
    if seed % 3 == 0:
        v = rng.random((p, m))
    s = min_subsidy(_problem(v))
    assert s.outside_money == pytest.approx(_brute_min_subsidy(v), abs=1e-7)
    assert s.is_envy_free()
    assert s.transfers.min() == pytest.approx(0.0, abs=1e-12)


def test_min_subsidy_classic_single_item():
    # one item, two parties: the loser must be paid what the winner's item is worth to it
    s = min_subsidy(_problem([[10.0], [4.0]], budget=3.0))
    assert s.owner.tolist() == [0]
    assert s.transfers.tolist() == [0.0, 4.0]
    assert not s.within_budget
    assert s.to_dict()["within_budget"] is False


def test_minimal_subsidies_detects_positive_cycle():
    v = np.array([[1.0, 5.0], [5.0, 1.0]])
    assert np.isinf(minimal_subsidies(v, np.array([0, 1]))).all()  # each envies the other
    np.testing.assert_allclose(minimal_subsidies(v, np.array([1, 0])), [0.0, 0.0])


def test_efeq_transfers_equalise_and_balance():
    v = np.array([[10.0, 2.0, 0.0], [6.0, 6.0, 1.0], [1.0, 1.0, 9.0]])
    s = efeq_transfers(_problem(v))
    assert s.owner.tolist() == [0, 1, 2]
    np.testing.assert_allclose(s.utilities, (10 + 6 + 9) / 3)
    assert s.transfers.sum() == pytest.approx(0.0)
    assert s.is_envy_free()
    with pytest.raises(InfeasibleError, match="no budget-balanced"):
        efeq_transfers(_problem(v), owner=np.array([1, 0, 2]))


def test_matching_rounds_envy_free_after_subsidy():
    v = np.array([[3.0, 1.0, 2.0, 0.5], [2.0, 2.0, 2.0, 2.0]])
    s = envy_free_matching_rounds(_problem(v))
    assert s.is_envy_free()
    assert s.transfers.max() <= v.max() + 1e-9


def test_dispatch_and_labels():
    pr = _problem([[3.0, 1.0], [1.0, 3.0]])
    for name in METHODS:
        assert settle(pr, name).method == name
    with pytest.raises(ConfigError, match="unknown settlement method"):
        settle(pr, "coin-flip")


def test_problem_validation():
    with pytest.raises(InputDataError, match="non-negative"):
        _problem([[1.0, -1.0], [1.0, 1.0]])
    with pytest.raises(InputDataError, match="at least two parties"):
        _problem([[1.0, 1.0]])
    with pytest.raises(InputDataError, match="shape"):
        ClaimsProblem(("a", "b"), ("x",), np.ones((2, 2)))
    pr = ClaimsProblem.from_table({"x": {"a": 1, "b": 2}, "y": {"b": 3}})
    assert pr.parties == ("a", "b")
    assert pr.values.tolist() == [[1.0, 0.0], [2.0, 3.0]]


@pytest.mark.parametrize("p", [2, 3, 4])
def test_min_subsidy_bound_is_tight(p):
    # one unit everyone values at 1: the p - 1 losers are paid 1 each, Brustle et al.'s bound
    s = min_subsidy(_problem(np.ones((p, 1))))
    assert s.outside_money == pytest.approx(p - 1)
    assert s.meta["bound_brustle"] == pytest.approx(p - 1)
    rounds = envy_free_matching_rounds(_problem(np.ones((p, 1))))
    assert rounds.outside_money == pytest.approx(p - 1)


def test_mnw_time_limit_returns_best_with_warning_and_gap():
    # identical values make MNW a number-partitioning problem; a tiny time limit stops the proof
    rng = np.random.default_rng(0)
    base = rng.integers(1, 100, 30).astype(float)
    pr = _problem(np.vstack([base, base, base]))
    with pytest.warns(ConvergenceWarning, match="time limit"):
        s = max_nash_welfare(pr, time_limit=1.0)
    assert not s.meta["converged"] and s.meta["timed_out"]
    assert s.meta["log_gap"] >= 0
    # whatever it returns is a complete allocation within the reported gap of the best bound
    assert s.shares.sum() == 30
    assert np.all(s.values_held > 0)


def test_compensate_given_allocation():
    v = np.array([[10.0, 4.0], [6.0, 6.0]])
    pr = _problem(v)
    # P0 takes both units: P1 envies by 12, so it must be paid 12 (P0 envies nobody)
    s = compensate(pr, np.array([0, 0]))
    assert s.method == "compensate-min-subsidy"
    assert s.transfers.tolist() == [0.0, 12.0]
    assert s.is_envy_free()
    k = compensate(pr, np.array([0, 0]), rule="knaster")
    # fair shares 7 and 6; P0 holds 14: pays 7, surplus 1 shared -> P0 -6.5, P1 +6.5
    np.testing.assert_allclose(k.transfers, [-6.5, 6.5])
    assert np.all(k.utilities >= k.fair_share)
    e = compensate(pr, np.array([0, 1]), rule="efeq")
    np.testing.assert_allclose(e.utilities, [8.0, 8.0])
    with pytest.raises(InfeasibleError, match="cycle"):
        compensate(_problem([[1.0, 5.0], [5.0, 1.0]]), np.array([0, 1]))
    with pytest.raises(ConfigError, match="unknown compensation rule"):
        compensate(pr, np.array([0, 1]), rule="lottery")


@pytest.mark.parametrize("seed", range(6))
def test_compensate_min_subsidy_equals_lp(seed):
    rng = np.random.default_rng(3000 + seed)
    v = rng.integers(0, 9, size=(3, 4)).astype(float)
    for o in (np.array([0, 1, 2, 0]), rng.integers(0, 3, 4)):
        ref = _lp_subsidy(v, o)
        if ref is None:
            with pytest.raises(InfeasibleError):
                compensate(_problem(v), o)
        else:
            assert compensate(_problem(v), o).outside_money == pytest.approx(ref, abs=1e-9)
